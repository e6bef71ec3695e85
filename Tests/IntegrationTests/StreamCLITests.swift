import Dataset
import Foundation
import GRDB
import Stream
import TestSupport
import Wire
import XCTest

/// `engage stream` on real processes, a real registry and a real SQLite stream database: events
/// from an inbox and from a ZeroMQ producer are scored exactly once across a SIGKILL and a
/// restart, and every score at or above the threshold has its alert.
///
/// The inbox test streams 100,000 events, the count the serving issue names.
final class StreamCLITests: XCTestCase {

    /// A registry whose churn@1 is in production.
    private func trainedChurn(_ name: String) throws -> (EngageBinary, String) {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory(name)
        _ = try smallClusterFile(in: directory, rows: 3000, models: """
              churn: { kind: gbdt, objective: binary, target: churn_30_day, trees: 40, leaves: 15, shap_rows: 20, permutation_rows: 100 }
            """)
        let trained = try engage.run(["run", "--config", "cluster.yaml"], in: directory)
        XCTAssertEqual(trained.status, 0, trained.output)
        let promoted = try engage.run(["registry", "promote", "churn", "1", "--to", "production", "--force", "--reason", "stream test"], in: directory)
        XCTAssertEqual(promoted.status, 0, promoted.output)
        return (engage, directory)
    }

    /// `count` events as CSV bodies of `perDelivery` events: generated customers (5,000, reused
    /// cyclically, so a customer has several events) with an `event_id` column in front.
    private func eventBodies(_ engage: EngageBinary, _ directory: String, count: Int, perDelivery: Int, first: Int = 0) throws -> [(id: String, body: Data)] {
        if !FileManager.default.fileExists(atPath: directory + "/gen/customers.csv") {
            let generated = try engage.run(["generate", "--rows", "5000", "--seed", "5", "--out", "gen"], in: directory)
            XCTAssertEqual(generated.status, 0, generated.output)
        }
        let lines = try String(contentsOfFile: directory + "/gen/customers.csv", encoding: .utf8).split(separator: "\n")
        let header = "event_id," + lines[0]
        let rows = lines.dropFirst()
        return stride(from: first, to: first + count, by: perDelivery).map { start in
            let body = (start..<min(first + count, start + perDelivery)).map { "ev-\($0)," + rows[rows.startIndex + $0 % rows.count] }
            return (String(format: "events-%05d", start / perDelivery), Data(([header] + body).joined(separator: "\n").appending("\n").utf8))
        }
    }

    private func predictions(_ path: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        var configuration = Configuration()
        configuration.readonly = true
        return try DatabaseQueue(path: path, configuration: configuration).read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM predictions") ?? 0 }
    }

    /// Every expected event once, an alert exactly for each score ≥ threshold, aggregates that count each event once.
    private func checkExactlyOnce(_ path: String, events count: Int, threshold: Double = 0.7, versions: Set<String> = ["churn@1"]) throws {
        try DatabaseQueue(path: path).read { db in
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM predictions"), count)
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(DISTINCT event_id) FROM predictions"), count)
            let ids = Set(try String.fetchAll(db, sql: "SELECT event_id FROM predictions"))
            XCTAssertEqual(ids, Set((0..<count).map { "ev-\($0)" }), "exactly the events sent")
            let high = try Int.fetchOne(db, sql: "SELECT count(*) FROM predictions WHERE score >= ?", arguments: [threshold]) ?? 0
            XCTAssertGreaterThan(high, 0, "no score reached the threshold: the alert check would prove nothing")
            XCTAssertEqual(try Int.fetchOne(db, sql: """
                SELECT count(*) FROM predictions p LEFT JOIN alerts a ON a.event_id = p.event_id WHERE p.score >= ? AND a.event_id IS NULL
                """, arguments: [threshold]), 0, "every score ≥ threshold has its alert")
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM alerts"), high, "and no other score has one")
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM alerts a JOIN predictions p ON p.event_id = a.event_id WHERE a.score != p.score"), 0)
            for period in ["hour", "day"] {
                XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT sum(events) FROM aggregates WHERE period = ?", arguments: [period]), count)
                XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT sum(alerts) FROM aggregates WHERE period = ?", arguments: [period]), high)
                let sum = try Double.fetchOne(db, sql: "SELECT sum(score_sum) FROM aggregates WHERE period = ?", arguments: [period]) ?? 0
                let direct = try Double.fetchOne(db, sql: "SELECT sum(score) FROM predictions") ?? 0
                XCTAssertEqual(sum, direct, accuracy: 1e-6 * Double(count))
            }
            XCTAssertEqual(try Set(String.fetchAll(db, sql: "SELECT DISTINCT model || '@' || version FROM predictions")), versions)
        }
    }

