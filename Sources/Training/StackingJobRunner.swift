import ModelZoo
import Dataset
import Foundation

/// Carries out a stacking job: fits the meta-learner on the base models' out-of-fold
/// predictions for the training rows (and the unsupervised models' outputs), then evaluates it
/// on the untouched test rows beside the reference model (the churn model alone).
public struct StackingJobRunner: Sendable {
    public let spec: TrainingJobSpec
    public let threads: Int

    public init(spec: TrainingJobSpec, threads: Int) {
        self.spec = spec
        self.threads = threads
    }

    public func run(_ inputs: JobInputs, progress: (@Sendable (Double) -> Void)? = nil) throws -> JobOutcome {
        let started = ContinuousClock.now
        guard let settings = spec.stacking, !settings.inputs.isEmpty else {
            throw JobError("model \(spec.model): a stacking job needs base models")
        }
        guard let table = inputs.stacking else { throw JobError("model \(spec.model): the base models' predictions are missing") }
        guard let test = inputs.eval else { throw JobError("model \(spec.model): a stacking job needs the test rows") }
        let trainRows = inputs.train.rowCount
        _ = try StackingTable.validateMembership(table, trainRows: trainRows, testRows: test.rowCount)
        let all = try FeatureMatrix(names: settings.inputs, columns: try settings.inputs.map { try table.numeric($0) },
                                    isCategorical: settings.inputs.map { _ in false })
        let outOfFold = all.rows(Array(0..<trainRows))
        let testX = all.rows(Array(trainRows..<table.rowCount))
        let labels = try GBDTJobRunner.labels(inputs.train, spec: spec)
        let testLabels = try GBDTJobRunner.labels(test, spec: spec)

        var parameters = settings.parameters
        parameters.threads = threads
        let (model, evaluation) = try StackingTrainer(parameters: parameters)
            .fitAndEvaluate(outOfFold: outOfFold, labels: labels, test: testX, testLabels: testLabels, reference: settings.reference)
        // The lift is measured against the reference model as registered (its full model's test
        // predictions), not against the ensemble's own input column for it.
        let referenceAUC = try table.index(of: StackingTable.referenceColumn).map { _ in
            Metrics.auc(labels: testLabels, scores: Array(try table.numeric(StackingTable.referenceColumn)[trainRows...]))
        } ?? evaluation.referenceAUC
        progress?(0.8)
        let fitSeconds = (ContinuousClock.now - started).seconds
        let predictions = try model.predict(testX)

        var metrics = GBDTJobRunner.metrics(objective: .binary, labels: testLabels, predictions: predictions, split: "test")
        metrics += GBDTJobRunner.metrics(objective: .binary, labels: labels, predictions: try model.predict(outOfFold), split: "train")
        for name in settings.inputs.sorted() {
            metrics.append(MetricValue(split: "test", name: MetricDefinition.inputAUC(name).name, value: evaluation.inputAUC[name] ?? .nan))
        }
        if let referenceAUC {
            metrics.append(MetricValue(split: "test", name: MetricDefinition.referenceAUC.name, value: referenceAUC))
            metrics.append(MetricValue(split: "test", name: MetricDefinition.aucLift.name, value: evaluation.testAUC - referenceAUC))
        }
        for score in model.selection {
            metrics.append(MetricValue(split: "selection", name: MetricDefinition.inputAUC(score.kind.rawValue).name, value: score.auc))
        }

        let drops = try PermutationImportance.compute(x: testX, labels: testLabels, seed: parameters.seed &+ 99,
                                                      predict: { try model.predict($0) },
                                                      loss: { 1 - Metrics.auc(labels: $0, scores: $1) })
        let importance = zip(settings.inputs, drops).map { FeatureImportance(feature: $0, permutation: $1) }

        var report = JobReport(model: spec.model, metrics: metrics, importance: importance, features: settings.inputs,
                                parameters: String(decoding: try JSONEncoder.sortedKeys.encode(parameters), as: UTF8.self),
                                trainRows: trainRows, evalRows: test.rowCount, trainSeconds: 0,
                                trees: { if case .gbdt(let gbdt) = model.metaLearner { return gbdt.trees.count } else { return 0 } }())
        report.reports["stacking"] = String(decoding: try JSONEncoder.sortedKeys.encode(StackingSummary(evaluation: evaluation, selection: model.selection)),
                                            as: UTF8.self)
        let sensitive = try spec.sensitive.filter { test.index(of: $0) != nil }.map { SensitiveAttribute(name: $0, column: try test.column($0)) }
        if !sensitive.isEmpty {
            let classifier = try ClassifierFairness().report(labels: testLabels, scores: predictions, sensitive: sensitive,
                                                             labelName: spec.target, scoreName: "probability")
            report.reports[FairnessReport.registryName] = try FairnessReport(classifier: classifier).json()
        }
        report.fitSeconds = fitSeconds
        report.trainSeconds = (ContinuousClock.now - started).seconds
        let schema = FeatureSchema(features: settings.inputs.map { FeatureSchema.Feature(name: $0, categorical: false) })
        var trained = TrainedModel(kind: spec.kind, objective: .binary, target: spec.target, schema: schema, predictor: .stacking(model))
        trained.header.binaryLevels = spec.binaryLevels
        return JobOutcome(artifact: try trained.encode(), report: report, evalPredictions: predictions)
    }

    /// The `stacking` report of a registered ensemble: test AUC beside each input's, the lift over
    /// the reference model, and how the meta-learner was chosen.
    struct StackingSummary: Encodable {
        let evaluation: StackingEvaluation
        let selection: [MetaLearnerScore]
    }
}
