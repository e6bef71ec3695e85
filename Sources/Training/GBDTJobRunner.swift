import ModelZoo
import Dataset
import Foundation

/// Carries out a GBDT training job on in-memory tables: picks the features, trains, calibrates
/// quantiles, evaluates and explains on the evaluation rows, and returns the artifact with its
/// report. Pure computation: the worker and `engage train` both call it.
public struct GBDTJobRunner: Sendable {
    public let spec: TrainingJobSpec
    public let threads: Int
    /// Share of the training rows held out to calibrate quantile intervals when no validation table is given.
    public var calibrationFraction = 0.1

    public init(spec: TrainingJobSpec, threads: Int) {
        self.spec = spec
        self.threads = threads
    }

    /// Every column that is not excluded and not the target is a feature, numeric or categorical.
    public static func featureNames(of table: Table, excluding excluded: [String], target: String) -> [String] {
        let skip = Set(excluded).union([target])
        return table.names.filter { !skip.contains($0) }
    }

    /// Trains on `train`; with `binned` (the run's shared binned rows, whose sources hold the spec's
    /// training shards and whose schema is the job's), on those bins instead of binning `train` again.
    public func run(train: Table, eval: Table?, validation: Table? = nil, scored: Table? = nil, binned: BinnedShard? = nil,
                    progress: (@Sendable (Double) -> Void)? = nil) throws -> JobOutcome {
        let started = ContinuousClock.now
        let schema = try FeatureSchema(job: spec, train: train)
        let names = schema.names
        var parameters = spec.parameters
        parameters.threads = threads

        var trainTable = train
        var kept: [Int]?
        var calibrationTable = validation
        if spec.objective == .quantile, validation == nil, spec.quantiles.count > 1 {
            let split = Splitter.stratified(labels: try labels(train), testFraction: calibrationFraction, seed: parameters.seed &+ 17)
            trainTable = train.rows(split.train)
            kept = split.train
            calibrationTable = train.rows(split.test)
        }
        let fitStarted = ContinuousClock.now
        let shared = try binned.flatMap { try sharedBins($0, schema: schema, train: train, kept: kept) }
        var builtX: FeatureMatrix?
        func trainMatrix() throws -> FeatureMatrix {
            if let builtX { return builtX }
            let x = try schema.matrix(from: trainTable)
            builtX = x
            return x
        }
        let trainY = try labels(trainTable)
        let validationPair = try validation.map { (x: try schema.matrix(from: $0), labels: try labels($0)) }
        let evalX = try eval.map { try schema.matrix(from: $0) }
        let evalY = try eval.map { try labels($0) }
        var evaluation: ConcurrentEvaluation?
        defer { evaluation?.close() }

        let predictor: TrainedModel.Predictor
        var trainingRaw: [Double]?
        var calibrationOutputs: [[Double]] = []
        var quantileTrainingOutputs: [[Double]]?
        switch spec.objective {
        case .anomaly, .ranking:
            throw JobError("model \(spec.model): objective '\(spec.objective.rawValue)' needs kind '\(spec.objective == .anomaly ? "anomaly" : "ncf")', not a GBDT")
        case .regression, .binary:
            let objective: ObjectiveKind = spec.objective == .binary ? .binary : .regression
            let trainer = GBDTTrainer(objective: objective, parameters: parameters)
            let scaled = GBDTJobRunner.scaled(progress, part: 0, of: 1)
            if let evalX, evalX.rowCount > 0, trainer.leavesThreadsIdle(rows: trainY.count, features: names.count) {
                evaluation = try ConcurrentEvaluation(x: evalX, featureNames: names, permutationRows: permutationRows(evalX),
                                                      seed: permutationSeed)
            }
            let fit = try shared.map { try trainer.fit($0, labels: trainY, validation: validationPair, progress: scaled, evaluation: evaluation) }
                ?? trainer.fit(try trainMatrix(), labels: trainY, validation: validationPair, progress: scaled, evaluation: evaluation)
            predictor = .gbdt(fit.model)
            trainingRaw = fit.trainingRaw
        case .quantile:
            var models: [GBDTModel] = []
            var raws: [[Double]] = []
            for (index, alpha) in spec.quantiles.enumerated() {
                let trainer = GBDTTrainer(objective: .quantile(alpha: alpha), parameters: parameters)
                let scaled = GBDTJobRunner.scaled(progress, part: index, of: spec.quantiles.count)
                let fit = try shared.map { try trainer.fit($0, labels: trainY, validation: validationPair, progress: scaled) }
                    ?? trainer.fit(try trainMatrix(), labels: trainY, validation: validationPair, progress: scaled)
                models.append(fit.model)
                if let raw = fit.trainingRaw { raws.append(fit.model.outputs(raw: raw)) }
            }
            var set = try QuantileModelSet(alphas: spec.quantiles, models: models)
            if raws.count == models.count { quantileTrainingOutputs = QuantileModelSet.ascending(spec.quantiles).map { raws[$0] } }
            if let calibrationTable, set.alphas.count > 1 {
                let raw = try set.predict(try schema.matrix(from: calibrationTable), calibrated: false)
                set.conformalOffset = ConformalCalibration.offset(labels: try labels(calibrationTable), low: raw.first!, high: raw.last!,
                                                                   coverage: set.alphas.last! - set.alphas.first!)
                if kept != nil { calibrationOutputs = set.calibrated(raw) }
            }
            predictor = .quantiles(set)
        }
        let fitSeconds = (ContinuousClock.now - fitStarted).seconds
        var model = TrainedModel(kind: spec.kind, objective: spec.objective, target: spec.target, schema: schema, predictor: predictor)
        model.header.binaryLevels = spec.binaryLevels

        // Each split is scored once: the training rows by the boosting loop itself when it kept
        // every tree, the evaluation rows once for their metrics, permutation baseline and fairness.
        let trainOutputs: [[Double]]
        if case .gbdt(let gbdt) = predictor, let trainingRaw {
            trainOutputs = [gbdt.outputs(raw: trainingRaw)]
        } else if case .quantiles(let set) = predictor, let quantileTrainingOutputs {
            trainOutputs = set.calibrated(quantileTrainingOutputs)
        } else {
            trainOutputs = try outputs(of: model, on: try trainMatrix())
        }
        var metrics = self.metrics(of: model, outputs: trainOutputs, labels: trainY, split: "train")
        var importance = GBDTJobRunner.gainImportance(of: predictor)
        var evalPredictions: [Double] = []
        var shapSummary: SHAPSummary?
        if let evalX, let evalY {
            let streamed = concurrentResults(evaluation, model: model, labels: Array(evalY.prefix(permutationRows(evalX))))
            let evalOutputs = try streamed.map { [$0.outputs] } ?? outputs(of: model, on: evalX)
            metrics += self.metrics(of: model, outputs: evalOutputs, labels: evalY, split: spec.evaluationSplit)
            evalPredictions = evalOutputs[model.centralOutput]
            if let streamed {
                if permutationRows(evalX) > 0 { GBDTJobRunner.setPermutation(streamed.importance, of: evalX.names, in: &importance) }
            } else {
                try addPermutationImportance(model, x: evalX, labels: evalY, into: &importance)
            }
            shapSummary = try addSHAPImportance(model, x: evalX, into: &importance)
        }
        let encoder = JSONEncoder.sortedKeys
        var report = JobReport(model: spec.model, metrics: metrics, importance: importance, features: names,
                                parameters: String(decoding: try encoder.encode(parameters), as: UTF8.self),
                                trainRows: trainTable.rowCount, evalRows: eval?.rowCount ?? 0,
                                trainSeconds: (ContinuousClock.now - started).seconds, trees: GBDTJobRunner.treeCount(of: predictor))
        report.fitSeconds = fitSeconds
        report.sharedBins = shared != nil
        if case .full = spec.role {
            // Every training row once: the fit's rows, and the rows held out to calibrate quantiles.
            let central = model.centralOutput
            report.trainingPrediction = FeatureProfile.Numeric(trainOutputs[central] + (calibrationOutputs.isEmpty ? [] : calibrationOutputs[central]))
        }
        if let eval, !spec.sensitive.isEmpty, case .full = spec.role {
            let fairness = try fairnessReport(model, on: eval, predictions: evalPredictions, train: trainTable, features: names)
            report.reports[FairnessReport.registryName] = try fairness.json()
        }
        if spec.shapSummary, let shapSummary {
            report.reports[SHAPSummary.registryName] = String(decoding: try encoder.encode(shapSummary), as: UTF8.self)
        }
        let scoredPredictions = try scored.map { try model.predict($0)[model.centralOutput] } ?? []
        return JobOutcome(artifact: try model.encode(), report: report, evalPredictions: evalPredictions, scoredPredictions: scoredPredictions)
    }

