import ArgumentParser
import Foundation

/// The `engage` command line: one binary for the coordinator, the workers, data generation and registry queries.
@main
struct Engage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engage",
        abstract: "Distributed training coordinator for customer models, with a SQLite model registry.",
        version: "0.1.0",
        subcommands: [RunCommand.self, CoordinatorCommand.self, WorkerCommand.self, TrainCommand.self, PredictCommand.self, InspectCommand.self, RecommendCommand.self, GenerateCommand.self, RegistryCommand.self, FairnessCommand.self, ReportCommand.self, KeysCommand.self, DriftCommand.self, WatchCommand.self, StreamCommand.self, ServeCommand.self]
    )
}
