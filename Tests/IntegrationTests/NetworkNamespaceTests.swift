import Foundation
import Registry
import TestSupport
import XCTest

/// A CURVE cluster across network namespaces: the coordinator in one, each worker in another,
/// joined by veth pairs (10.200.1.0/24 and 10.200.2.0/24), so the traffic really leaves the
/// coordinator's network stack and loopback plays no part. Needs root (`ip netns add`).
final class NetworkNamespaceTests: XCTestCase {
    func testACurveRunAcrossNamespaces() throws {
        try runAcrossNamespaces(rows: 3000, trees: 10)
    }

    func testACurveRunOfAHundredThousandRowsAcrossNamespaces() throws {
        guard ProcessInfo.processInfo.environment["ENGAGE_LONG_TESTS"] == "1" else {
            throw XCTSkip("set ENGAGE_LONG_TESTS=1 to run 100,000 rows across network namespaces")
        }
        try runAcrossNamespaces(rows: 100_000, trees: 30)
    }

    private func runAcrossNamespaces(rows: Int, trees: Int) throws {
        let engage = try EngageBinary.locate()
        let network = try NamespaceNetwork.createOrSkip()
        defer { network.destroy() }
        let directory = try makeTemporaryDirectory("netns")
        XCTAssertEqual(try engage.run(["keys", "generate", "--out", "keys", "--workers", "2"], in: directory).status, 0)
        _ = try smallClusterFile(in: directory, rows: rows, workers: 0, models: """
          engagement: { kind: gbdt, objective: regression, target: engagement_score, trees: \(trees), leaves: 15, shap_rows: 50, permutation_rows: 100 }
          churn:      { kind: gbdt, objective: binary, target: churn_30_day, trees: \(trees), leaves: 15, shap_rows: 50, permutation_rows: 100 }
        """, security: "{ curve: true, keys: keys/ }")

        let ip = EngageBinary(path: NamespaceNetwork.ip)
        let (coordinator, endpoint) = try ip.startCoordinator(["--config", "cluster.yaml", "--bind", "tcp://0.0.0.0:*"], in: directory,
                                                              launcher: ["netns", "exec", network.coordinator, engage.path])
        defer { coordinator.kill() }
        let port = try XCTUnwrap(endpoint.split(separator: ":").last)
        let workers = try network.workers.enumerated().map { index, worker in
            try ip.start(["netns", "exec", worker.namespace, engage.path, "worker", "--connect", "tcp://\(worker.coordinatorAddress):\(port)",
                          "--keys", "keys", "--name", "worker-\(index + 1)", "--threads", "1", "--cache", "cache-\(index + 1)"],
                         in: directory, log: "worker-\(index + 1).log")
        }
        defer { workers.forEach { $0.kill() } }

        XCTAssertTrue(coordinator.waitForExit(timeout: rows > 10_000 ? 900 : 300), coordinator.output)
        XCTAssertEqual(coordinator.process.terminationStatus, 0, coordinator.output)
        for (index, worker) in network.workers.enumerated() {
            XCTAssertTrue(coordinator.output.contains("worker worker-\(index + 1) joined"), coordinator.output)
            XCTAssertTrue(workers[index].output.contains("connecting to tcp://\(worker.coordinatorAddress):"), workers[index].output)
        }
        let registry = try ModelRegistry.openReadOnly(path: (directory as NSString).appendingPathComponent("registry/engage.sqlite"))
        XCTAssertEqual(try registry.versions().count, 2)
    }
}