    /// The shared bins of the rows this job trains on (`kept` rows of `train`, all when nil), or
    /// nil when they cannot stand for them: another schema, or training shards it does not hold.
    private func sharedBins(_ binned: BinnedShard, schema: FeatureSchema, train: Table, kept: [Int]?) throws -> BinnedDataset? {
        guard binned.schema == schema, let rows = binned.rows(of: spec.trainShards), rows.count == train.rowCount else { return nil }
        let wanted = kept.map { $0.map { rows[$0] } } ?? rows
        if wanted.count == binned.dataset.rowCount, wanted.elementsEqual(0..<wanted.count) { return binned.dataset }
        return try binned.dataset.rows(wanted)
    }

    /// Fairness of the evaluation predictions across the sensitive attributes, with proxy features
    /// found in (a sample of) the training rows.
    private func fairnessReport(_ model: TrainedModel, on eval: Table, predictions: [Double], train: Table, features: [String]) throws -> FairnessReport {
        let present = spec.sensitive.filter { eval.index(of: $0) != nil }
        let attributes = try present.map { SensitiveAttribute(name: $0, column: try eval.column($0)) }
        let y = try labels(eval)
        let sample = train.rowCount > 20_000 ? train.rows(Array(0..<20_000)) : train
        let proxies = try ProxyDetector().detect(in: sample, features: features, sensitive: present.filter { sample.index(of: $0) != nil })
        switch spec.objective {
        case .binary, .anomaly, .ranking:
            let classifier = try ClassifierFairness().report(labels: y, scores: predictions, sensitive: attributes, labelName: spec.target, scoreName: "probability")
            return FairnessReport(classifier: classifier, proxies: proxies)
        case .regression, .quantile:
            let regressor = try RegressionFairness().report(labels: y, predictions: predictions, sensitive: attributes, labelName: spec.target)
            return FairnessReport(regressor: regressor, proxies: proxies)
        }
    }

