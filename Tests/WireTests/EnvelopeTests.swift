import Foundation
import XCTest
@testable import Wire

final class EnvelopeTests: XCTestCase {
    private let tag = Data("ENG1".utf8)

    private func frames(_ command: String, _ header: String = "{}", payload: Data? = nil) -> [Data] {
        [tag, Data(command.utf8), Data(header.utf8)] + (payload.map { [$0] } ?? [])
    }

    private func assertRejects(_ frames: [Data], with expected: ProtocolError,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Envelope.parse(frames), file: file, line: line) { error in
            XCTAssertEqual(error as? ProtocolError, expected, file: file, line: line)
        }
    }

    private func assertRoundTrip<H: Codable & Equatable>(_ command: Command, _ header: H, payload: Data? = nil,
                                                         file: StaticString = #filePath, line: UInt = #line) throws {
        let envelope = try Envelope(command: command, header: header, payload: payload)
        let parsed = try Envelope.parse(envelope.frames())
        XCTAssertEqual(parsed, envelope, file: file, line: line)
        XCTAssertEqual(parsed.command, command, file: file, line: line)
        XCTAssertEqual(parsed.payload, payload, file: file, line: line)
        XCTAssertEqual(try parsed.decodeHeader(H.self), header, file: file, line: line)
    }

    func testEveryCommandRoundTrips() throws {
        let payload = patternedData(count: 3000, seed: 1)
        try assertRoundTrip(.hello, HelloHeader(workerID: "w1", host: "node-a", pid: 4242, cores: 16,
                                                memoryBytes: 24 << 30, cachedShards: ["ab12", "cd34"], version: "0.1.0"))
        try assertRoundTrip(.welcome, WelcomeHeader(coordinatorID: "c1", heartbeatMs: 1000, liveness: 5))
        try assertRoundTrip(.heartbeat, HeartbeatHeader(workerID: "w1", busyJobs: ["churn/fold-1"]))
        try assertRoundTrip(.job, JobHeader(jobID: "churn/full", attempt: 2, runID: "run-9"),
                            payload: Data(#"{"model":"churn"}"#.utf8))
        try assertRoundTrip(.fetch, FetchHeader(shardID: "ab12", offset: 262_144, size: 262_144))
        try assertRoundTrip(.chunk, ChunkHeader(shardID: "ab12", offset: 0, totalSize: 3000, last: true), payload: payload)
        try assertRoundTrip(.chunk, ChunkHeader(shardID: "ff", offset: 0, totalSize: 0, last: true, error: "unknown shard ff"),
                            payload: Data())
        try assertRoundTrip(.progress, ProgressHeader(jobID: "churn/full", attempt: 1, fraction: 0.25, message: "tree 75/300"))
        try assertRoundTrip(.result, ResultHeader(jobID: "churn/full", attempt: 1, seconds: 12.5,
                                                  report: Data(#"{"auc":0.91}"#.utf8)), payload: payload)
        try assertRoundTrip(.result, ResultHeader(jobID: "anomaly", attempt: 1, seconds: 0.5, report: nil), payload: Data())
        try assertRoundTrip(.failed, FailedHeader(jobID: "churn/full", attempt: 3, error: "out of memory"))
        try assertRoundTrip(.cancel, CancelHeader(jobID: "churn/full"))
        try assertRoundTrip(.bye, ByeHeader(reason: "shutting down"))
    }

    func testEveryCommandParsesWithItsPayloadRule() throws {
        for command in Command.allCases {
            let payload: Data? = command.carriesPayload ? Data([1, 2, 3]) : nil
            let envelope = try Envelope.parse(frames(command.rawValue, payload: payload))
            XCTAssertEqual(envelope.command, command)
            XCTAssertEqual(envelope.frames().count, command.carriesPayload ? 4 : 3)
        }
    }

    func testHeaderUsesDocumentedJSONKeys() throws {
        let envelope = try Envelope(command: .fetch, header: FetchHeader(shardID: "s", offset: 1, size: 2))
        XCTAssertEqual(String(decoding: envelope.header, as: UTF8.self), #"{"offset":1,"shardID":"s","size":2}"#)
        let result = try Envelope(command: .result, header: ResultHeader(jobID: "j", attempt: 1, seconds: 1, report: Data("{}".utf8)),
                                  payload: Data())
        XCTAssertTrue(String(decoding: result.header, as: UTF8.self).contains(#""report":"e30=""#))
    }

    func testRejectsWrongTag() {
        assertRejects([Data("ENG2".utf8), Data("HELLO".utf8), Data("{}".utf8)], with: .wrongProtocol("ENG2"))
        assertRejects([Data([0xff, 0x00]), Data("HELLO".utf8), Data("{}".utf8)], with: .wrongProtocol("0xff00"))
    }

    func testRejectsUnknownCommand() {
        assertRejects(frames("DANCE"), with: .unknownCommand("DANCE"))
        assertRejects(frames("hello"), with: .unknownCommand("hello"))
    }

    func testRejectsBadFrameCounts() {
        assertRejects([tag, Data("HELLO".utf8)], with: .badFrameCount(2))
        assertRejects(Array(repeating: tag, count: 6), with: .badFrameCount(6))
        assertRejects([], with: .badFrameCount(0))
    }

    func testRejectsNonJSONHeader() {
        XCTAssertThrowsError(try Envelope.parse(frames("HELLO", "{not json"))) { error in
            guard case .malformedHeader(let reason)? = error as? ProtocolError else {
                return XCTFail("expected malformedHeader, got \(error)")
            }
            XCTAssertTrue(reason.contains("not valid JSON"), reason)
        }
        assertRejects(frames("HELLO", ""), with: .malformedHeader("not valid JSON (0 bytes)"))
    }

    func testRejectsHeadersThatAreNotObjects() {
        assertRejects(frames("HELLO", "[1,2]"), with: .malformedHeader("expected a JSON object, got an array"))
        assertRejects(frames("HELLO", "\"text\""), with: .malformedHeader("expected a JSON object, got a string"))
        assertRejects(frames("HELLO", "42"), with: .malformedHeader("expected a JSON object, got a number or boolean"))
        assertRejects(frames("HELLO", "null"), with: .malformedHeader("expected a JSON object, got null"))
    }

    func testPayloadRules() {
        assertRejects(frames("HELLO", payload: Data([1])), with: .unexpectedPayload(.hello))
        assertRejects(frames("HEARTBEAT", payload: Data()), with: .unexpectedPayload(.heartbeat))
        assertRejects(frames("JOB"), with: .missingPayload(.job))
        assertRejects(frames("CHUNK"), with: .missingPayload(.chunk))
        assertRejects(frames("RESULT"), with: .missingPayload(.result))
    }

    func testRejectsOversizedHeader() throws {
        let filler = String(repeating: "x", count: ProtocolLimits.maxHeaderBytes)
        let header = #"{"pad":"\#(filler)"}"#
        assertRejects(frames("HELLO", header), with: .headerTooLarge(header.utf8.count))
        XCTAssertThrowsError(try Envelope(command: .bye, header: ByeHeader(reason: filler))) { error in
            XCTAssertEqual(error as? ProtocolError, .headerTooLarge(filler.utf8.count + #"{"reason":""}"#.utf8.count))
        }
        let largest = #"{"pad":"\#(String(repeating: "x", count: ProtocolLimits.maxHeaderBytes - 10))"}"#
        XCTAssertEqual(largest.utf8.count, ProtocolLimits.maxHeaderBytes)
        XCTAssertNoThrow(try Envelope.parse(frames("HELLO", largest)))
    }

    func testDecodeHeaderNamesMissingAndMistypedFields() throws {
        let missing = try Envelope.parse(frames("JOB", #"{"jobID":"j","runID":"r"}"#, payload: Data()))
        XCTAssertThrowsError(try missing.decodeHeader(JobHeader.self)) { error in
            XCTAssertEqual(error as? ProtocolError, .malformedHeader(#"JOB header as JobHeader: missing field "attempt""#))
        }
        let mistyped = try Envelope.parse(frames("HEARTBEAT", #"{"workerID":"w","busyJobs":[1]}"#))
        XCTAssertThrowsError(try mistyped.decodeHeader(HeartbeatHeader.self)) { error in
            XCTAssertEqual(error as? ProtocolError,
                           .malformedHeader(#"HEARTBEAT header as HeartbeatHeader: field "busyJobs.[0]" is not of type String"#))
        }
    }

    func testErrorsDescribeThemselves() {
        let errors: [ProtocolError] = [.badFrameCount(2), .wrongProtocol("X"), .unknownCommand("Y"), .malformedHeader("z"),
                                       .headerTooLarge(5_000_000), .unexpectedPayload(.hello), .missingPayload(.job), .missingIdentity]
        XCTAssertEqual(Set(errors.map(\.kind)).count, errors.count)
        for error in errors {
            XCTAssertFalse(error.description.isEmpty)
            XCTAssertEqual(error.errorDescription, error.description)
        }
        XCTAssertEqual(ProtocolError.missingPayload(.job).description, "JOB requires a payload frame")
    }

    func testPrintableTruncatesLongGarbage() {
        let shown = Envelope.printable(Data(repeating: 0x41, count: 1000))
        XCTAssertEqual(shown, String(repeating: "A", count: 64) + "… (1000 bytes)")
    }

    func testRoutedEnvelopeRoundTrip() throws {
        let envelope = try Envelope(command: .cancel, header: CancelHeader(jobID: "j"))
        let routed = RoutedEnvelope(peer: Data([0, 1, 2]), envelope: envelope)
        XCTAssertEqual(routed.frames().first, Data([0, 1, 2]))
        XCTAssertEqual(try RoutedEnvelope.parse(routed.frames()), routed)
        XCTAssertThrowsError(try RoutedEnvelope.parse([])) { XCTAssertEqual($0 as? ProtocolError, .missingIdentity) }
        XCTAssertThrowsError(try RoutedEnvelope.parse([Data()] + envelope.frames())) {
            XCTAssertEqual($0 as? ProtocolError, .missingIdentity)
        }
        XCTAssertThrowsError(try RoutedEnvelope.parse([Data("peer".utf8)])) {
            XCTAssertEqual($0 as? ProtocolError, .badFrameCount(0))
        }
    }
}
