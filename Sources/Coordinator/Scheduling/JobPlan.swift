import Dataset
import Foundation
import ModelZoo

/// One node of the run's job graph.
public struct PlannedJob: Sendable, Equatable {
    public var id: String
    public var spec: TrainingJobSpec
    /// Jobs whose results this one needs first (the stacking ensemble waits for out-of-fold jobs).
    public var dependsOn: [String]
    /// Relative cost (rows × trees × models) used to run the critical path first.
    public var estimatedCost: Double

    public var shardIDs: [String] { (spec.trainShards + spec.evalShards).map(\.id) }
}

/// Turns the configured models and the prepared shards into the run's job graph.
///
/// Each supervised model gets one `full` job (all train shards, evaluated on test) and, when
/// `foldsFor` names it (a stacking ensemble needs its out-of-fold predictions), K `fold` jobs.
public struct JobPlanner {
    public let config: ClusterConfig
    public let data: PreparedData

    public init(config: ClusterConfig, data: PreparedData) {
        self.config = config
        self.data = data
    }

    public func plan(foldsFor: Set<String> = []) throws -> [PlannedJob] {
        var jobs: [PlannedJob] = []
        for model in config.models {
            guard ModelConfig.trainableKinds.contains(model.kind) else {
                throw DataPreparationError(message: "model '\(model.name)': kind '\(model.kind.rawValue)' cannot be trained by this version")
            }
            guard let target = model.target, data.columns.contains(target) || model.kind == .anomaly else {
                throw DataPreparationError(message: "model '\(model.name)': target column '\(model.target ?? "?")' is not in the data")
            }
            jobs.append(job(model, target: target, role: .full, train: data.trainShards, eval: data.testShards))
            if foldsFor.contains(model.name) {
                for k in data.foldShards.indices {
                    let train = data.foldShards.enumerated().filter { $0.offset != k }.flatMap(\.element)
                    jobs.append(job(model, target: target, role: .fold(k), train: train, eval: data.foldShards[k]))
                }
            }
        }
        return jobs.sorted { $0.estimatedCost > $1.estimatedCost }
    }

    private func job(_ model: ModelConfig, target: String, role: TrainingJobSpec.Role, train: [ShardRef], eval: [ShardRef]) -> PlannedJob {
        let objective = model.kind == .anomaly ? .anomaly : TrainingJobSpec.Objective(rawValue: (model.objective ?? .regression).rawValue)!
        var spec = TrainingJobSpec(model: model.name, kind: model.kind.rawValue, objective: objective, target: target,
                                   excludedColumns: data.excludedColumns, quantiles: model.quantiles, parameters: model.gbdt,
                                   role: role, trainShards: train, evalShards: eval)
        spec.sensitive = data.sensitiveColumns
        spec.shapSummary = model.shap && role == .full
        spec.shapRows = role == .full ? model.shapRows : 0
        spec.permutationRows = role == .full ? model.permutationRows : 0
        spec.anomaly = model.anomaly
        let id: String
        switch role {
        case .full: id = "\(model.name)/full"
        case .fold(let k): id = "\(model.name)/fold\(k)"
        }
        let rows = Double(train.reduce(0) { $0 + $1.rows })
        let modelsPerJob = objective == .quantile ? Double(model.quantiles.count) : 1
        return PlannedJob(id: id, spec: spec, dependsOn: [], estimatedCost: rows * Double(model.gbdt.trees) * modelsPerJob)
    }
}
