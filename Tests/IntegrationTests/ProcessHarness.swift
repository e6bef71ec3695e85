import Foundation
import XCTest

/// Starts the real `engage` binary (built by `swift build` next to the test bundle) as child processes.
struct EngageBinary {
    let path: String

    static func locate() throws -> EngageBinary {
        if let explicit = ProcessInfo.processInfo.environment["ENGAGE_BIN"] { return EngageBinary(path: explicit) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("engage").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return EngageBinary(path: candidate) }
            directory = directory.deletingLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/engage").path
        guard FileManager.default.isExecutableFile(atPath: fallback) else {
            throw XCTSkip("the engage executable was not built; run `swift build` before `swift test` (make test does)")
        }
        return EngageBinary(path: fallback)
    }

    /// A started process whose output is collected into a file.
    final class Child: @unchecked Sendable {
        let process: Process
        let logPath: String

        init(process: Process, logPath: String) {
            self.process = process
            self.logPath = logPath
        }

        var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

        func waitForExit(timeout: TimeInterval) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            return !process.isRunning
        }

        func kill(_ signal: Int32 = SIGKILL) {
            if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
        }
    }

    func start(_ arguments: [String], in directory: String, log: String) throws -> Child {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let logPath = (directory as NSString).appendingPathComponent(log)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return Child(process: process, logPath: logPath)
    }

    /// Runs to completion; returns the exit status and everything printed.
    func run(_ arguments: [String], in directory: String, timeout: TimeInterval = 300) throws -> (status: Int32, output: String) {
        let child = try start(arguments, in: directory, log: "out-\(UUID().uuidString.prefix(8)).log")
        if !child.waitForExit(timeout: timeout) {
            child.kill()
            _ = child.waitForExit(timeout: 5)
            XCTFail("engage \(arguments.joined(separator: " ")) did not finish in \(timeout) s:\n\(child.output)")
        }
        return (child.process.terminationStatus, child.output)
    }
}

/// A test's precondition that failed for a reason the test must report, not skip: a process that
/// did not start, a run that could not be caught mid-way.
struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func makeTemporaryDirectory(_ name: String) throws -> String {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("engage-\(name)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The `models:` section of all six models, small enough for tests: GBDTs of `trees` trees with
/// `leaves` leaves, an anomaly forest of `forestTrees`, a one-epoch NeuMF of `factors` factors.
func sixModels(trees: Int, leaves: Int, shapRows: Int, permutationRows: Int, forestTrees: Int, autoencoderEpochs: Int, factors: Int) -> String {
    let gbdt = "trees: \(trees), leaves: \(leaves), shap_rows: \(shapRows), permutation_rows: \(permutationRows)"
    return """
      engagement:     { kind: gbdt, objective: regression, target: engagement_score, \(gbdt) }
      churn:          { kind: gbdt, objective: binary, target: churn_30_day, shap: true, \(gbdt) }
      lifetime_value: { kind: gbdt, objective: quantile, target: lifetime_value_usd, \(gbdt) }
      anomaly:        { kind: anomaly, target: is_anomaly, trees: \(forestTrees), epochs: \(autoencoderEpochs) }
      recommender:    { kind: ncf, epochs: 1, factors: \(factors), layers: [\(2 * factors), \(factors)] }
      ensemble:       { kind: stacking, inputs: [engagement, churn, lifetime_value, anomaly, recommender], reference: churn }
    """
}

/// A small, fast cluster file for tests: few rows, few trees, short heartbeats.
func smallClusterFile(in directory: String, rows: Int = 5000, workers: Int = 2, trees: Int = 30, models: String? = nil, heartbeatMs: Int = 500) throws -> String {
    let text = """
    cluster:
      coordinator: { bind: "tcp://127.0.0.1:*", heartbeat_ms: \(heartbeatMs), liveness: 6, max_attempts: 3 }
      hosts:
        - { host: localhost, workers: \(workers), threads: 1 }
    data: { source: generate, rows: \(rows), seed: 11, shards: 4, test_fraction: 0.2, folds: 2 }
    registry: { path: registry/engage.sqlite }
    work_dir: work
    models:
    \(models ?? """
      engagement: { kind: gbdt, objective: regression, target: engagement_score, trees: \(trees), leaves: 15, shap_rows: 100, permutation_rows: 300 }
      churn:      { kind: gbdt, objective: binary, target: churn_30_day, trees: \(trees), leaves: 15, shap: true, shap_rows: 100, permutation_rows: 300 }
    """)
    """
    let path = (directory as NSString).appendingPathComponent("cluster.yaml")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