    func testInboxEventsAreScoredExactlyOnceAcrossASIGKILLAndARestart() throws {
        let count = 100_000
        let (engage, directory) = try trainedChurn("stream-inbox")
        // Files of 1,250 events and batches of 1,000: a kill usually leaves a file partly committed.
        let bodies = try eventBodies(engage, directory, count: count, perDelivery: 1250)
        try FileManager.default.createDirectory(atPath: directory + "/inbox", withIntermediateDirectories: true)
        for (name, body) in bodies {
            try body.write(to: URL(fileURLWithPath: directory + "/inbox/.\(name).tmp"))
            try FileManager.default.moveItem(atPath: directory + "/inbox/.\(name).tmp", toPath: directory + "/inbox/\(name).csv")
        }
        let arguments = ["stream", "--model", "churn@production", "--from", "inbox:inbox", "--batch", "1000", "--max-wait", "1s",
                         "--db", "stream.sqlite", "--once"]
        let first = try engage.start(arguments, in: directory, log: "stream-1.log")
        let cut = try killed(first, onceScored: count / 4 + 500, in: directory + "/stream.sqlite")
        XCTAssertLessThan(cut, count, "killed after it had scored everything:\n\(first.output)")
        XCTAssertEqual(first.process.terminationReason, .uncaughtSignal)

        let second = try engage.run(arguments, in: directory, timeout: 600)
        XCTAssertEqual(second.status, 0, second.output)
        XCTAssertTrue(second.output.contains("earlier stream left in processing/"), second.output)
        try checkExactlyOnce(directory + "/stream.sqlite", events: count)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/inbox/processing"), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/inbox/done").count, bodies.count)

        // The scores are engage predict's for the same rows.
        let predicted = try engage.run(["predict", "--model", "churn@production", "--data", "inbox/done/events-00000.csv", "--out", "p.csv"], in: directory)
        XCTAssertEqual(predicted.status, 0, predicted.output)
        let expected = try CSV.read(path: directory + "/p.csv").numeric("prediction")
        let stored = try DatabaseQueue(path: directory + "/stream.sqlite").read { db in
            try Double.fetchAll(db, sql: "SELECT score FROM predictions WHERE delivery = 'events-00000.csv' ORDER BY CAST(substr(event_id, 4) AS INTEGER)")
        }
        XCTAssertEqual(stored.count, expected.count)
        for (a, b) in zip(stored, expected) { XCTAssertEqual(a, b, accuracy: 1e-12) }

        // A file refused (a feature missing) goes to failed/ with its reason; the stream goes on.
        try Data("event_id,user_id,age\nbad-1,c1,30\n".utf8).write(to: URL(fileURLWithPath: directory + "/inbox/.bad.tmp"))
        try FileManager.default.moveItem(atPath: directory + "/inbox/.bad.tmp", toPath: directory + "/inbox/zz-bad.csv")
        let third = try engage.run(arguments, in: directory)
        XCTAssertEqual(third.status, 0, third.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/inbox/failed/zz-bad.csv"))
        let reason = try String(contentsOfFile: directory + "/inbox/failed/zz-bad.csv.error", encoding: .utf8)
        XCTAssertTrue(reason.contains("zz-bad.csv: no column"), reason)
        try checkExactlyOnce(directory + "/stream.sqlite", events: count)
    }

    func testZeroMQBatchesAreAcknowledgedAfterCommitAndResentAcrossASIGKILL() throws {
        let count = 12_000
        let (engage, directory) = try trainedChurn("stream-zmq")
        let batches = try eventBodies(engage, directory, count: count, perDelivery: 500)
        let arguments = { (endpoint: String) in
            ["stream", "--model", "churn@production", "--from", "zmq:\(endpoint)", "--batch", "1000", "--max-wait", "300ms", "--db", "stream.sqlite"]
        }
        let exposed = try engage.run(arguments("tcp://0.0.0.0:*"), in: directory)
        XCTAssertEqual(exposed.status, 1, "a non-loopback bind without CURVE is refused")
        XCTAssertTrue(exposed.output.contains("without CURVE") && exposed.output.contains("--keys"), exposed.output)
        XCTAssertEqual(try engage.run(arguments("tcp://0.0.0.0:*") + ["--insecure"], in: directory).status, 64, "there is no way around CURVE")
        let first = try engage.start(arguments("tcp://127.0.0.1:*"), in: directory, log: "stream-1.log")
        defer { first.kill(SIGKILL) }
        let endpoint = try listening(first)

        let delivery = Delivery()
        Thread.detachNewThread {
            do {
                let producer = try StreamProducer(connect: endpoint)
                let replies = try producer.deliver(batches, window: 4, resendAfter: 3, timeout: 300)
                delivery.finish(replies: replies, resends: producer.resends, failure: nil)
            } catch {
                delivery.finish(replies: [:], resends: 0, failure: error)
            }
        }
        let cut = try killed(first, onceScored: count / 4, in: directory + "/stream.sqlite")
        XCTAssertLessThan(cut, count)

        let second = try engage.start(arguments(endpoint), in: directory, log: "stream-2.log")
        defer { second.kill(SIGKILL) }
        XCTAssertEqual(try listening(second), endpoint)
        let (replies, resends, failure) = try XCTUnwrap(delivery.wait(timeout: 300), second.output)
        XCTAssertNil(failure, "\(String(describing: failure))\n\(second.output)")
        XCTAssertEqual(Set(replies.keys), Set(batches.map(\.id)))
        XCTAssertTrue(replies.values.allSatisfy { if case .ack(_, 500) = $0 { true } else { false } }, "\(replies.values)")
        XCTAssertGreaterThan(resends, 0, "the batches in flight at the kill were resent")
        let producer = try StreamProducer(connect: endpoint)

        // Malformed messages are dropped and counted; a batch without the model's features is rejected.
        let raw = try ZMQContext()
        let socket = try ZMQSocket(context: raw, type: .dealer)
        defer { socket.close(); raw.terminate() }
        try socket.setLinger(milliseconds: 0)
        try socket.connect(endpoint)
        try socket.send([Data("EVENTS".utf8)])
        try socket.send([Data("HELLO".utf8), Data("x".utf8), Data("y".utf8)])
        try socket.send([Data("EVENTS".utf8), Data(), Data("event_id,user_id\n".utf8)])
        let rejected = try producer.deliver([(id: "bad-1", body: Data("event_id,user_id,age\nbad-1,c1,30\n".utf8))], timeout: 60)
        guard case .reject(_, let reason) = rejected["bad-1"] else { return XCTFail("\(rejected)") }
        XCTAssertTrue(reason.contains("no column"), reason)

        // The stream follows its reference: after a promotion the next batch is scored by the new version.
        XCTAssertEqual(try engage.run(["run", "--config", "cluster.yaml"], in: directory).status, 0)
        let promoted = try engage.run(["registry", "promote", "churn", "2", "--to", "production", "--force", "--reason", "swap"], in: directory)
        XCTAssertEqual(promoted.status, 0, promoted.output)
        let later = try eventBodies(engage, directory, count: 500, perDelivery: 500, first: count)
        XCTAssertEqual(try producer.deliver(later.map { (id: "after-swap", body: $0.body) }, timeout: 60)["after-swap"], .ack(batchID: "after-swap", rows: 500))
        let versions = try DatabaseQueue(path: directory + "/stream.sqlite").read { db in
            try Int.fetchAll(db, sql: "SELECT DISTINCT version FROM predictions WHERE CAST(substr(event_id, 4) AS INTEGER) >= ?", arguments: [count])
        }
        XCTAssertEqual(versions, [2], second.output)
        try checkExactlyOnce(directory + "/stream.sqlite", events: count + 500, versions: ["churn@1", "churn@2"])

        // 300 fuzzed messages (mutations of a real batch, noise) are answered or dropped, never a crash;
        // a good batch after them is still acknowledged.
        let one = try XCTUnwrap(later.first).body.split(separator: UInt8(ascii: "\n")).prefix(2).map { Data($0) + Data("\n".utf8) }
        var fuzzer = FrameFuzzer(seeds: [StreamFrames.encodeEvents(batchID: "fuzz", body: one.reduce(Data(), +)),
                                         StreamFrames.encodeAck(batchID: "x", rows: 1)], seed: 15)
        for _ in 0..<300 {
            let frames = fuzzer.next()
            if !frames.isEmpty { try socket.send(frames) }
        }
        let final = try eventBodies(engage, directory, count: 100, perDelivery: 100, first: count + 500)
        XCTAssertEqual(try producer.deliver([(id: "after-fuzz", body: try XCTUnwrap(final.first).body)], timeout: 60)["after-fuzz"],
                       .ack(batchID: "after-fuzz", rows: 100), second.output)

        second.kill(SIGTERM)
        XCTAssertTrue(second.waitForExit(timeout: 60), second.output)
        XCTAssertEqual(second.process.terminationStatus, 0, second.output)
        let counters = try XCTUnwrap(second.output.split(separator: "\n").last { $0.hasPrefix(MessageCounters.logPrefix) }, second.output)
        let snapshot = try JSONDecoder().decode(MessageCounters.Snapshot.self, from: Data(counters.dropFirst(MessageCounters.logPrefix.count).utf8))
        for reason in ["frames", "command", "batch id", "refused batch"] {
            XCTAssertGreaterThanOrEqual(snapshot.dropped[reason] ?? 0, 1, "\(reason): \(snapshot)")
        }
        XCTAssertGreaterThanOrEqual(snapshot.dropped.values.reduce(0, +), 100, "most fuzzed messages are dropped: \(snapshot)")
        XCTAssertTrue(second.output.contains("churn@production now names churn@2"), second.output)

        // Secured by CURVE, a bind other hosts can reach is allowed, and only an admitted producer gets in.
        let generated = try engage.run(["keys", "generate", "--out", "keys", "--name", "producer-1"], in: directory)
        XCTAssertEqual(generated.status, 0, generated.output)
        let secured = try engage.start(["stream", "--model", "churn@production", "--from", "zmq:tcp://0.0.0.0:*", "--keys", "keys",
                                        "--batch", "100", "--max-wait", "200ms", "--db", "secured.sqlite"], in: directory, log: "stream-3.log")
        defer { secured.kill(SIGKILL) }
        let port = try XCTUnwrap(try listening(secured).split(separator: ":").last, secured.output)
        let local = "tcp://127.0.0.1:\(port)"
        let keys = CurveKeyDirectory(path: directory + "/keys")
        let serverKey = try keys.coordinatorPublicKey()
        let body = try XCTUnwrap(final.first).body
        let admitted = try StreamProducer(connect: local, curve: (serverKey, try keys.worker("producer-1").keyPair()))
        XCTAssertEqual(try admitted.deliver([(id: "curve-1", body: body)], timeout: 60)["curve-1"], .ack(batchID: "curve-1", rows: 100), secured.output)
        let stranger = try StreamProducer(connect: local, curve: (serverKey, try CurveKeyPair.generate()))
        XCTAssertThrowsError(try stranger.deliver([(id: "curve-2", body: body)], resendAfter: 1, timeout: 3), "a key not in allowed/ is refused")
        let open = try StreamProducer(connect: local)
        XCTAssertThrowsError(try open.deliver([(id: "curve-3", body: body)], resendAfter: 1, timeout: 3), "a producer without CURVE is refused")
        secured.kill(SIGTERM)
        XCTAssertTrue(secured.waitForExit(timeout: 60), secured.output)
        XCTAssertEqual(secured.process.terminationStatus, 0, secured.output)
        XCTAssertTrue(secured.output.contains("CURVE: refused a producer"), secured.output)
        XCTAssertTrue(secured.output.contains("\"inserted\":100"), secured.output)
    }

    /// SIGKILLs `child` as soon as the stream database holds `threshold` predictions, and returns
    /// how many it held then; fails when the stream ends first.
    private func killed(_ child: EngageBinary.Child, onceScored threshold: Int, in database: String) throws -> Int {
        var killedAt: Int?
        let deadline = Date().addingTimeInterval(240)
        while Date() < deadline, child.process.isRunning {
            let scored = (try? predictions(database)) ?? 0
            if scored >= threshold {
                child.kill(SIGKILL)
                killedAt = scored
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        XCTAssertTrue(child.waitForExit(timeout: 10))
        return try XCTUnwrap(killedAt, "the stream was not caught mid-way:\n\(child.output)")
    }

    private func listening(_ child: EngageBinary.Child) throws -> String {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, child.process.isRunning {
            if let range = child.output.range(of: #"stream listening on (tcp://[0-9.]+:[0-9]+)"#, options: .regularExpression) {
                return child.output[range].replacingOccurrences(of: "stream listening on ", with: "")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw HarnessError("the stream did not bind:\n\(child.output)")
    }
}

/// The producer thread's outcome, handed to the test's thread.
private final class Delivery: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var outcome: ([String: StreamFrames.Reply], Int, Error?)?

    func finish(replies: [String: StreamFrames.Reply], resends: Int, failure: Error?) {
        lock.withLock { outcome = (replies, resends, failure) }
        done.signal()
    }

    func wait(timeout: Double) -> ([String: StreamFrames.Reply], Int, Error?)? {
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        return lock.withLock { outcome }
    }
}
