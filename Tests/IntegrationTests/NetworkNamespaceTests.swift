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
        let network = try NamespaceNetwork.create()
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

/// Three network namespaces of this test's own: the coordinator's, linked to each worker's by a
/// veth pair on a /24 of 10.200.x.0. Removed again by ``destroy()``, which also ends what runs inside.
struct NamespaceNetwork {
    static let ip = "/usr/sbin/ip"

    struct Worker {
        let namespace: String
        /// The coordinator's address on this worker's link.
        let coordinatorAddress: String
    }

    let coordinator: String
    let workers: [Worker]

    /// Skips (with the reason) where namespaces cannot be made: not root, or `ip netns add` refused.
    static func create() throws -> NamespaceNetwork {
        guard getuid() == 0 else { throw XCTSkip("needs root: `ip netns add` requires CAP_SYS_ADMIN (running as uid \(getuid()))") }
        guard FileManager.default.isExecutableFile(atPath: ip) else { throw XCTSkip("\(ip) not found (install iproute2)") }
        let tag = String(UInt16.random(in: 0...UInt16.max), radix: 16)
        let network = NamespaceNetwork(coordinator: "engage-c-\(tag)",
                                       workers: (1...2).map { Worker(namespace: "engage-w\($0)-\(tag)", coordinatorAddress: "10.200.\($0).1") })
        let probe = try run(["netns", "add", network.coordinator])
        guard probe.status == 0 else { throw XCTSkip("`ip netns add` is not permitted here: \(probe.output.trimmingCharacters(in: .whitespacesAndNewlines))") }
        do {
            try network.link()
        } catch {
            network.destroy()
            throw error
        }
        return network
    }

    private func link() throws {
        try Self.must(["-n", coordinator, "link", "set", "lo", "up"])
        for (index, worker) in workers.enumerated() {
            let subnet = index + 1
            let near = "ec\(subnet)-\(coordinator.suffix(4))", far = "ew\(subnet)-\(coordinator.suffix(4))"
            try Self.must(["netns", "add", worker.namespace])
            try Self.must(["link", "add", near, "netns", coordinator, "type", "veth", "peer", "name", far, "netns", worker.namespace])
            try Self.must(["-n", coordinator, "addr", "add", "10.200.\(subnet).1/24", "dev", near])
            try Self.must(["-n", worker.namespace, "addr", "add", "10.200.\(subnet).2/24", "dev", far])
            for (namespace, device) in [(coordinator, near), (worker.namespace, far), (worker.namespace, "lo")] {
                try Self.must(["-n", namespace, "link", "set", device, "up"])
            }
        }
    }

    /// Kills whatever still runs in the namespaces and deletes them (their veths go with them).
    func destroy() {
        for namespace in [coordinator] + workers.map(\.namespace) {
            if let pids = try? Self.run(["netns", "pids", namespace]).output {
                for pid in pids.split(whereSeparator: \.isNewline).compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            }
            _ = try? Self.run(["netns", "del", namespace])
        }
    }

    private static func must(_ arguments: [String]) throws {
        let result = try run(arguments)
        guard result.status == 0 else { throw HarnessError("ip \(arguments.joined(separator: " ")) failed: \(result.output)") }
    }

    private static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
