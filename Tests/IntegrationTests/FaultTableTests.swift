import Foundation
import TestSupport
import XCTest

/// The fault table of docs/operations.md, measured: one CURVE run across network namespaces per
/// fault, each row saying whether the run completed, how many jobs were lost (never done), how
/// many duplicate versions appeared, and the extra work (attempts beyond the first, backups).
/// Long suite only (`ENGAGE_LONG_TESTS=1`, as root).
final class FaultTableTests: XCTestCase {
    private let rows = 20_000
    private let trees = 80

    func testTheFaultTable() throws {
        guard ProcessInfo.processInfo.environment["ENGAGE_LONG_TESTS"] == "1" else {
            throw XCTSkip("set ENGAGE_LONG_TESTS=1 to measure the fault table (eight runs across network namespaces)")
        }
        let engage = try EngageBinary.locate()
        var table: [FaultRow] = []
        let only = ProcessInfo.processInfo.environment["ENGAGE_FAULTS"].map { Set($0.split(separator: ";").map(String.init)) }
        for (name, scenario) in scenarios where only?.contains(name) ?? true {
            let started = Date()
            let cluster = try FaultCluster(engage: engage, name: name, rows: rows, trees: trees)
            defer { cluster.destroy() }
            let how = try scenario(cluster)
            let completed = cluster.coordinator.waitForExit(timeout: 600) && cluster.coordinator.process.terminationStatus == 0
            var row = try cluster.measure(scenario: name, how: how, completed: completed)
            row.seconds = Date().timeIntervalSince(started)
            table.append(row)
            XCTAssertTrue(row.completed, "\(name): \(cluster.coordinatorOutput.suffix(4000))")
            XCTAssertEqual(row.lost, 0, name)
            XCTAssertEqual(row.duplicates, 0, name)
            if name == "slow worker (5×)" { XCTAssertGreaterThanOrEqual(row.backups, 1, "\(name): \(cluster.coordinatorOutput.suffix(4000))") }
        }
        print("\n## Fault table (\(rows) rows, 4 GBDT jobs, 3 workers, CURVE across network namespaces)\n\n\(FaultRow.markdown(table))\n")
    }