    /// Mean |SHAP| per feature over the first `spec.shapRows` evaluation rows (for a quantile
    /// set, of its median model), explained in parallel.
    private func addSHAPImportance(_ model: TrainedModel, x evalX: FeatureMatrix, into importance: inout [FeatureImportance]) throws -> SHAPSummary? {
        guard let gbdt = GBDTJobRunner.explainedModel(of: model), evalX.rowCount > 0, spec.shapRows > 0 else { return nil }
        let x = evalX.prefix(spec.shapRows)
        let explainer = TreeSHAP(model: gbdt)
        let (values, _) = try explainer.explain(x, threads: threads)
        let summary = SHAPSummary(explainer: explainer, x: x, values: values)
        for feature in summary.features {
            if let i = importance.firstIndex(where: { $0.feature == feature.feature }) {
                importance[i].meanAbsSHAP = feature.meanAbsSHAP
            } else {
                importance.append(FeatureImportance(feature: feature.feature, meanAbsSHAP: feature.meanAbsSHAP))
            }
        }
        return summary
    }

    /// The GBDT whose explanations stand for the model: itself, or a quantile set's median model.
    public static func explainedModel(of model: TrainedModel) -> GBDTModel? {
        switch model.predictor {
        case .gbdt(let gbdt): return gbdt
        case .quantiles(let set): return set.models[model.centralOutput]
        case .anomaly, .recommender, .stacking: return nil
        }
    }

