import ArgumentParser
import Coordinator
import Foundation
import Logging
import Registry
import Serving
import ServingHTTP

/// `engage serve`: answers for registry versions over HTTP (Open Inference Protocol V2 and V1
/// records), swapping versions as their references move.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve registry models over HTTP (Open Inference Protocol V2, V1 records), with hot swap when an alias or stage moves.",
        discussion: "Each flag overrides the `serve:` section of the cluster file. A bind other hosts can reach needs --api-key-file. See docs/serving.md.")

    @Option(name: .shortAndLong, help: "The cluster file (registry path and the serve: section).") var config = "cluster.yaml"
    @Option(help: "The registry (default: registry.path of the cluster file).") var registry: String?
    @Option(help: "A model to serve, as NAME@REF (churn@production, churn@champion, churn@3); repeatable.") var model: [String] = []
    @Option(help: "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks a free one).") var bind: String?
    @Option(help: "A file of bearer tokens, one a line (mode 600); required for a non-loopback bind.") var apiKeyFile: String?
    @Option(help: "Single-row requests scored together at most (1 = no batching).") var batchMaxRows: Int?
    @Option(help: "How long a single-row request waits for others to batch with, in milliseconds.") var batchMaxWaitMs: Double?
    @Option(help: "How often the served references are resolved again, in milliseconds (10–500).") var pollMs: Int?
    @Option(help: "Share of requests written to the registry's request log (0–1), which `engage drift --served` reads.") var logSample: Double?

    func run() throws {
        let (catalog, settings) = try failing { () throws -> (ModelCatalog, ServeSettings) in
            let cluster = try ClusterConfig.loadIfPresent(path: config)
            let file = cluster.serve ?? ServeConfig()
            let references = try (model.isEmpty ? file.models : model).map { text -> VersionReference in
                guard text.contains("@") else { throw CLIFailure(message: "--model \(text): name the version to serve, e.g. \(text)@production") }
                return try VersionReference(parsing: text)
            }
            guard !references.isEmpty else { throw CLIFailure(message: "nothing to serve: give --model NAME@REF (or serve.models in \(config))") }
            let poll = pollMs ?? file.pollMilliseconds
            guard (10...500).contains(poll) else { throw CLIFailure(message: "--poll-ms must be between 10 and 500 (got \(poll))") }
            let maxRows = batchMaxRows ?? file.batchMaxRows
            let maxWait = batchMaxWaitMs ?? file.batchMaxWaitMilliseconds
            guard maxRows >= 1, (0...1000).contains(maxWait) else { throw CLIFailure(message: "--batch-max-rows must be ≥ 1 and --batch-max-wait-ms within 0–1000") }
            let keyFile = apiKeyFile ?? file.apiKeyFile
            let settings = ServeSettings(bind: try ServeBind(parsing: bind ?? file.bind), apiKeys: try keyFile.map { try APIKeys(file: $0) },
                                         batch: FlushPolicy(maxRows: maxRows, maxWait: .microseconds(Int64(maxWait * 1000))),
                                         pollInterval: .milliseconds(poll), logSampleRate: logSample ?? file.logSample)
            guard (0...1).contains(settings.logSampleRate) else { throw CLIFailure(message: "--log-sample must be within 0–1") }
            let store = try ModelRegistry.openExisting(path: registry ?? cluster.registryPath)
            return (try ModelCatalog(registry: store, references: references), settings)
        }
        let logger = Logger(label: "engage.serve")
        let server = try failing { try InferenceServer(catalog: catalog, settings: settings, logger: logger) }
        for served in catalog.served {
            let header = served.current.trained.header
            FileHandle.standardOutput.write(Data("serving \(served.reference) = \(served.current.label) (\(header.kind.rawValue), \(header.objective.rawValue))\n".utf8))
        }
        let finished = ServeOutcome()
        let task = Task {
            do {
                try await server.run { port in
                    let host = settings.bind.host.contains(":") ? "[\(settings.bind.host)]" : settings.bind.host
                    FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
                }
            } catch is CancellationError {
            } catch {
                finished.error = error
            }
            finished.done.signal()
        }
        let signals = [SIGTERM, SIGINT].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
        finished.done.wait()
        signals.forEach { $0.cancel() }
        if let error = finished.error {
            FileHandle.standardError.write(Data("error: \(CLIFailure(error).description)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// How the server task ended, handed from the task to the command's thread (which waits on `done`).
private final class ServeOutcome: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    var error: (any Error)?
}
