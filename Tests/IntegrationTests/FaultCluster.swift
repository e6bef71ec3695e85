import Foundation
import Registry
import TestSupport
import XCTest

/// One CURVE cluster across network namespaces for one row of the fault table: a coordinator on
/// a fixed port (so `--resume` binds where the workers look) and three workers, each in its own
/// namespace, whose processes the scenario kills, stops, throttles or cuts off.
final class FaultCluster {
    static let port = 47_123
    let engage: EngageBinary
    let network: NamespaceNetwork
    let directory: String
    private let ip = EngageBinary(path: NamespaceNetwork.ip)
    private(set) var coordinator: EngageBinary.Child!
    private(set) var workers: [EngageBinary.Child?]
    private var coordinatorLogs = 0

    init(engage: EngageBinary, name: String, rows: Int, trees: Int) throws {
        self.engage = engage
        network = try NamespaceNetwork.createOrSkip(workers: 3)
        workers = Array(repeating: nil, count: network.workers.count)
        do {
            directory = try makeTemporaryDirectory("fault-\(name)")
            XCTAssertEqual(try engage.run(["keys", "generate", "--out", "keys", "--workers", "\(network.workers.count)"], in: directory).status, 0)
            let gbdt = "trees: \(trees), leaves: 15, shap_rows: 50, permutation_rows: 100"
            _ = try smallClusterFile(in: directory, rows: rows, workers: 0, models: """
              engagement:     { kind: gbdt, objective: regression, target: engagement_score, \(gbdt) }
              churn:          { kind: gbdt, objective: binary, target: churn_30_day, \(gbdt) }
              lifetime_value: { kind: gbdt, objective: regression, target: lifetime_value_usd, \(gbdt) }
              churn_fast:     { kind: gbdt, objective: binary, target: churn_30_day, trees: \(max(1, trees / 2)), leaves: 15, shap_rows: 50, permutation_rows: 100 }
            """, security: "{ curve: true, keys: keys/ }")
            try startCoordinator()
        } catch {
            network.destroy()
            throw error
        }
    }

    func destroy() {
        coordinator?.kill()
        workers.forEach { $0?.kill() }
        network.destroy()
    }

    /// Starts (or, with `resume`, restarts) the coordinator in its namespace on ``port``.
    func startCoordinator(resume runID: String? = nil) throws {
        coordinatorLogs += 1
        let arguments = ["--config", "cluster.yaml", "--bind", "tcp://0.0.0.0:\(Self.port)"] + (runID.map { ["--resume", $0] } ?? [])
        (coordinator, _) = try ip.startCoordinator(arguments, in: directory, log: "coordinator-\(coordinatorLogs).log",
                                                   launcher: ["netns", "exec", network.coordinator, engage.path])
    }

    /// Starts worker `index` (0-based) in its namespace, `worker-N` by key and name.
    @discardableResult
    func startWorker(_ index: Int) throws -> EngageBinary.Child {
        let worker = network.workers[index]
        let child = try ip.start(["netns", "exec", worker.namespace, engage.path, "worker", "--connect", "tcp://\(worker.coordinatorAddress):\(Self.port)",
                                  "--keys", "keys", "--name", "worker-\(index + 1)", "--threads", "1", "--cache", "cache-\(index + 1)"],
                                 in: directory, log: "worker-\(index + 1).log")
        workers[index] = child
        return child
    }

    /// Waits until `text` shows in what `child` logged; false after `timeout` seconds.
    @discardableResult
    func wait(for text: String, in child: @autoclosure () -> EngageBinary.Child?, timeout: TimeInterval = 300) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if child()?.output.contains(text) == true { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    func signal(_ index: Int, _ signal: Int32) {
        workers[index]?.kill(signal)
    }

    /// Bytes waiting in the TCP send queues of a worker's namespace (`ss -tn` Send-Q): a RESULT
    /// still on its way shows here.
    func sendQueueBytes(of worker: NamespaceNetwork.Worker) -> Int {
        guard let result = try? NamespaceNetwork.run(NamespaceNetwork.ip, ["netns", "exec", worker.namespace, "ss", "-tnH"]) else { return -1 }
        return result.output.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count > 2 ? Int(fields[2]) : nil
        }.reduce(0, +)
    }

