import Foundation
import Registry
import TestSupport
import Wire
import XCTest

/// A secured cluster with real processes on loopback: CURVE keys from `engage keys generate`,
/// an unknown key refused, a key added while the coordinator runs admitted, and the refusal of
/// a network bind without CURVE.
final class CurveClusterTests: XCTestCase {
    static let twoModels = """
      engagement: { kind: gbdt, objective: regression, target: engagement_score, trees: 10, leaves: 7, shap_rows: 50, permutation_rows: 100 }
      churn:      { kind: gbdt, objective: binary, target: churn_30_day, trees: 10, leaves: 7, shap_rows: 50, permutation_rows: 100 }
    """

    /// `engage keys generate --workers 2`, then `engage run` with `curve: true` works as it is.
    func testEngageRunWithCurveWorksAfterKeysGenerate() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("curve-run")
        XCTAssertEqual(try engage.run(["keys", "generate", "--out", "keys", "--workers", "2"], in: directory).status, 0)
        _ = try smallClusterFile(in: directory, rows: 3000, workers: 2, models: Self.twoModels, security: "{ curve: true, keys: keys/ }")
        let run = try engage.run(["run", "--config", "cluster.yaml"], in: directory)
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("CURVE on: admitting the 2 key(s)"), run.output)
        XCTAssertTrue(run.output.contains("2 new versions"), run.output)
    }

    /// An unknown key gets no WELCOME, no job and no shard, and is counted and logged; a key
    /// added to allowed/ while the coordinator runs (folder change, then SIGHUP) is admitted
    /// and, with a generated key, finishes the run.
    func testUnknownKeyIsRefusedAndAnAddedKeyIsAdmitted() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("curve-refuse")
        XCTAssertEqual(try engage.run(["keys", "generate", "--out", "keys", "--workers", "1"], in: directory).status, 0)
        XCTAssertEqual(try engage.run(["keys", "generate", "--out", "stranger", "--name", "intruder"], in: directory).status, 0)
        try FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent("stranger/coordinator.key"))
        try FileManager.default.copyItem(atPath: (directory as NSString).appendingPathComponent("keys/coordinator.key"),
                                         toPath: (directory as NSString).appendingPathComponent("stranger/coordinator.key"))
        let intruderKey = try CurveKeyDirectory(path: (directory as NSString).appendingPathComponent("stranger")).worker("intruder")
        _ = try smallClusterFile(in: directory, rows: 3000, workers: 0, models: Self.twoModels, security: "{ curve: true, keys: keys/ }")
        let (coordinator, endpoint) = try engage.startCoordinator(in: directory)
        defer { coordinator.kill() }

        let intruder = try engage.start(["worker", "--connect", endpoint, "--keys", "stranger", "--name", "intruder", "--cache", "cache-intruder"],
                                        in: directory, log: "intruder.log")
        defer { intruder.kill() }
        try waitFor("the refusal", in: coordinator) { $0.contains("refused a CURVE handshake") && $0.contains("key \(intruderKey.fingerprint)") }

        XCTAssertEqual(try engage.run(["keys", "generate", "--out", "keys", "--name", "late"], in: directory).status, 0)
        try waitFor("the reload", in: coordinator) { $0.contains("allowed keys reloaded (folder change): 2 allowed; added late.key") }
        coordinator.kill(SIGHUP)
        try waitFor("the SIGHUP reload", in: coordinator) { $0.contains("allowed keys reloaded (SIGHUP)") }

        let late = try startWorker(engage, endpoint, key: "late", in: directory)
        defer { late.kill() }
        XCTAssertTrue(coordinator.waitForExit(timeout: 300), coordinator.output)
        XCTAssertEqual(coordinator.process.terminationStatus, 0, coordinator.output)
        XCTAssertTrue(coordinator.output.contains("worker late joined"), coordinator.output)
        XCTAssertTrue(coordinator.output.range(of: #"[0-9]+ CURVE handshake\(s\) refused"#, options: .regularExpression) != nil, coordinator.output)

        XCTAssertFalse(coordinator.output.contains("worker intruder"), coordinator.output)
        XCTAssertFalse(intruder.output.contains("welcomed"), intruder.output)
        let cached = (try? FileManager.default.contentsOfDirectory(atPath: (directory as NSString).appendingPathComponent("cache-intruder"))) ?? []
        XCTAssertTrue(cached.allSatisfy { !$0.hasSuffix(".shard") }, "the intruder received shards: \(cached)")
        let registry = try ModelRegistry.openReadOnly(path: (directory as NSString).appendingPathComponent("registry/engage.sqlite"))
        let versions = try registry.versions()
        XCTAssertEqual(versions.count, 2)
        XCTAssertTrue(versions.allSatisfy { $0.worker.hasPrefix("late@") }, "\(versions.map(\.worker))")
    }

    /// CURVE authenticates a connection once, so removing a key from allowed/ also drops the
    /// worker already admitted with it: it is told to leave (BYE "key revoked") and exits.
    func testARemovedKeyDropsItsConnectedWorker() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("curve-revoke")
        XCTAssertEqual(try engage.run(["keys", "generate", "--out", "keys", "--workers", "2"], in: directory).status, 0)
        _ = try smallClusterFile(in: directory, rows: 3000, workers: 0, models: """
          churn: { kind: gbdt, objective: binary, target: churn_30_day, trees: 300, leaves: 15, shap_rows: 50, permutation_rows: 100 }
        """, security: "{ curve: true, keys: keys/ }")
        let (coordinator, endpoint) = try engage.startCoordinator(in: directory)
        defer { coordinator.kill() }
        let revoked = try startWorker(engage, endpoint, key: "worker-1", in: directory)
        defer { revoked.kill() }
        try waitFor("worker-1's HELLO", in: coordinator) { $0.contains("worker worker-1 joined") }
        try FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent("keys/allowed/worker-1.key"))
        try waitFor("the revocation", in: coordinator) { $0.contains("was removed from allowed/: told to leave") }
        XCTAssertTrue(revoked.waitForExit(timeout: 10), revoked.output)
        XCTAssertTrue(revoked.output.contains("key revoked"), revoked.output)

        let kept = try startWorker(engage, endpoint, key: "worker-2", in: directory)
        defer { kept.kill() }
        XCTAssertTrue(coordinator.waitForExit(timeout: 300), coordinator.output)
        XCTAssertEqual(coordinator.process.terminationStatus, 0, coordinator.output)
        XCTAssertTrue(coordinator.output.contains("worker worker-2 joined"), coordinator.output)
    }

    /// Without CURVE, a bind other hosts can reach is refused before anything binds, saying why
    /// and how to set up keys; `--insecure` allows it.
    func testNetworkBindWithoutCurveNeedsInsecure() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("insecure")
        _ = try smallClusterFile(in: directory, rows: 500, workers: 0, models: Self.twoModels)
        let refused = try engage.run(["coordinator", "--config", "cluster.yaml", "--bind", "tcp://0.0.0.0:*"], in: directory, timeout: 60)
        XCTAssertNotEqual(refused.status, 0, refused.output)
        for phrase in ["refusing to bind tcp://0.0.0.0:*", "shards of customer data", "register model versions",
                       "engage keys generate --out keys --workers N", "security: { curve: true, keys: keys/ }", "--insecure"] {
            XCTAssertTrue(refused.output.contains(phrase), "missing '\(phrase)' in:\n\(refused.output)")
        }
        XCTAssertFalse(refused.output.contains("listening on"), refused.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("work/shards")), "refused after preparing data")

        let (allowed, endpoint) = try engage.startCoordinator(["--config", "cluster.yaml", "--bind", "tcp://0.0.0.0:*", "--insecure"], in: directory)
        allowed.kill()
        XCTAssertTrue(endpoint.hasPrefix("tcp://0.0.0.0:"), endpoint)
        XCTAssertTrue(allowed.output.contains("without CURVE (--insecure)"), allowed.output)
    }

    /// `engage worker` with the key `keys/workers/KEY.key_secret`, logging to `KEY.log`.
    private func startWorker(_ engage: EngageBinary, _ endpoint: String, key: String, in directory: String) throws -> EngageBinary.Child {
        try engage.start(["worker", "--connect", endpoint, "--keys", "keys", "--name", key, "--threads", "1", "--cache", "cache-\(key)"],
                         in: directory, log: "\(key).log")
    }

    private func waitFor(_ what: String, in child: EngageBinary.Child, timeout: TimeInterval = 60, _ condition: (String) -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(child.output) { return }
            if !child.process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw HarnessError("no \(what) within \(timeout) s:\n\(child.output)")
    }
}
