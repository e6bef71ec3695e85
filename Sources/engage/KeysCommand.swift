import ArgumentParser
import Foundation
import Wire

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "CURVE keys for a secured cluster (ZeroMQ's Ironhouse pattern).",
        subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Write the coordinator's key pair (once) and worker key pairs, admitting each worker in allowed/.",
            discussion: """
            Layout: OUT/coordinator.key (public: give it to every worker), OUT/coordinator.key_secret (stays on the \
            coordinator's host), OUT/workers/NAME.key_secret (copy to that worker's host only), OUT/allowed/NAME.key \
            (the coordinator's allow-list; delete a file to revoke that worker). Secret files are written mode 0600; \
            an existing key is never overwritten.
            """)

        @Option(help: "The key folder.") var out = "keys"
        @Option(help: "Write worker-1 … worker-N.") var workers: Int?
        @Option(help: "Write one worker key of this name.") var name: String?

        func validate() throws {
            if workers != nil, name != nil { throw ValidationError("give --workers N or --name NAME, not both") }
            if let workers, workers < 1 { throw ValidationError("--workers must be at least 1 (got \(workers))") }
        }

        func run() throws {
            try failing {
                let names = name.map { [$0] } ?? (1...max(1, workers ?? 0)).compactMap { workers == nil ? nil : "worker-\($0)" }
                let keys = CurveKeyDirectory(path: out)
                let written = try keys.generate(workers: names)
                for entry in written {
                    let certificate = entry == "coordinator" ? try keys.coordinator() : try keys.worker(entry)
                    let file = entry == "coordinator" ? keys.coordinatorBase : keys.workerBase(entry)
                    print("\(entry): \(file).key_secret (fingerprint \(certificate.fingerprint))")
                }
                if written.isEmpty { print("\(keys.coordinatorBase).key_secret exists; nothing written (add workers with --workers N or --name NAME)") }
            }
        }
    }
}