    /// Each fault as it is applied; returns how, for the table.
    private var scenarios: [(String, (FaultCluster) throws -> String)] {
        [
            ("SIGKILL during shard transfer", { cluster in
                let victim = cluster.network.workers[0]
                try cluster.network.throttle(victim.coordinatorDevice, in: cluster.network.coordinator, rate: "8mbit")
                let child = try cluster.startWorker(0)
                try (1...2).forEach { try cluster.startWorker($0) }
                XCTAssertTrue(cluster.wait(for: "to fetch", in: child))
                Thread.sleep(forTimeInterval: 0.5)
                let fetching = !child.output.contains(" 0 to fetch")
                cluster.signal(0, SIGKILL)
                return "CHUNKs to worker-1 throttled to 8 Mbit/s (tc tbf); SIGKILL 0.5 s after its first JOB asked for shards" + (fetching ? "" : " (it had them cached)")
            }),
            ("SIGKILL during training", { cluster in
                let child = try cluster.startWorker(0)
                try (1...2).forEach { try cluster.startWorker($0) }
                XCTAssertTrue(cluster.wait(for: "to fetch", in: child))
                let base = FaultCluster.cpuSeconds(child.process.processIdentifier)
                let deadline = Date().addingTimeInterval(120)
                while FaultCluster.cpuSeconds(child.process.processIdentifier) - base < 1, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
                cluster.signal(0, SIGKILL)
                return "SIGKILL once worker-1 had spent 1 CPU-second on its first job"
            }),
            ("SIGKILL with the result in flight", { cluster in
                let victim = cluster.network.workers[0]
                let child = try cluster.startWorker(0)
                try (1...2).forEach { try cluster.startWorker($0) }
                XCTAssertTrue(cluster.wait(for: "to fetch", in: child))
                // Training is the CPU-bound part: 2 CPU-seconds in, the shards are in. Then throttle the
                // uplink; once the CPU idles for 1 s, training is over and the RESULT crawls up the link.
                let pid = child.process.processIdentifier, base = FaultCluster.cpuSeconds(pid)
                let deadline = Date().addingTimeInterval(300)
                while FaultCluster.cpuSeconds(pid) - base < 2, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
                try cluster.network.throttle(victim.workerDevice, in: victim.namespace, rate: "200kbit")
                var last = FaultCluster.cpuSeconds(pid), idleSince = Date()
                while Date() < deadline, Date().timeIntervalSince(idleSince) < 1 {
                    Thread.sleep(forTimeInterval: 0.1)
                    let now = FaultCluster.cpuSeconds(pid)
                    if now - last > 0.02 { idleSince = Date() }
                    last = now
                }
                let queued = cluster.sendQueueBytes(of: victim)
                let arrived = cluster.coordinatorOutput.contains("by worker-1@")
                cluster.signal(0, SIGKILL)
                return "worker-1's uplink throttled to 200 kbit/s (tc tbf) once it trained; SIGKILL 1 s after its CPU went idle, with \(queued) bytes in its TCP send queue"
                    + (arrived ? " (the result had already arrived)" : " and no result at the coordinator")
            }),
            ("SIGSTOP past liveness, then SIGCONT", { cluster in
                try (0...2).forEach { try cluster.startWorker($0) }
                XCTAssertTrue(cluster.wait(for: "→ worker-1@", in: cluster.coordinator))
                Thread.sleep(forTimeInterval: 0.5)
                cluster.signal(0, SIGSTOP)
                XCTAssertTrue(cluster.wait(for: "declared dead", in: cluster.coordinator, timeout: 60))
                Thread.sleep(forTimeInterval: 1)
                cluster.signal(0, SIGCONT)
                return "SIGSTOP worker-1 0.5 s into its first job; SIGCONT 1 s after the coordinator declared it dead (3 s of silence)"
            }),
            ("link cut for 10 s", { cluster in
                try (0...2).forEach { try cluster.startWorker($0) }
                XCTAssertTrue(cluster.wait(for: "→ worker-1@", in: cluster.coordinator))
                Thread.sleep(forTimeInterval: 0.5)
                try cluster.network.setLink(of: cluster.network.workers[0], up: false)
                Thread.sleep(forTimeInterval: 10)
                try cluster.network.setLink(of: cluster.network.workers[0], up: true)
                return "`ip link set` worker-1's veth down 0.5 s into its first job, up 10 s later"
            }),
            ("coordinator SIGKILL, then --resume", { cluster in
                try (0...2).forEach { try cluster.startWorker($0) }
                XCTAssertTrue(cluster.wait(for: " done by ", in: cluster.coordinator))
                let log = try XCTUnwrap(cluster.workers[0]).output
                let runID = try XCTUnwrap(log.range(of: #"welcomed by coordinator \S+"#, options: .regularExpression).map { String(log[$0].split(separator: " ").last!) })
                cluster.coordinator.kill(SIGKILL)
                _ = cluster.coordinator.waitForExit(timeout: 10)
                try cluster.startCoordinator(resume: runID)
                XCTAssertTrue(cluster.wait(for: "worker worker-1 joined", in: cluster.coordinator, timeout: 120), "the workers reconnect by themselves")
                return "SIGKILL the coordinator after its first registered version; `engage coordinator --resume RUN` on the same port; the workers reconnect on their own"
            }),
            ("worker joins mid-run", { cluster in
                try (0...1).forEach { try cluster.startWorker($0) }
                XCTAssertTrue(cluster.wait(for: " done by ", in: cluster.coordinator))
                try cluster.startWorker(2)
                XCTAssertTrue(cluster.wait(for: "worker worker-3 joined", in: cluster.coordinator, timeout: 60))
                return "worker-3 started after the first version was registered"
            }),
            ("slow worker (5×)", { cluster in
                guard let quota = CPUQuota(percent: 10) else { throw XCTSkip("no cgroup-v1 cpu controller to slow a worker with") }
                let slow = try cluster.startWorker(0)
                defer {
                    slow.kill()
                    _ = slow.waitForExit(timeout: 5)
                    quota.remove()
                }
                try quota.add(slow.process.processIdentifier)
                XCTAssertTrue(cluster.wait(for: "→ worker-1@", in: cluster.coordinator))
                try (1...2).forEach { try cluster.startWorker($0) }
                XCTAssertTrue(cluster.coordinator.waitForExit(timeout: 600))
                return "worker-1 held to 10 % of one CPU (cgroup cpu.cfs_quota_us, 10 ms period), given the largest job first"
            }),
        ]
    }
}
