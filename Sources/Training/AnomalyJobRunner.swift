import ModelZoo
import Dataset
import Foundation

/// Carries out an anomaly-detection job: fits the isolation forest + autoencoder on the training
/// rows' features (labels are never seen), then scores the evaluation rows. When the target
/// column (e.g. `is_anomaly`) is present it is used for evaluation only: the AUC of the combined
/// score and of each part, and the precision of the flags.
public struct AnomalyJobRunner: Sendable {
    public let spec: TrainingJobSpec
    public let threads: Int

    /// The report that holds `AnomalyTrainingReport` (each part's fit and scoring seconds).
    public static let trainingReportName = "anomaly_training"

    public init(spec: TrainingJobSpec, threads: Int) {
        self.spec = spec
        self.threads = threads
    }

    public func run(train: Table, eval: Table?, scored: Table? = nil, progress: (@Sendable (Double) -> Void)? = nil) throws -> JobOutcome {
        let started = ContinuousClock.now
        let schema = try FeatureSchema(job: spec, train: train)
        let names = schema.names
        var parameters = spec.anomaly
        parameters.threads = threads
        let (detector, training) = try AnomalyDetectorTrainer(parameters: parameters).fitWithReport(try schema.matrix(from: train)) { epoch, _ in
            progress?(Double(epoch) / Double(max(parameters.autoencoder.epochs, 1)))
        }
        let fitSeconds = (ContinuousClock.now - started).seconds
        let model = TrainedModel(kind: spec.kind, objective: .anomaly, target: spec.target, schema: schema, predictor: .anomaly(detector))

        var metrics: [MetricValue] = []
        var predictions: [Double] = []
        var reports: [String: String] = [:]
        if let eval {
            let scores = try detector.evaluate(try schema.matrix(from: eval), threads: threads)
            predictions = scores.score
            let split = spec.evaluationSplit
            metrics.append(MetricValue(split: split, name: MetricDefinition.flaggedShare.name, value: Double(scores.flag.filter { $0 }.count) / Double(max(eval.rowCount, 1))))
            if eval.index(of: spec.target) != nil {
                let labels = try eval.numeric(spec.target).map { $0.isFinite ? $0 : 0 }
                metrics.append(MetricDefinition.auc.measure(split: split, labels: labels, predictions: scores.score))
                metrics.append(MetricDefinition.inputAUC("isolation_forest").measure(split: split, labels: labels, predictions: scores.forest))
                metrics.append(MetricDefinition.inputAUC("autoencoder").measure(split: split, labels: labels, predictions: scores.autoencoder))
                let flagged = scores.flag.indices.filter { scores.flag[$0] }
                if !flagged.isEmpty {
                    metrics.append(MetricValue(split: split, name: MetricDefinition.flagPrecision.name, value: flagged.reduce(0) { $0 + labels[$1] } / Double(flagged.count)))
                }
                if !spec.sensitive.isEmpty, case .full = spec.role {
                    let attributes = try spec.sensitive.filter { eval.index(of: $0) != nil }.map { SensitiveAttribute(name: $0, column: try eval.column($0)) }
                    let classifier = try ClassifierFairness(threshold: detector.threshold).report(labels: labels, scores: scores.score, sensitive: attributes,
                                                                                                 labelName: spec.target, scoreName: "score")
                    reports[FairnessReport.registryName] = try FairnessReport(classifier: classifier).json()
                }
            }
        }
        let scoredPredictions = try scored.map { try detector.evaluate(try schema.matrix(from: $0), threads: threads).score } ?? []
        let encoder = JSONEncoder.sortedKeys
        var report = JobReport(model: spec.model, metrics: metrics, importance: [], features: names,
                                parameters: String(decoding: try encoder.encode(parameters), as: UTF8.self),
                                trainRows: train.rowCount, evalRows: eval?.rowCount ?? 0,
                                trainSeconds: (ContinuousClock.now - started).seconds, trees: detector.forest.treeCount)
        reports[AnomalyJobRunner.trainingReportName] = String(decoding: try encoder.encode(training), as: UTF8.self)
        report.reports = reports
        report.fitSeconds = fitSeconds
        if case .full = spec.role, !scoredPredictions.isEmpty, spec.scoreShards == spec.trainShards {
            // Scored for the ensemble, these are the training rows: the registry profiles them as they are.
            report.trainingPrediction = FeatureProfile.Numeric(scoredPredictions)
        }
        return JobOutcome(artifact: try model.encode(), report: report, evalPredictions: predictions, scoredPredictions: scoredPredictions)
    }
}
