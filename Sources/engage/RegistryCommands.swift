import ArgumentParser
import Coordinator
import Foundation
import Registry

struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "registry", abstract: "Query the model registry.",
                                                    subcommands: [List.self, Show.self])

    struct Location: ParsableArguments {
        @Option(help: "The registry database (default: registry.path of the cluster file).")
        var registry: String?

        @Option(name: .shortAndLong, help: "The cluster file that names the registry.")
        var config = "cluster.yaml"

        @Flag(help: "Print JSON.")
        var json = false

        func open() throws -> ModelRegistry {
            if let registry { return try ModelRegistry.openReadOnly(path: registry) }
            let path = FileManager.default.fileExists(atPath: config) ? try ClusterConfig.load(path: config).registryPath : ClusterConfig(file: config).registryPath
            return try ModelRegistry.openReadOnly(path: path)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered versions.")
        @OptionGroup var location: Location
        @Option(help: "Only this model.") var model: String?

        func run() throws {
            try failing {
                let versions = try location.open().versions(model: model)
                if location.json {
                    print(String(decoding: try ModelVersion.jsonEncoder().encode(versions), as: UTF8.self))
                    return
                }
                let rows = versions.map { v in
                    [v.model, String(v.version), ISO8601DateFormatter().string(from: v.createdAt), v.metrics.filter { $0.split == "test" }
                        .map { "\($0.name)=\(format($0.value))" }.joined(separator: " "), v.aliases.joined(separator: ","), v.runID]
                }
                print(renderTable(header: ["model", "version", "created", "test metrics", "aliases", "run"], rows: rows))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one version: MODEL or MODEL@VERSION (latest when no version).")
        @OptionGroup var location: Location
        @Argument(help: "MODEL[@VERSION]") var reference: String

        func run() throws {
            try failing {
                let parts = reference.split(separator: "@", maxSplits: 1).map(String.init)
                var number: Int?
                if parts.count == 2 {
                    guard let n = Int(parts[1]) else { throw CLIFailure(message: "'\(reference)': the version after @ must be a number") }
                    number = n
                }
                let registry = try location.open()
                let version = try registry.version(model: parts[0], version: number)
                let importance = try registry.importance(model: version.model, version: version.version)
                if location.json {
                    struct Detail: Encodable { let version: ModelVersion; let importance: [ImportanceRecord] }
                    print(String(decoding: try ModelVersion.jsonEncoder().encode(Detail(version: version, importance: importance)), as: UTF8.self))
                    return
                }
                print("\(version.reference)  kind \(version.kind)  run \(version.runID)  created \(ISO8601DateFormatter().string(from: version.createdAt))")
                print("artifact \(version.artifactPath) (\(version.artifactBytes) bytes, sha256 \(version.artifactSHA256))")
                print("dataset \(version.datasetSHA256)  config \(version.configSHA256)  code \(version.codeVersion)")
                print("worker \(version.worker)  trained in \(format(version.trainSeconds, digits: 2)) s")
                print("parameters \(version.parameters)")
                print("")
                print(renderTable(header: ["split", "metric", "value"], rows: version.metrics.map { [$0.split, $0.name, format($0.value, digits: 6)] }))
                let top = importance.sorted { $0.gain > $1.gain }.prefix(15)
                if !top.isEmpty {
                    print("")
                    print(renderTable(header: ["feature", "gain", "splits"], rows: top.map { [$0.feature, format($0.gain, digits: 2), String($0.splits)] }))
                }
            }
        }
    }
}