    /// The metrics of `model` on `table`, named as the registry stores them.
    public func evaluate(_ model: TrainedModel, on table: Table, split: String) throws -> [MetricValue] {
        try evaluateWithOutputs(model, on: table, split: split).metrics
    }

    /// The metrics together with the predictions they were computed from (one array per output).
    private func evaluateWithOutputs(_ model: TrainedModel, on table: Table, split: String) throws -> (metrics: [MetricValue], outputs: [[Double]]) {
        let outputs = try model.predict(table)
        return (metrics(of: model, outputs: outputs, labels: try labels(table), split: split), outputs)
    }

    /// The model's outputs on an already built feature matrix, on the job's threads.
    private func outputs(of model: TrainedModel, on x: FeatureMatrix) throws -> [[Double]] {
        switch model.predictor {
        case .gbdt(let gbdt): return [gbdt.outputs(raw: try gbdt.predictRaw(x, threads: threads))]
        case .quantiles(let set): return try set.predict(x)
        case .anomaly, .recommender, .stacking: throw JobError("model \(spec.model): not a GBDT")
        }
    }

    private func metrics(of model: TrainedModel, outputs: [[Double]], labels y: [Double], split: String) -> [MetricValue] {
        switch model.predictor {
        case .anomaly:
            return GBDTJobRunner.metrics(objective: .anomaly, labels: y, predictions: outputs[0], split: split)
        case .stacking:
            return GBDTJobRunner.metrics(objective: .binary, labels: y, predictions: outputs[0], split: split)
        case .recommender:
            return []
        case .gbdt:
            return GBDTJobRunner.metrics(objective: spec.objective, labels: y, predictions: outputs[0], split: split)
        case .quantiles(let set):
            var metrics = zip(set.alphas, outputs).map { alpha, predictions in
                MetricDefinition.pinball(alpha: alpha).measure(split: split, labels: y, predictions: predictions)
            }
            if let low = outputs.first, let high = outputs.last, set.alphas.count > 1 {
                var covered = 0
                for row in y.indices where y[row] >= low[row] && y[row] <= high[row] { covered += 1 }
                metrics.append(MetricValue(split: split, name: MetricDefinition.coverage(low: set.alphas.first!, high: set.alphas.last!).name,
                                          value: Double(covered) / Double(max(y.count, 1))))
            }
            metrics.append(MetricDefinition.mae.measure(split: split, labels: y, predictions: outputs[model.centralOutput]))
            return metrics
        }
    }

    /// The evaluation rows whose columns permutation importance shuffles: the first `spec.permutationRows`, none for fewer than two.
    private func permutationRows(_ evalX: FeatureMatrix) -> Int {
        evalX.rowCount > 1 ? min(spec.permutationRows, evalX.rowCount) : 0
    }

    private var permutationSeed: UInt64 { spec.parameters.seed &+ 99 }

    /// The lower-is-better loss that permutation importance measures the objective by.
    private var permutationLoss: ([Double], [Double]) -> Double {
        let objective = spec.objective
        let alpha = spec.quantiles.isEmpty ? 0.5 : spec.quantiles.sorted()[spec.quantiles.count / 2]
        return { labels, predictions in
            switch objective {
            case .binary: return 1 - Metrics.auc(labels: labels, scores: predictions)
            case .regression: return Metrics.rmse(labels: labels, predictions: predictions)
            case .quantile: return Metrics.pinball(labels: labels, predictions: predictions, alpha: alpha)
            case .anomaly, .ranking: return 1 - Metrics.auc(labels: labels, scores: predictions)
            }
        }
    }

    /// The evaluation outputs and permutation importance a `ConcurrentEvaluation` made during
    /// the fit; nil without one, or when its trees are not the model's (early stopping).
    /// `labels`: those of the permutation rows.
    private func concurrentResults(_ evaluation: ConcurrentEvaluation?, model: TrainedModel,
                                   labels: [Double]) -> (outputs: [Double], importance: [Double])? {
        guard let evaluation, case .gbdt(let gbdt) = model.predictor else { return nil }
        guard let result = evaluation.finish(model: gbdt, labels: labels, loss: permutationLoss) else { return nil }
        return (gbdt.outputs(raw: result.raw), result.importance)
    }

