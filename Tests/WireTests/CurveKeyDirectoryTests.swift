import Foundation
import TestSupport
import XCTest
@testable import Wire

final class CurveKeyDirectoryTests: XCTestCase {
    private func mode(_ path: String) throws -> Int {
        try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber).intValue
    }

    func testGenerateWritesOwnerOnlySecretsAndAnAllowListWithoutOverwriting() throws {
        let temporary = try TemporaryDirectory("keys")
        let keys = CurveKeyDirectory(path: temporary.file("keys"))
        XCTAssertEqual(try keys.generate(workers: ["worker-1", "worker-2"]), ["coordinator", "worker-1", "worker-2"])

        let coordinator = try keys.coordinator()
        XCTAssertEqual(try keys.coordinatorPublicKey(), coordinator.publicKey)
        XCTAssertEqual(try CurveKeyPair.publicKey(forSecretKey: try XCTUnwrap(coordinator.secretKey)), coordinator.publicKey)
        for base in [keys.coordinatorBase, keys.workerBase("worker-1"), keys.workerBase("worker-2")] {
            XCTAssertEqual(try mode(base + ".key_secret") & 0o777, 0o600, base)
        }
        let allowed = try keys.allowedKeys()
        XCTAssertEqual(Set(allowed.keys), ["worker-1.key", "worker-2.key"])
        XCTAssertEqual(allowed["worker-1.key"]?.publicKey, try keys.worker("worker-1").publicKey)
        XCTAssertNil(allowed["worker-1.key"]?.secretKey, "the allow-list holds public keys only")
        XCTAssertFalse(try String(contentsOfFile: keys.workerBase("worker-1") + ".key", encoding: .utf8).contains("secret-key"))

        XCTAssertEqual(try keys.generate(workers: ["worker-3"]), ["worker-3"], "the coordinator's key is kept")
        XCTAssertEqual(try keys.coordinator(), coordinator)
        XCTAssertThrowsError(try keys.generate(workers: ["worker-1"])) { error in
            XCTAssertTrue("\(error)".contains("never overwritten"), "\(error)")
        }
        XCTAssertThrowsError(try keys.generate(workers: ["../evil"])) { error in
            XCTAssertTrue("\(error)".contains("is not a key name"), "\(error)")
        }
    }

    func testASecretOthersCanReadOrAForeignKeyIsRefusedByPath() throws {
        let temporary = try TemporaryDirectory("keys-bad")
        let keys = CurveKeyDirectory(path: temporary.file("keys"))
        try keys.generate(workers: ["w"])
        let secret = keys.workerBase("w") + ".key_secret"
        XCTAssertEqual(chmod(secret, 0o644), 0)
        XCTAssertThrowsError(try keys.worker("w")) { error in
            XCTAssertTrue("\(error)".contains(secret) && "\(error)".contains("chmod 600"), "\(error)")
        }

        let other = try CurveKeyPair.generate()
        let text = try String(contentsOfFile: keys.coordinatorBase + ".key_secret", encoding: .utf8)
        let mismatched = temporary.file("mismatched.key_secret")
        let lines = text.split(separator: "\n").map { $0.contains("public-key") ? "    public-key = \"\(other.publicKey)\"" : String($0) }
        FileManager.default.createFile(atPath: mismatched, contents: Data(lines.joined(separator: "\n").utf8), attributes: [.posixPermissions: 0o600])
        XCTAssertThrowsError(try CurveCertificate.read(path: mismatched)) { error in
            XCTAssertTrue("\(error)".contains("does not belong"), "\(error)")
        }

        let garbage = (keys.allowedDirectory as NSString).appendingPathComponent("junk.key")
        try "curve\n    public-key = \"short\"\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try keys.allowedKeys()) { error in
            XCTAssertTrue("\(error)".contains("junk.key") && "\(error)".contains("got 5 characters"), "\(error)")
        }
    }

    func testTheAllowListCanChangeWhileServingAndRefusalsNameTheFingerprint() throws {
        let context = try ZMQContext()
        let serverKeys = try CurveKeyPair.generate()
        let lateKeys = try CurveKeyPair.generate()
        let authenticator = try ZAPAuthenticator(context: context, allowedClientKeys: [])
        authenticator.start()
        defer { authenticator.stop() }
        let server = try ZMQSocket(context: context, type: .router)
        try server.makeCurveServer(secretKey: serverKeys.secretKey)
        let endpoint = try bindLoopback(server)

        func connect() throws -> ZMQSocket {
            let client = try ZMQSocket(context: context, type: .dealer)
            try client.setLinger(milliseconds: 0)
            try client.makeCurveClient(serverPublicKey: serverKeys.publicKey, publicKey: lateKeys.publicKey, secretKey: lateKeys.secretKey)
            try client.connect(endpoint)
            try client.send([Data("hello".utf8)])
            return client
        }
        let refusedClient = try connect()
        for _ in 0..<50 where authenticator.rejected == 0 {
            XCTAssertNil(try server.receive(timeoutMs: 100), "a key outside the allow-list got through")
        }
        let refusals = authenticator.drainRefusals()
        XCTAssertFalse(refusals.isEmpty)
        XCTAssertEqual(refusals.first?.fingerprint, CurveCertificate.fingerprint(of: lateKeys.publicKey))
        XCTAssertEqual(refusals.first?.address, "127.0.0.1")
        XCTAssertTrue(authenticator.drainRefusals().count <= refusals.count)
        refusedClient.close()

        try authenticator.replaceAllowedClientKeys([lateKeys.publicKey])
        let admittedClient = try connect()
        defer { admittedClient.close() }
        let received = try XCTUnwrap(try server.receive(timeoutMs: arrivalTimeoutMs), "the newly listed key was not admitted")
        XCTAssertEqual(received.last, Data("hello".utf8))
        XCTAssertGreaterThanOrEqual(authenticator.accepted, 1)
    }
}
