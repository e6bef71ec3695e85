import Dataset
import Foundation
import ModelZoo
import Training

/// One node of the run's job graph.
public struct PlannedJob: Sendable, Equatable {
    public var id: String
    public var spec: TrainingJobSpec
    /// Jobs whose results this one needs first (the stacking ensemble waits for out-of-fold jobs).
    public var dependsOn: [String]
    /// Expected seconds of one worker (`JobCostModel`).
    public var estimatedCost: Double
    /// The job's work in its kind's units (`JobCostModel.units(of:features:)`), journaled with its seconds.
    public var units: Double = 0
    /// Expected seconds from this job's start to the end of the longest chain of jobs that wait
    /// for it: its own cost plus that of its costliest dependent chain. The scheduler's priority.
    public var criticalPath: Double = 0

    public init(id: String, spec: TrainingJobSpec, dependsOn: [String], estimatedCost: Double, units: Double = 0) {
        self.id = id
        self.spec = spec
        self.dependsOn = dependsOn
        self.estimatedCost = estimatedCost
        self.units = units
        criticalPath = estimatedCost
    }

    public var shardIDs: [String] { spec.allShards.map(\.id) }
}

/// Turns the configured models and the prepared shards into the run's job graph.
///
/// Each supervised model gets one `full` job (all train shards, evaluated on test) and, when a
/// stacking ensemble reads it, K `fold` jobs (train on K−1 folds, predict the held-out one).
/// Unsupervised models read by an ensemble also score every training row. The ensemble's own
/// job waits for all of those; its base-prediction table is built when it becomes ready.
public struct JobPlanner {
    public let config: ClusterConfig
    public let data: PreparedData
    public let costs: JobCostModel

    public init(config: ClusterConfig, data: PreparedData, costs: JobCostModel = JobCostModel()) {
        self.config = config
        self.data = data
        self.costs = costs
    }

    public func plan() throws -> [PlannedJob] {
        let ensembles = config.models.filter { $0.kind == .stacking }
        let foldsFor = Set(ensembles.flatMap(\.stacking.supervised))
        let scoredFor = Set(ensembles.flatMap(\.stacking.unsupervised))
        var jobs: [PlannedJob] = []
        for model in config.models {
            switch model.kind {
            case .ncf:
                jobs.append(try recommenderJob(model, scoreAll: scoredFor.contains(model.name)))
                continue
            case .stacking:
                continue
            case .gbdt, .anomaly:
                break
            }
            guard let target = model.target, data.columns.contains(target) || model.kind == .anomaly else {
                throw DataPreparationError(message: "model '\(model.name)': target column '\(model.target ?? "?")' is not in the data")
            }
            var full = job(model, target: target, role: .full, train: data.trainShards, eval: data.testShards)
            if scoredFor.contains(model.name) { full.spec.scoreShards = data.trainShards }
            jobs.append(full)
            if foldsFor.contains(model.name) {
                for k in data.foldShards.indices {
                    let train = data.foldShards.enumerated().filter { $0.offset != k }.flatMap(\.element)
                    var fold = job(model, target: target, role: .fold(k), train: train, eval: data.foldShards[k])
                    // The ensemble's test rows read the mean of the K fold models, as its training rows read one of them.
                    fold.spec.scoreShards = data.testShards
                    jobs.append(fold)
                }
            }
        }
        for ensemble in ensembles {
            jobs.append(try stackingJob(ensemble, after: jobs))
        }
        return JobPlanner.ordered(jobs.map(costed))
    }

    static let fullSuffix = "/full"

    /// Whether a job id names a model's full job (the journal keeps ids, not roles).
    public static func isFullJob(_ id: String) -> Bool { id.hasSuffix(fullSuffix) }

    /// The job with its units and expected seconds.
    private func costed(_ job: PlannedJob) -> PlannedJob {
        var job = job
        let skip = Set(job.spec.excludedColumns).union([job.spec.target])
        job.units = JobCostModel.units(of: job.spec, features: data.columns.filter { !skip.contains($0) }.count)
        job.estimatedCost = costs.seconds(of: job.spec, units: job.units)
        return job
    }

