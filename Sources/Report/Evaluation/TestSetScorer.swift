import Dataset
import Foundation
import ModelZoo
import Registry

/// The test rows of one registered version, scored again by its own artifact.
struct ScoredTestSet: Sendable {
    var objective: ModelObjective
    /// The label column.
    var target: String
    var labels: [Double]
    /// The model's central prediction per row: the probability, the value, the median quantile, or
    /// the anomaly score.
    var predictions: [Double]
}

/// Scores a version's test shards with its registered artifact, because the registry keeps
/// metrics but not the per-row predictions that ROC, PR and calibration curves need.
///
/// The test shards are the `evalShards` of the version's `training` report; they are read from
/// the run's content-addressed shard store and verified against their ids.
struct TestSetScorer {
    let registry: ModelRegistry
    let shardDirectory: String

    func score(_ version: ModelVersion, evalShards: [String]) throws -> ScoredTestSet {
        guard !evalShards.isEmpty else { throw ReportError.noEvaluationShards(model: version.reference) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: shardDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReportError.shardDirectoryMissing(shardDirectory)
        }
        let store = try ShardStore(directory: shardDirectory)
        let model = try TrainedModel.decode(try registry.artifact(model: version.model, version: version.version))
        let central = model.centralOutput
        guard !model.header.target.isEmpty else { throw ReportError.unlabelled(model: version.reference) }

        var labels: [Double] = [], predictions: [Double] = []
        for id in evalShards {
            guard store.contains(id) else { throw ReportError.shardMissing(id: id, directory: shardDirectory) }
            let table = try store.read(id)
            guard table.index(of: model.header.target) != nil else {
                throw ReportError.missingLabels(model: version.reference, target: model.header.target, shard: id)
            }
            let observed = try table.numeric(model.header.target)
            let predicted = try model.predict(table)[central]
            for row in observed.indices where observed[row].isFinite && predicted[row].isFinite {
                labels.append(observed[row])
                predictions.append(predicted[row])
            }
        }
        return ScoredTestSet(objective: model.header.objective, target: model.header.target, labels: labels, predictions: predictions)
    }
}
