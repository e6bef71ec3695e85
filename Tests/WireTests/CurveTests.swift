import Foundation
import XCTest
@testable import Wire

final class CurveTests: XCTestCase {
    func testGeneratedKeyPairsAreZ85AndDistinct() throws {
        let first = try CurveKeyPair.generate()
        let second = try CurveKeyPair.generate()
        XCTAssertEqual(first.publicKey.count, 40)
        XCTAssertEqual(first.secretKey.count, 40)
        XCTAssertNotEqual(first, second)
        XCTAssertEqual(try CurveKeyPair.publicKey(forSecretKey: first.secretKey), first.publicKey)
    }

    func testInvalidKeysAreRejectedWithDescription() throws {
        XCTAssertThrowsError(try CurveKeyPair(publicKey: "short", secretKey: "short")) { error in
            XCTAssertTrue("\(error)".contains("got 5 characters"), "\(error)")
        }
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .router)
        XCTAssertThrowsError(try socket.makeCurveServer(secretKey: String(repeating: "~", count: 40))) { error in
            XCTAssertTrue("\(error)".contains("not valid z85"), "\(error)")
        }
        XCTAssertThrowsError(try ZAPAuthenticator(context: context, allowedClientKeys: ["nope"]))
    }

    func testZAPAdmitsListedKeyAndRefusesUnknownKey() throws {
        let context = try ZMQContext()
        let serverKeys = try CurveKeyPair.generate()
        let allowedKeys = try CurveKeyPair.generate()
        let unknownKeys = try CurveKeyPair.generate()

        let authenticator = try ZAPAuthenticator(context: context, allowedClientKeys: [allowedKeys.publicKey])
        authenticator.start()
        defer { authenticator.stop() }

        let server = try ZMQSocket(context: context, type: .router)
        try server.makeCurveServer(secretKey: serverKeys.secretKey)
        let endpoint = try bindLoopback(server)

        let intruder = try ZMQSocket(context: context, type: .dealer)
        try intruder.setLinger(milliseconds: 0)
        try intruder.makeCurveClient(serverPublicKey: serverKeys.publicKey,
                                     publicKey: unknownKeys.publicKey, secretKey: unknownKeys.secretKey)
        try intruder.connect(endpoint)
        try intruder.send([Data("let me in".utf8)])

        for _ in 0..<50 where authenticator.rejected == 0 {
            XCTAssertNil(try server.receive(timeoutMs: 100), "a client with an unknown key got through")
        }
        XCTAssertGreaterThanOrEqual(authenticator.rejected, 1)
        XCTAssertEqual(authenticator.accepted, 0)

        let member = try ZMQSocket(context: context, type: .dealer)
        try member.setIdentity(Data("member".utf8))
        try member.makeCurveClient(serverPublicKey: serverKeys.publicKey,
                                   publicKey: allowedKeys.publicKey, secretKey: allowedKeys.secretKey)
        try member.connect(endpoint)
        try member.send([Data("hello".utf8)])

        let received = try XCTUnwrap(try server.receive(timeoutMs: arrivalTimeoutMs))
        XCTAssertEqual(received, [Data("member".utf8), Data("hello".utf8)])
        XCTAssertEqual(authenticator.accepted, 1)
        XCTAssertNil(try server.receive(timeoutMs: silenceTimeoutMs), "a client with an unknown key got through")
        XCTAssertNil(authenticator.failure)
    }

    func testClientWithWrongServerKeyNeverConnects() throws {
        let context = try ZMQContext()
        let serverKeys = try CurveKeyPair.generate()
        let clientKeys = try CurveKeyPair.generate()
        let impostorKeys = try CurveKeyPair.generate()
        let authenticator = try ZAPAuthenticator(context: context, allowedClientKeys: [clientKeys.publicKey])
        authenticator.start()
        defer { authenticator.stop() }

        let server = try ZMQSocket(context: context, type: .router)
        try server.makeCurveServer(secretKey: serverKeys.secretKey)
        let endpoint = try bindLoopback(server)
        let client = try ZMQSocket(context: context, type: .dealer)
        try client.setLinger(milliseconds: 0)
        try client.makeCurveClient(serverPublicKey: impostorKeys.publicKey,
                                   publicKey: clientKeys.publicKey, secretKey: clientKeys.secretKey)
        try client.connect(endpoint)
        try client.send([Data("hello".utf8)])
        XCTAssertNil(try server.receive(timeoutMs: silenceTimeoutMs))
        XCTAssertEqual(authenticator.accepted, 0)
    }

    func testPlainSocketsInTheSameContextStillWork() throws {
        let context = try ZMQContext()
        let authenticator = try ZAPAuthenticator(context: context, allowedClientKeys: [])
        authenticator.start()
        defer { authenticator.stop() }
        let pull = try ZMQSocket(context: context, type: .pull)
        let push = try ZMQSocket(context: context, type: .push)
        let endpoint = try bindLoopback(pull)
        try push.connect(endpoint)
        try push.send([Data("plain".utf8)])
        XCTAssertEqual(try pull.receive(timeoutMs: arrivalTimeoutMs), [Data("plain".utf8)])
    }

    func testSecondAuthenticatorInOneContextFailsAndStopIsIdempotent() throws {
        let context = try ZMQContext()
        let first = try ZAPAuthenticator(context: context, allowedClientKeys: [])
        XCTAssertThrowsError(try ZAPAuthenticator(context: context, allowedClientKeys: [])) { error in
            XCTAssertTrue("\(error)".contains("zeromq.zap.01"), "\(error)")
        }
        first.start()
        first.stop()
        first.stop()
        // The endpoint is free again once the first handler stopped.
        let second = try ZAPAuthenticator(context: context, allowedClientKeys: [])
        second.stop()
    }

    func testZAPVerdictOnMalformedAndForeignRequests() throws {
        let keys = try CurveKeyPair.generate()
        let rawKey = try XCTUnwrap(CurveKeyPair.rawKey(ofZ85: keys.publicKey))
        let base = ["1.0", "7", "", "127.0.0.1", ""].map { Data($0.utf8) }

        let admitted = ZAPVerdict(request: base + [Data("CURVE".utf8), rawKey], allowedClientKeys: [keys.publicKey])
        XCTAssertTrue(admitted.admitted)
        XCTAssertEqual(admitted.reply[1], Data("7".utf8))
        XCTAssertEqual(admitted.reply[2], Data("200".utf8))
        XCTAssertEqual(admitted.reply[4], Data(keys.publicKey.utf8))

        let plain = ZAPVerdict(request: base + [Data("PLAIN".utf8), Data("u".utf8), Data("p".utf8)], allowedClientKeys: [keys.publicKey])
        XCTAssertFalse(plain.admitted)
        XCTAssertEqual(plain.reply[2], Data("400".utf8))

        let short = ZAPVerdict(request: [Data("1.0".utf8), Data("9".utf8)], allowedClientKeys: [keys.publicKey])
        XCTAssertFalse(short.admitted)
        XCTAssertEqual(short.reply.count, 6)
        XCTAssertEqual(short.reply[1], Data("9".utf8))
        XCTAssertEqual(short.reply[2], Data("500".utf8))

        let badKey = ZAPVerdict(request: base + [Data("CURVE".utf8), Data([1, 2, 3])], allowedClientKeys: [keys.publicKey])
        XCTAssertFalse(badKey.admitted)
    }
}
