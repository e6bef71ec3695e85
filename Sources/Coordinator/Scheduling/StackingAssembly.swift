import Dataset
import Foundation
import ModelZoo
import Training

/// The rows a stacking job learns from: its base-prediction table (`StackingTable`), assembled
/// from the run's fold layout and its finished jobs' predictions.
///
/// Exists so that which model a row of the ensemble reads is decided in one place, beside the
/// plan that made the fold jobs: a supervised input's training row reads the fold job that held
/// the row's fold out (`OutOfFoldAssembler` refuses a test row, a row predicted twice, a row left
/// out), its test row the mean of the K fold models; an unsupervised input reads its full job's
/// scores; a binary input enters as log-odds; `__reference` is the reference model's full-job
/// test predictions.
struct StackingAssembly {
    let ensemble: PlannedJob
    /// Train shards of each fold, as the planner gave them to fold job k to predict.
    let foldShards: [[ShardRef]]

    /// `predictions` holds every finished job's predictions per shard id, keyed by job id;
    /// `objectives` the objective of each input model.
    func table(predictions: [String: [String: ArraySlice<Double>]], objectives: [String: ModelObjective]) throws -> Table {
        guard let settings = ensemble.spec.stacking else { throw JobError("\(ensemble.id) is not a stacking job") }
        let train = ensemble.spec.trainShards, test = ensemble.spec.evalShards
        let trainRows = train.reduce(0) { $0 + $1.rows }, testRows = test.reduce(0) { $0 + $1.rows }
        var firstRow: [String: Int] = [:]
        var offset = 0
        for shard in train + test {
            firstRow[shard.id] = offset
            offset += shard.rows
        }
        func rows(of shard: ShardRef) throws -> Range<Int> {
            guard let first = firstRow[shard.id] else { throw JobError("ensemble \(ensemble.spec.model): shard \(shard.id.prefix(12)) is not one of its rows") }
            return first..<first + shard.rows
        }
        func mean(of jobs: [String], over shards: [ShardRef]) throws -> [Double] {
            try shards.flatMap { try meanPrediction(of: jobs, shard: $0, predictions: predictions) }
        }

        var outOfFold = try OutOfFoldAssembler(trainRows: Array(0..<trainRows), testRows: Array(trainRows..<trainRows + testRows))
        var testValues: [String: [Double]] = [:]
        for model in settings.inputs {
            if settings.supervised.contains(model) {
                let folds = foldShards.indices.map { "\(model)/fold\($0)" }
                for (k, shards) in foldShards.enumerated() {
                    try outOfFold.add(model: model, fold: k, rows: shards.flatMap { try rows(of: $0) }, predictions: try mean(of: [folds[k]], over: shards))
                }
                testValues[model] = try mean(of: folds, over: test)
            } else {
                try outOfFold.add(model: model, fold: -1, rows: Array(0..<trainRows), predictions: try mean(of: ["\(model)/full"], over: train))
                testValues[model] = try mean(of: ["\(model)/full"], over: test)
            }
        }
        let matrix = try outOfFold.matrix()
        let inputs = zip(matrix.names, matrix.columns).map { model, values in
            let column = values + testValues[model, default: []]
            return (name: model, values: StackingInput.entering(column, objective: objectives[model]))
        }
        let foldOfShard = Dictionary(uniqueKeysWithValues: foldShards.enumerated().flatMap { fold, shards in shards.map { ($0.id, fold) } })
        return try StackingTable.make(trainFolds: train.flatMap { Array(repeating: foldOfShard[$0.id] ?? -1, count: $0.rows) },
                                      testRows: testRows, inputs: inputs,
                                      referenceTestPredictions: try settings.reference.map { try mean(of: ["\($0)/full"], over: test) })
    }

    /// The mean, row by row, of the named jobs' predictions for one shard.
    private func meanPrediction(of jobs: [String], shard: ShardRef, predictions: [String: [String: ArraySlice<Double>]]) throws -> [Double] {
        var sum = [Double](repeating: 0, count: shard.rows)
        for source in jobs {
            guard let slice = predictions[source]?[shard.id], slice.count == shard.rows else {
                throw JobError("ensemble \(ensemble.spec.model): no prediction of \(source) for shard \(shard.id.prefix(12))")
            }
            for (i, value) in zip(sum.indices, slice) { sum[i] += value }
        }
        return sum.map { $0 / Double(jobs.count) }
    }
}