    /// Every job's critical path (its cost plus its costliest chain of dependents), jobs sorted by
    /// it, longest first, ties by id: the order in which the scheduler prefers them.
    public static func ordered(_ jobs: [PlannedJob]) -> [PlannedJob] {
        var dependents: [String: [Int]] = [:]
        for (i, job) in jobs.enumerated() {
            for dependency in job.dependsOn { dependents[dependency, default: []].append(i) }
        }
        var memo: [Int: Double] = [:]
        func path(_ i: Int, depth: Int) -> Double {
            if let known = memo[i] { return known }
            // A cycle cannot finish anyway; cut it rather than recurse forever.
            guard depth <= jobs.count else { return jobs[i].estimatedCost }
            let after = (dependents[jobs[i].id] ?? []).map { path($0, depth: depth + 1) }.max() ?? 0
            memo[i] = jobs[i].estimatedCost + after
            return memo[i]!
        }
        var result = jobs
        for i in result.indices { result[i].criticalPath = path(i, depth: 0) }
        return result.sorted { $0.criticalPath != $1.criticalPath ? $0.criticalPath > $1.criticalPath : $0.id < $1.id }
    }

    private func recommenderJob(_ model: ModelConfig, scoreAll: Bool) throws -> PlannedJob {
        guard !data.interactionShards.isEmpty else {
            throw DataPreparationError(message: "model '\(model.name)' (kind ncf): the run has no interaction log (data.interactions)")
        }
        var spec = TrainingJobSpec(model: model.name, kind: model.kind, objective: .ranking, target: "",
                                   excludedColumns: data.excludedColumns, quantiles: [], parameters: model.gbdt, role: .full,
                                   trainShards: data.interactionShards, evalShards: [])
        spec.itemShards = data.itemShards
        spec.recommender = model.recommender
        spec.sensitive = data.sensitiveColumns
        if scoreAll { spec.scoreShards = data.trainShards + data.testShards }
        return PlannedJob(id: "\(model.name)/full", spec: spec, dependsOn: [], estimatedCost: 0)
    }

    /// The ensemble waits for every fold job of its supervised inputs and the full job of each input.
    private func stackingJob(_ model: ModelConfig, after jobs: [PlannedJob]) throws -> PlannedJob {
        let inputs = Set(model.stacking.inputs)
        let needed = jobs.filter { inputs.contains($0.spec.model) }.map(\.id)
        var spec = TrainingJobSpec(model: model.name, kind: model.kind, objective: .binary, target: model.target ?? "churn_30_day",
                                   excludedColumns: data.excludedColumns, quantiles: [], parameters: model.gbdt, role: .full,
                                   trainShards: data.trainShards, evalShards: data.testShards)
        guard data.columns.contains(spec.target) else {
            throw DataPreparationError(message: "model '\(model.name)': target column '\(spec.target)' is not in the data")
        }
        spec.stacking = model.stacking
        spec.sensitive = data.sensitiveColumns
        spec.positiveLevel = model.positive
        spec.permutationRows = model.permutationRows
        return PlannedJob(id: "\(model.name)/full", spec: spec, dependsOn: needed.sorted(), estimatedCost: 0)
    }

    private func job(_ model: ModelConfig, target: String, role: TrainingJobSpec.Role, train: [ShardRef], eval: [ShardRef]) -> PlannedJob {
        let objective: ModelObjective = model.kind == .anomaly ? .anomaly : (model.objective ?? .regression)
        var spec = TrainingJobSpec(model: model.name, kind: model.kind, objective: objective, target: target,
                                   excludedColumns: data.excludedColumns, quantiles: model.quantiles, parameters: model.gbdt,
                                   role: role, trainShards: train, evalShards: eval)
        spec.sensitive = data.sensitiveColumns
        spec.positiveLevel = model.positive
        spec.shapSummary = model.shap && role == .full
        spec.shapRows = role == .full ? model.shapRows : 0
        spec.permutationRows = role == .full ? model.permutationRows : 0
        spec.anomaly = model.anomaly
        if case .fold = role, objective == .quantile, let median = model.quantiles.min(by: { abs($0 - 0.5) < abs($1 - 0.5) }) {
            // The ensemble reads a quantile model's central output only, so its fold jobs train just that one.
            spec.quantiles = [median]
        }
        let id: String
        switch role {
        case .full: id = "\(model.name)\(JobPlanner.fullSuffix)"
        case .fold(let k): id = "\(model.name)/fold\(k)"
        }
        return PlannedJob(id: id, spec: spec, dependsOn: [], estimatedCost: 0)
    }
}
