import Foundation
import TestSupport
import Wire
import XCTest

/// Random and mutated frames against the real binary: a coordinator serving a run over loopback,
/// and a worker connected to a fake ROUTER coordinator. Neither crashes, every bad message is
/// dropped and counted (the `message counters:` JSON line each logs on the way out adds up to
/// what the test sent), and the run completes. 5,000 frames each in the normal suite, 100,000
/// (plus one message over `ProtocolLimits.maxMessageBytes`) with `ENGAGE_LONG_TESTS=1`.
final class FuzzTests: XCTestCase {
    private var long: Bool { ProcessInfo.processInfo.environment["ENGAGE_LONG_TESTS"] == "1" }
    private var frames: Int { long ? 100_000 : 5_000 }

    func testACoordinatorServingARunDropsAndCountsEveryBadFrame() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("fuzz-coordinator")
        _ = try smallClusterFile(in: directory, rows: 2000, workers: 0, models: """
          churn:      { kind: gbdt, objective: binary, target: churn_30_day, trees: \(long ? 300 : 30), leaves: 15, shap_rows: 50, permutation_rows: 100 }
          engagement: { kind: gbdt, objective: regression, target: engagement_score, trees: \(long ? 300 : 30), leaves: 15, shap_rows: 50, permutation_rows: 100 }
        """)
        let (coordinator, endpoint) = try engage.startCoordinator(in: directory)
        defer { coordinator.kill() }
        var worker: EngageBinary.Child?
        defer { worker?.kill() }

        let context = try ZMQContext()
        defer { context.terminate() }
        let fuzz = try ZMQSocket(context: context, type: .dealer)
        try fuzz.setLinger(milliseconds: 0)
        try fuzz.connect(endpoint)
        var fuzzer = FrameFuzzer(seeds: FuzzSeeds.toCoordinator, seed: 42)
        var expected = CoordinatorExpectation()
        var byes = 0
        func drain(timeoutMs: Int32) throws {
            while let reply = try fuzz.receive(timeoutMs: timeoutMs) {
                if (try? Envelope.parse(reply))?.command == .bye { byes += 1 }
            }
        }
        let started = Date()
        while expected.sent < frames {
            let message = fuzzer.next()
            guard expected.admit(message) else { continue }
            try fuzz.send(message)
            try drain(timeoutMs: 0)
            if expected.sent == frames / 2 {
                worker = try engage.start(["worker", "--connect", endpoint, "--id", "honest", "--threads", "1", "--cache", "cache"], in: directory, log: "worker.log")
            }
        }
        // Messages from one peer are handled in order: the BYE answering this last valid one means all were read.
        try fuzz.send(Envelope.make(.heartbeat, HeartbeatHeader(workerID: "fuzz", busyJobs: [])).frames())
        expected.replies += 1
        let deadline = Date().addingTimeInterval(120)
        while byes < expected.replies, Date() < deadline { try drain(timeoutMs: 100) }
        let fuzzSeconds = Date().timeIntervalSince(started)
        if long { try sendOversized(to: endpoint, context: context) }