    /// Permutation importance on the first `spec.permutationRows` evaluation rows; for a GBDT
    /// only the trees that split on a feature are walked again, features in parallel.
    private func addPermutationImportance(_ model: TrainedModel, x evalX: FeatureMatrix, labels evalY: [Double],
                                          into importance: inout [FeatureImportance]) throws {
        let rows = permutationRows(evalX)
        guard rows > 0 else { return }
        let x = evalX.prefix(rows)
        let y = Array(evalY.prefix(rows))
        let central = model.centralOutput
        let loss = permutationLoss
        let seed = permutationSeed
        let drops: [Double]
        switch model.predictor {
        case .gbdt(let gbdt):
            drops = try PermutationImportance.compute(x: x, labels: y, seed: seed, model: gbdt, threads: threads, loss: loss)
        case .quantiles(let set):
            // As SHAP: the median model stands for the set.
            drops = try PermutationImportance.compute(x: x, labels: y, seed: seed, model: set.models[central], threads: threads, loss: loss)
        case .anomaly(let detector):
            drops = try PermutationImportance.compute(x: x, labels: y, seed: seed, predict: { try detector.score($0) }, loss: loss)
        case .recommender, .stacking:
            throw JobError("model \(spec.model): not a GBDT")
        }
        GBDTJobRunner.setPermutation(drops, of: x.names, in: &importance)
    }

    /// Writes each named feature's permutation importance into `importance`, adding features it lacks.
    private static func setPermutation(_ drops: [Double], of names: [String], in importance: inout [FeatureImportance]) {
        for (index, name) in names.enumerated() {
            if let i = importance.firstIndex(where: { $0.feature == name }) {
                importance[i].permutation = drops[index]
            } else {
                importance.append(FeatureImportance(feature: name, gain: 0, splits: 0, permutation: drops[index], meanAbsSHAP: 0))
            }
        }
    }

    private func labels(_ table: Table) throws -> [Double] { try Self.labels(table, spec: spec) }

    /// The target column of `table` as `TargetRule` reads it under the spec's levels; the error names the model.
    static func labels(_ table: Table, spec: TrainingJobSpec) throws -> [Double] {
        do {
            return try TargetRule(spec: spec).labels(table, levels: spec.binaryLevels)
        } catch let error as TargetError {
            throw JobError("model \(spec.model): \(error.message)")
        }
    }

    /// The metrics a job of `objective` reports on `predictions`.
    static func metrics(objective: ModelObjective, labels: [Double], predictions: [Double], split: String) -> [MetricValue] {
        let reported: [MetricDefinition]
        switch objective {
        case .binary: reported = [.auc, .logLoss, .accuracy]
        case .anomaly: reported = [.auc]
        case .ranking: reported = []
        case .regression, .quantile: reported = [.r2, .rmse, .mae]
        }
        return reported.map { $0.measure(split: split, labels: labels, predictions: predictions) }
    }

    static func treeCount(of predictor: TrainedModel.Predictor) -> Int {
        switch predictor {
        case .gbdt(let model): return model.trees.count
        case .quantiles(let set): return set.models.reduce(0) { $0 + $1.trees.count }
        case .anomaly(let detector): return detector.forest.treeCount
        case .recommender, .stacking: return 0
        }
    }

    /// Gain and split counts; summed over the models of a quantile set.
    static func gainImportance(of predictor: TrainedModel.Predictor) -> [FeatureImportance] {
        switch predictor {
        case .anomaly, .recommender, .stacking: return []
        case .gbdt(let model): return model.importance()
        case .quantiles(let set):
            var merged = set.models[0].importance()
            for model in set.models.dropFirst() {
                for item in model.importance() {
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

    static func scaled(_ progress: (@Sendable (Double) -> Void)?, part: Int, of parts: Int) -> (@Sendable (Int, Int) -> Void)? {
        guard let progress else { return nil }
        return { done, total in progress((Double(part) + Double(done) / Double(max(total, 1))) / Double(max(parts, 1))) }
    }
}
