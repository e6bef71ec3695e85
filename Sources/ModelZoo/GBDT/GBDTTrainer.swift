/// Trains gradient-boosted decision trees (LightGBM-style histogram GBDT).
///
/// The public entry point: pairs an objective with parameters. Training is deterministic
/// for a given seed and does not depend on the thread count.
public struct GBDTTrainer: Sendable {
    public let objective: ObjectiveKind
    public let parameters: GBDTParameters

    public init(objective: ObjectiveKind, parameters: GBDTParameters) {
        self.objective = objective
        self.parameters = parameters
    }

    /// Fits a model. With `validation` and `parameters.earlyStoppingRounds`, boosting stops
    /// once the objective's metric on the validation set has not improved for that many
    /// trees; the model then keeps only the trees up to the best round (`bestIteration`).
    /// Without a validation set early stopping is off. A round that cannot split
    /// anything ends training early too. `progress(treesDone, totalTrees)` is called
    /// after every tree, on the training thread.
    public func train(_ x: FeatureMatrix, labels: [Double], validation: (x: FeatureMatrix, labels: [Double])? = nil,
                      progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> GBDTModel {
        try fit(x, labels: labels, validation: validation, progress: progress).model
    }

    /// As `train`, and also the raw scores the boosting loop kept for every training row, which
    /// equal `model.predictRaw(x)` (up to the order of summing) unless early stopping dropped
    /// trees; then `trainingRaw` is nil. Saves the caller a scoring pass over the training rows.
    /// `evaluation` receives every tree as it is made (`ConcurrentEvaluation`).
    public func fit(_ x: FeatureMatrix, labels: [Double], validation: (x: FeatureMatrix, labels: [Double])? = nil,
                    progress: (@Sendable (Int, Int) -> Void)? = nil, evaluation: ConcurrentEvaluation? = nil) throws -> (model: GBDTModel, trainingRaw: [Double]?) {
        try GradientBoosting(objectiveKind: objective, parameters: parameters)
            .train(x, labels: labels, validation: validation, progress: progress, evaluation: evaluation)
    }

    /// Whether a fit of `rows` × `features` uses fewer than `parameters.threads`, as a small table
    /// does (`GBDTParameters.rootWorkPerThread`): a `ConcurrentEvaluation` can then run beside it.
    public func leavesThreadsIdle(rows: Int, features: Int) -> Bool {
        GradientBoosting.runner(parameters, rows: rows, features: features).threads < ParallelRunner(threads: parameters.threads).threads
    }

    /// As `fit`, on rows binned already: a `BinnedDataset` or rows of one, whose binning settings
    /// must be these parameters' (`maxBin`, `binSampleCount`, and `seed` when the edges came from a
    /// sample). The same model as `fit` on the raw rows whenever the edges are the ones `fit` finds.
    public func fit(_ binned: BinnedDataset, labels: [Double], validation: (x: FeatureMatrix, labels: [Double])? = nil,
                    progress: (@Sendable (Int, Int) -> Void)? = nil, evaluation: ConcurrentEvaluation? = nil) throws -> (model: GBDTModel, trainingRaw: [Double]?) {
        try GradientBoosting(objectiveKind: objective, parameters: parameters)
            .train(binned, labels: labels, validation: validation, progress: progress, evaluation: evaluation)
    }
}