        XCTAssertTrue(coordinator.waitForExit(timeout: 600), coordinator.output)
        XCTAssertEqual(coordinator.process.terminationStatus, 0, coordinator.output)
        XCTAssertTrue(coordinator.output.contains("churn/full done by honest"), "the run completed while the fuzz went on: \(coordinator.output.suffix(3000))")
        let counters = try XCTUnwrap(MessageCountersLine.last(in: coordinator.output))
        XCTAssertEqual(byes, expected.replies, "every valid message of an unknown peer is answered BYE")
        XCTAssertEqual(counters.dropped, expected.dropped, "the coordinator dropped exactly the invalid messages, by reason")
        print("coordinator fuzz: \(expected.sent + 1) messages in \(String(format: "%.1f", fuzzSeconds)) s: \(expected.dropped.values.reduce(0, +)) dropped \(expected.dropped.sorted { $0.key < $1.key }), \(expected.replies) valid (answered BYE), \(expected.skippedHellos) decodable HELLOs not sent; coordinator counters \(counters)")
    }

    func testAWorkerDropsAndCountsEveryBadFrameFromAFakeCoordinator() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("fuzz-worker")
        let context = try ZMQContext()
        defer { context.terminate() }
        let router = try ZMQSocket(context: context, type: .router)
        try router.setLinger(milliseconds: 0)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try XCTUnwrap(router.lastEndpoint)
        let worker = try engage.start(["worker", "--connect", endpoint, "--id", "fuzzed", "--threads", "1", "--cache", "cache"], in: directory, log: "worker.log")
        defer { worker.kill() }

        let hello = try XCTUnwrap(try router.receive(timeoutMs: 30_000))
        let peer = hello[0]
        XCTAssertEqual(try Envelope.parse(Array(hello.dropFirst())).command, .hello)
        func send(_ envelope: Envelope) throws { try router.send([peer] + envelope.frames()) }
        try send(.make(.welcome, WelcomeHeader(coordinatorID: "fake", heartbeatMs: 500, liveness: 1000)))
        var sent = 1, dropped = 0, syncs = 0
        var fuzzer = FrameFuzzer(seeds: FuzzSeeds.toWorker, seed: 43)
        let started = Date()
        while sent - 1 - syncs < frames {
            let message = fuzzer.next()
            guard !message.isEmpty else { continue }
            if let envelope = try? Envelope.parse(message) {
                // A valid BYE or WELCOME would end the worker or reset its liveness: those are tested elsewhere.
                if envelope.command == .bye || envelope.command == .welcome { continue }
            } else {
                dropped += 1
            }
            try router.send([peer] + message)
            sent += 1
            if (sent - syncs) % 250 == 0 {
                // A JOB with an unreadable spec is answered FAILED: once it is, everything before it was handled.
                syncs += 1
                try send(.make(.job, JobHeader(jobID: "sync-\(syncs)", attempt: 1, runID: "fake"), payload: Data("x".utf8)))
                sent += 1
                let deadline = Date().addingTimeInterval(60)
                var answered = false
                while !answered, Date() < deadline, let reply = try router.receive(timeoutMs: 1000) {
                    guard let envelope = try? Envelope.parse(Array(reply.dropFirst())), envelope.command == .failed else { continue }
                    answered = (try? envelope.decodeHeader(FailedHeader.self))?.jobID == "sync-\(syncs)"
                }
                XCTAssertTrue(answered, "the worker stopped answering after \(sent) messages: \(worker.output.suffix(2000))")
                if !answered { return }
            }
        }
        let fuzzSeconds = Date().timeIntervalSince(started)
        try send(.make(.bye, ByeHeader(reason: "shutdown")))
        sent += 1
        if long {
            try router.send([peer, Data(count: Int(ProtocolLimits.maxMessageBytes) + 1)])
        }
        XCTAssertTrue(worker.waitForExit(timeout: 60), worker.output.suffix(3000).description)
        let counters = try XCTUnwrap(MessageCountersLine.last(in: worker.output))
        XCTAssertEqual(counters.received + counters.dropped.values.reduce(0, +), sent, "\(counters)")
        XCTAssertGreaterThanOrEqual(counters.dropped.values.reduce(0, +), dropped)
        print("worker fuzz: \(sent) messages in \(String(format: "%.1f", fuzzSeconds)) s, \(dropped) invalid envelopes; worker counters \(counters)")
    }

    /// One frame over ZMQ_MAXMSGSIZE from a peer of its own: ZeroMQ disconnects it before the
    /// coordinator sees a byte, so it is not in the counters; the run must carry on.
    private func sendOversized(to endpoint: String, context: ZMQContext) throws {
        let offender = try ZMQSocket(context: context, type: .dealer)
        try offender.setLinger(milliseconds: 2000)
        try offender.connect(endpoint)
        try offender.send([Data(count: Int(ProtocolLimits.maxMessageBytes) + 1)])
        Thread.sleep(forTimeInterval: 1)
        offender.close()
    }
}

/// What the coordinator must make of the fuzzer's messages from a peer it does not know: an
/// invalid envelope is dropped under its kind, a HELLO whose header does not decode is dropped
/// as malformedHeader, any other valid envelope is answered BYE. Decodable HELLOs are not sent:
/// they would make the fuzzer a worker.
struct CoordinatorExpectation {
    var sent = 0
    var dropped: [String: Int] = [:]
    var replies = 0
    var skippedHellos = 0

    mutating func admit(_ message: [Data]) -> Bool {
        guard !message.isEmpty else { return false }
        do {
            let envelope = try Envelope.parse(message)
            if envelope.command == .hello {
                if (try? envelope.decodeHeader(HelloHeader.self)) != nil {
                    skippedHellos += 1
                    return false
                }
                dropped["malformedHeader", default: 0] += 1
            } else {
                replies += 1
            }
        } catch {
            dropped[(error as? ProtocolError)?.kind ?? "\(type(of: error))", default: 0] += 1
        }
        sent += 1
        return true
    }
}

/// Reads the `message counters: {json}` line a coordinator or worker logs on its way out.
enum MessageCountersLine {
    static func last(in output: String) -> MessageCounters.Snapshot? {
        guard let line = output.split(separator: "\n").last(where: { $0.contains(MessageCounters.logPrefix) }),
              let range = line.range(of: MessageCounters.logPrefix) else { return nil }
        return try? JSONDecoder().decode(MessageCounters.Snapshot.self, from: Data(line[range.upperBound...].utf8))
    }
}
