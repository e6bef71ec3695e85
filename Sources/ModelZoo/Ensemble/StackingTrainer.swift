import Foundation

/// Settings of the stacking ensemble's meta-learner.
public struct StackingParameters: Codable, Sendable, Equatable {
    public var metaLearner = MetaLearnerKind.automatic
    public var logistic = LogisticRegressionParameters()
    /// The GBDT meta-learner: small, since it sees a handful of already-strong inputs.
    public var gbdt = StackingParameters.defaultGBDT
    /// Folds of the cross-validation that chooses the meta-learner.
    public var selectionFolds = 5
    public var threads = 0
    public var seed: UInt64 = 0

    public init() {}

    public static var defaultGBDT: GBDTParameters {
        var p = GBDTParameters()
        p.trees = 100
        p.leaves = 7
        p.learningRate = 0.05
        p.minDataInLeaf = 100
        return p
    }

    public func validate() throws {
        try StackingError.check(selectionFolds >= 2 && selectionFolds <= 50, "selectionFolds", selectionFolds, "must be in 2...50")
        try StackingError.check(threads >= 0, "threads", threads, "must be non-negative (0 = all cores)")
        try logistic.validate()
        do { try gbdt.validate() } catch let error as GBDTError {
            throw StackingError.invalidParameter(name: "gbdt", value: "", rule: error.description)
        }
    }
}

/// How the ensemble did on the untouched test rows, beside each of its inputs alone.
public struct StackingEvaluation: Sendable, Equatable, Codable {
    public let metaLearner: MetaLearnerKind
    public let testAUC: Double
    public let testLogLoss: Double
    /// Each input's own test AUC (the input as a score).
    public let inputAUC: [String: Double]
    /// The input the ensemble is compared with (e.g. the churn model) and its test AUC.
    public let reference: String?
    public let referenceAUC: Double?
    /// testAUC − referenceAUC.
    public let lift: Double?
}

/// Fits the meta-learner on out-of-fold base predictions and evaluates it on test predictions.
///
/// The out-of-fold matrix holds, for every training row, each base model's prediction from the
/// fold model that did not see that row; the test matrix holds predictions on the test rows,
/// which no model was trained on (in the pipeline, the mean of the fold models; `StackingTable`
/// and `OutOfFoldAssembler` check the membership).
public struct StackingTrainer: Sendable {
    public let parameters: StackingParameters

    public init(parameters: StackingParameters = StackingParameters()) {
        self.parameters = parameters
    }

    public func fit(outOfFold x: FeatureMatrix, labels: [Double]) throws -> StackingModel {
        try parameters.validate()
        guard x.rowCount > 0 else { throw StackingError.emptyTrainingSet }
        try StackingError.validateTrainable(labels, rows: x.rowCount, set: "out-of-fold")
        var kind = parameters.metaLearner
        var selection = [MetaLearnerScore]()
        if kind == .automatic {
            selection = try crossValidate([.logistic, .gbdt], x, labels)
            kind = selection[1].auc > selection[0].auc ? .gbdt : .logistic
        }
        return try StackingModel(inputNames: x.names, metaLearner: try fitOne(kind, x, labels), selection: selection)
    }

    /// Fits on the out-of-fold rows, then scores the test rows; `reference` names the input
    /// whose AUC the lift is measured against.
    public func fitAndEvaluate(outOfFold x: FeatureMatrix, labels: [Double], test: FeatureMatrix, testLabels: [Double],
                               reference: String? = nil) throws -> (StackingModel, StackingEvaluation) {
        let model = try fit(outOfFold: x, labels: labels)
        try StackingError.validateBinary(testLabels, rows: test.rowCount, set: "test")
        let predictions = try model.predict(test)
        let auc = Metrics.auc(labels: testLabels, scores: predictions)
        var inputAUC = [String: Double]()
        for name in model.inputNames {
            guard let column = test.index(of: name) else { throw FeatureMatrixError.missingFeature(name, available: test.names) }
            inputAUC[name] = Metrics.auc(labels: testLabels, scores: test.columns[column])
        }
        if let reference, inputAUC[reference] == nil {
            throw StackingError.invalidParameter(name: "reference", value: reference, rule: "must name one of the inputs \(model.inputNames)")
        }
        let referenceAUC = reference.flatMap { inputAUC[$0] }
        let evaluation = StackingEvaluation(
            metaLearner: model.metaLearner.kind, testAUC: auc,
            testLogLoss: Metrics.logLoss(labels: testLabels, probabilities: predictions), inputAUC: inputAUC,
            reference: reference, referenceAUC: referenceAUC, lift: referenceAUC.map { auc - $0 })
        return (model, evaluation)
    }