    /// CPU seconds process `pid` has used (utime + stime from /proc).
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Everything every coordinator of this cluster logged, in order.
    var coordinatorOutput: String {
        (1...coordinatorLogs).map { (try? String(contentsOfFile: (directory as NSString).appendingPathComponent("coordinator-\($0).log"), encoding: .utf8)) ?? "" }
            .joined(separator: "\n")
    }

    /// What the registry says of the run: the fault table's columns.
    func measure(scenario: String, how: String, completed: Bool) throws -> FaultRow {
        let registry = try ModelRegistry.openReadOnly(path: (directory as NSString).appendingPathComponent("registry/engage.sqlite"))
        guard let run = try registry.runs().last else { return FaultRow(scenario: scenario, how: how, completed: false, jobs: 0, lost: -1, duplicates: -1, extraAttempts: -1, backups: -1) }
        let jobs = try registry.jobs(runID: run.id)
        let versions = try registry.versions().filter { $0.runID == run.id }
        let perModel = Dictionary(grouping: versions, by: \.model)
        let output = coordinatorOutput
        let backups = output.components(separatedBy: "(backup copy:").count - 1
        let handedOut = output.split(separator: "\n").filter { $0.range(of: #" attempt [0-9]+ → "#, options: .regularExpression) != nil }.count
        return FaultRow(scenario: scenario, how: how, completed: completed && run.status == .succeeded, jobs: jobs.count,
                        lost: jobs.filter { $0.status != .done }.count,
                        duplicates: perModel.values.map { $0.count - 1 }.reduce(0, +),
                        extraAttempts: max(0, handedOut - jobs.count), backups: backups)
    }
}

/// One measured row of the fault table.
struct FaultRow {
    var scenario: String
    var how: String
    var completed: Bool
    var jobs: Int
    var lost: Int
    var duplicates: Int
    var extraAttempts: Int
    var backups: Int
    var seconds = 0.0

    static func markdown(_ rows: [FaultRow]) -> String {
        var lines = ["| fault | how it was applied | run completed | jobs | lost jobs | duplicate versions | extra attempts (incl. backups) | backups | seconds |",
                     "|---|---|---|---|---|---|---|---|---|"]
        for row in rows {
            lines.append("| \(row.scenario) | \(row.how) | \(row.completed ? "yes" : "NO") | \(row.jobs) | \(row.lost) | \(row.duplicates) | \(row.extraAttempts) | \(row.backups) | \(String(format: "%.0f", row.seconds)) |")
        }
        return lines.joined(separator: "\n")
    }
}

/// Holds a process to a share of one CPU with a cgroup-v1 CFS quota (10 ms periods, so its
/// I/O thread still gets a slice often enough to heartbeat): an OS means of making a
/// worker slow, not a debug knob in engage.
struct CPUQuota {
    let path: String

    init?(percent: Int) {
        let root = "/sys/fs/cgroup/cpu"
        guard FileManager.default.fileExists(atPath: root) else { return nil }
        path = "\(root)/engage-slow-\(UInt16.random(in: 0...UInt16.max))"
        guard (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)) != nil,
              (try? "10000".write(toFile: "\(path)/cpu.cfs_period_us", atomically: false, encoding: .utf8)) != nil,
              (try? "\(percent * 100)".write(toFile: "\(path)/cpu.cfs_quota_us", atomically: false, encoding: .utf8)) != nil else { return nil }
    }

    func add(_ pid: Int32) throws {
        try "\(pid)".write(toFile: "\(path)/cgroup.procs", atomically: false, encoding: .utf8)
    }

    func remove() { rmdir(path) }
}
