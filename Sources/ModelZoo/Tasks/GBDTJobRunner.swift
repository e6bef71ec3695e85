import Dataset
import Foundation

/// Carries out a GBDT training job on in-memory tables: picks the features, trains, evaluates
/// on the evaluation rows and returns the artifact with its report. Pure computation.
public struct GBDTJobRunner: Sendable {
    public let spec: TrainingJobSpec
    public let threads: Int

    public init(spec: TrainingJobSpec, threads: Int) {
        self.spec = spec
        self.threads = threads
    }

    /// Every column that is not excluded and not the target is a feature, numeric or categorical.
    public static func featureNames(of table: Table, excluding excluded: [String], target: String) -> [String] {
        let skip = Set(excluded).union([target])
        return table.names.filter { !skip.contains($0) }
    }

    public func run(train: Table, eval: Table, progress: (@Sendable (Double) -> Void)? = nil) throws -> TaskOutcome {
        let started = ContinuousClock.now
        let features = GBDTJobRunner.featureNames(of: train, excluding: spec.excludedColumns, target: spec.target)
        guard !features.isEmpty else { throw TaskError("job \(spec.model): no feature columns left after exclusions") }
        let trainX = try FeatureMatrix(table: train, features: features)
        let evalX = try FeatureMatrix(table: eval, features: features)
        let trainY = try labels(train)
        let evalY = try labels(eval)
        var parameters = spec.parameters
        parameters.threads = threads
        let split = spec.evaluationSplit

        let artifact: Data
        var metrics: [TaskMetric] = []
        var importance: [FeatureImportance]
        let evalPredictions: [Double]
        var treeCount = 0

        switch spec.objective {
        case .regression, .binary:
            let objective: ObjectiveKind = spec.objective == .binary ? .binary : .regression
            let model = try GBDTTrainer(objective: objective, parameters: parameters).train(trainX, labels: trainY, progress: progress.map { report in
                { @Sendable done, total in report(Double(done) / Double(max(total, 1))) }
            })
            let trainPredictions = try model.predict(trainX)
            evalPredictions = try model.predict(evalX)
            metrics += GBDTJobRunner.metrics(objective: spec.objective, labels: trainY, predictions: trainPredictions, split: "train")
            metrics += GBDTJobRunner.metrics(objective: spec.objective, labels: evalY, predictions: evalPredictions, split: split)
            importance = model.importance()
            artifact = model.encode()
            treeCount = model.trees.count
        case .quantile:
            var models: [GBDTModel] = []
            for (index, alpha) in spec.quantiles.enumerated() {
                let model = try GBDTTrainer(objective: .quantile(alpha: alpha), parameters: parameters).train(trainX, labels: trainY, progress: progress.map { report in
                    let count = Double(spec.quantiles.count)
                    return { @Sendable done, total in report((Double(index) + Double(done) / Double(max(total, 1))) / count) }
                })
                models.append(model)
            }
            let set = try QuantileModelSet(alphas: spec.quantiles, models: models)
            let quantilePredictions = try set.predict(evalX)
            for (alpha, predictions) in zip(set.alphas, quantilePredictions) {
                metrics.append(TaskMetric(split: split, name: "pinball_\(GBDTJobRunner.label(alpha))", value: Metrics.pinball(labels: evalY, predictions: predictions, alpha: alpha)))
            }
            if let low = quantilePredictions.first, let high = quantilePredictions.last, set.alphas.count > 1 {
                var covered = 0
                for row in evalY.indices where evalY[row] >= low[row] && evalY[row] <= high[row] { covered += 1 }
                metrics.append(TaskMetric(split: split, name: "coverage_\(GBDTJobRunner.label(set.alphas.first!))_\(GBDTJobRunner.label(set.alphas.last!))",
                                          value: Double(covered) / Double(max(evalY.count, 1))))
            }
            let median = set.alphas.enumerated().min { abs($0.element - 0.5) < abs($1.element - 0.5) }!.offset
            evalPredictions = quantilePredictions[median]
            metrics.append(TaskMetric(split: split, name: "mae", value: Metrics.mae(labels: evalY, predictions: evalPredictions)))
            importance = GBDTJobRunner.merge(models.map { $0.importance() })
            artifact = set.encode()
            treeCount = models.reduce(0) { $0 + $1.trees.count }
        }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let parameterText = String(decoding: try encoder.encode(parameters), as: UTF8.self)
        let seconds = (ContinuousClock.now - started).seconds
        let report = TaskReport(model: spec.model, metrics: metrics, importance: importance, features: features, parameters: parameterText,
                                trainRows: train.rowCount, evalRows: eval.rowCount, trainSeconds: seconds, trees: treeCount)
        return TaskOutcome(artifact: artifact, report: report, evalPredictions: evalPredictions)
    }

    private func labels(_ table: Table) throws -> [Double] {
        guard table.index(of: spec.target) != nil else { throw TaskError("job \(spec.model): target column '\(spec.target)' is missing") }
        let values = try table.numeric(spec.target)
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw TaskError("job \(spec.model): target '\(spec.target)' is missing or not finite in row \(bad + 1)")
        }
        if spec.objective == .binary, let bad = values.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw TaskError("job \(spec.model): binary target '\(spec.target)' must be 0 or 1, row \(bad + 1) has \(values[bad])")
        }
        return values
    }

    static func metrics(objective: TrainingJobSpec.Objective, labels: [Double], predictions: [Double], split: String) -> [TaskMetric] {
        switch objective {
        case .binary:
            return [
                TaskMetric(split: split, name: "auc", value: Metrics.auc(labels: labels, scores: predictions)),
                TaskMetric(split: split, name: "logloss", value: Metrics.logLoss(labels: labels, probabilities: predictions)),
                TaskMetric(split: split, name: "accuracy", value: Metrics.accuracy(labels: labels, probabilities: predictions)),
            ]
        case .regression, .quantile:
            return [
                TaskMetric(split: split, name: "r2", value: Metrics.r2(labels: labels, predictions: predictions)),
                TaskMetric(split: split, name: "rmse", value: Metrics.rmse(labels: labels, predictions: predictions)),
                TaskMetric(split: split, name: "mae", value: Metrics.mae(labels: labels, predictions: predictions)),
            ]
        }
    }

    static func label(_ alpha: Double) -> String {
        String(format: "p%02d", Int((alpha * 100).rounded()))
    }

    /// Sums gain and split counts of several models over the same features.
    static func merge(_ lists: [[FeatureImportance]]) -> [FeatureImportance] {
        guard var merged = lists.first else { return [] }
        for list in lists.dropFirst() {
            for item in list {
                if let i = merged.firstIndex(where: { $0.feature == item.feature }) {
                    merged[i].gain += item.gain
                    merged[i].splits += item.splits
                } else {
                    merged.append(item)
                }
            }
        }
        return merged
    }
}
