import Dataset
import Foundation
import Logging
import ModelZoo
import Registry
import Serving
import ServingHTTP
import TestSupport
import XCTest

/// One registry trained by the real `engage run` (all six models, small), plus a second run of
/// churn and engagement (more trees: another artifact) and customer rows from `engage generate`,
/// shared by every serve test of the process.
final class ServeFixture: @unchecked Sendable {
    let directory: String
    let registryPath: String
    let customersPath: String
    let engage: EngageBinary

    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: Result<ServeFixture, any Error>?

    static func shared() throws -> ServeFixture {
        lock.lock()
        defer { lock.unlock() }
        if made == nil { made = Result { try ServeFixture() } }
        return try made!.get()
    }

    private init() throws {
        engage = try EngageBinary.locate()
        directory = try makeTemporaryDirectory("serve")
        _ = try smallClusterFile(in: directory, rows: 2000, models: sixModels(trees: 20, leaves: 15, shapRows: 50, permutationRows: 100,
                                                                             forestTrees: 30, autoencoderEpochs: 1, factors: 4))
        let first = try engage.run(["run", "--config", "cluster.yaml", "--quiet"], in: directory, timeout: 600)
        guard first.status == 0 else { throw HarnessError("engage run failed:\n\(first.output)") }
        let second = (directory as NSString).appendingPathComponent("second")
        try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: true)
        _ = try smallClusterFile(in: second, rows: 2000, trees: 25)
        let secondConfig = try String(contentsOfFile: (second as NSString).appendingPathComponent("cluster.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "path: registry/engage.sqlite", with: "path: ../registry/engage.sqlite")
        try secondConfig.write(toFile: (second as NSString).appendingPathComponent("cluster.yaml"), atomically: true, encoding: .utf8)
        let rerun = try engage.run(["run", "--config", "cluster.yaml", "--quiet"], in: second, timeout: 600)
        guard rerun.status == 0 else { throw HarnessError("second engage run failed:\n\(rerun.output)") }
        let generated = try engage.run(["generate", "--rows", "60", "--seed", "5", "--out", "requests"], in: directory)
        guard generated.status == 0 else { throw HarnessError("engage generate failed:\n\(generated.output)") }
        registryPath = (directory as NSString).appendingPathComponent("registry/engage.sqlite")
        customersPath = (directory as NSString).appendingPathComponent("requests/customers.csv")
    }

    func registry() throws -> ModelRegistry { try ModelRegistry.openExisting(path: registryPath) }

    /// The request customers as `engage predict` reads them for `model`.
    func customers(for model: TrainedModel) throws -> Table {
        try CSV.read(path: customersPath, categorical: Set(model.header.schema.features.filter(\.categorical).map(\.name)))
    }

    /// The same customers as JSON-ready records of raw values (what a client sends).
    func records(rows: Range<Int>? = nil) throws -> [[String: FeatureValue]] {
        let table = try CSV.read(path: customersPath)
        let range = rows ?? 0..<table.rowCount
        return range.map { row in
            Dictionary(uniqueKeysWithValues: zip(table.names, table.columns).map { name, column -> (String, FeatureValue) in
                switch column {
                case .numeric(let values): return (name, values[row].isFinite ? .number(values[row]) : .missing)
                case .categorical(let codes, let levels): return (name, codes[row] < 0 ? .missing : .text(levels[Int(codes[row])]))
                }
            })
        }
    }
}

/// A real `InferenceServer` on an ephemeral loopback port, run in-process; stopped by `stop()`.
final class RunningServer: @unchecked Sendable {
    let server: InferenceServer
    let port: Int
    private let task: Task<Void, any Error>

    init(catalog: ModelCatalog, settings: ServeSettings = ServeSettings(bind: try! ServeBind(parsing: "127.0.0.1:0"))) async throws {
        var logger = Logger(label: "serve-test")
        logger.logLevel = .warning
        let server = try InferenceServer(catalog: catalog, settings: settings, logger: logger)
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        task = Task { try await server.run { port in continuation.yield(port) } }
        var bound: Int?
        for await port in stream {
            bound = port
            break
        }
        self.server = server
        guard let bound, bound > 0 else { throw HarnessError("the server did not report a port") }
        port = bound
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }
}
