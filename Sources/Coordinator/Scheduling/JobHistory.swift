import Foundation
import Registry

/// The measured seconds of earlier runs' jobs, read from the registry's journal, as observations
/// for `JobCostModel`: what a model's full job and fold jobs took per unit of work on this host.
public struct JobHistory {
    public let registry: ModelRegistry
    /// How many of the latest timed runs to learn from.
    public var runs = 3

    public init(registry: ModelRegistry) {
        self.registry = registry
    }

    public func observations() throws -> [JobCostModel.Observation] {
        try registry.timedJobs(runs: runs).compactMap { record in
            guard let seconds = record.seconds, let units = record.units else { return nil }
            return JobCostModel.Observation(key: JobCostModel.RateKey(model: record.model, full: JobPlanner.isFullJob(record.jobID)),
                                            units: units, seconds: seconds)
        }
    }
}