    private func fitOne(_ kind: MetaLearnerKind, _ x: FeatureMatrix, _ labels: [Double], threads: Int? = nil) throws -> MetaLearner {
        switch kind {
        case .logistic, .automatic:
            return .logistic(try LogisticRegression(parameters: parameters.logistic).fit(x, labels: labels))
        case .gbdt:
            var p = parameters.gbdt
            p.threads = threads ?? parameters.threads
            p.seed = parameters.seed
            return .gbdt(try GBDTTrainer(objective: .binary, parameters: p).train(x, labels: labels))
        }
    }

    /// Pooled out-of-sample predictions of each of `kinds` over stratified folds of the rows.
    /// The kinds × folds fits are independent: they run side by side on the trainer's threads,
    /// each on one thread, so the scores do not depend on the thread count.
    private func crossValidate(_ kinds: [MetaLearnerKind], _ x: FeatureMatrix, _ labels: [Double]) throws -> [MetaLearnerScore] {
        let folds = Self.stratifiedFolds(labels, count: parameters.selectionFolds, seed: parameters.seed)
        var parts: [(train: [Int], heldOut: [Int])] = []
        for fold in 0..<parameters.selectionFolds {
            let heldOut = folds.indices.filter { folds[$0] == fold }
            guard !heldOut.isEmpty else { continue }
            let trainRows = folds.indices.filter { folds[$0] != fold }
            let trainLabels = trainRows.map { labels[$0] }
            guard trainLabels.contains(0), trainLabels.contains(1) else { throw StackingError.singleClass(set: "selection fold") }
            parts.append((trainRows, heldOut))
        }
        let jobs = kinds.count * parts.count
        var outcomes = [Result<[Double], any Error>](repeating: .success([]), count: jobs)
        outcomes.withUnsafeMutableBufferPointer { out in
            ParallelRunner(threads: parameters.threads).forEachJob(count: jobs) { job in
                let (kind, part) = (kinds[job / parts.count], parts[job % parts.count])
                out[job] = Result {
                    let learner = try fitOne(kind, x.rows(part.train), part.train.map { labels[$0] }, threads: 1)
                    return try StackingModel(inputNames: x.names, metaLearner: learner, selection: []).predict(x.rows(part.heldOut))
                }
            }
        }
        return try kinds.indices.map { k in
            var predictions = [Double](repeating: 0, count: x.rowCount)
            for (index, part) in parts.enumerated() {
                for (row, p) in zip(part.heldOut, try outcomes[k * parts.count + index].get()) { predictions[row] = p }
            }
            return MetaLearnerScore(kind: kinds[k], auc: Metrics.auc(labels: labels, scores: predictions),
                                    logLoss: Metrics.logLoss(labels: labels, probabilities: predictions))
        }
    }

    /// A fold number per row, classes dealt round-robin after a seeded shuffle.
    static func stratifiedFolds(_ labels: [Double], count: Int, seed: UInt64) -> [Int] {
        var folds = [Int](repeating: 0, count: labels.count)
        var rng = SplitMix64(seed: seed, stream: 0x464F_4C44)
        for cls in [0.0, 1.0] {
            var rows = labels.indices.filter { labels[$0] == cls }
            Shuffle.inPlace(&rows, using: &rng)
            for (k, row) in rows.enumerated() { folds[row] = k % count }
        }
        return folds
    }
}
