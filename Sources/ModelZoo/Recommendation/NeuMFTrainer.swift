import Foundation

/// Trains a `NeuMFModel` on implicit feedback with sampled negatives (`PairwiseTrainingLoop`),
/// with He et al.'s pre-training: the GMF part is trained alone (as matrix factorisation, the
/// GMF with unit output weights), the MLP part with the side features alone, and the combined
/// model is α · GMF + (1 − α) · MLP. Two differently built models err differently, so their
/// combination ranks better than either (docs/models.md). Without pre-training the whole model
/// is trained jointly from scratch.
///
/// The two pre-training phases are independent until they are combined, so with more than one
/// thread they run side by side, each on its own thread; each phase is sequential, so the model
/// is the same whatever the thread count. With `hogwild` the phases run one after the other,
/// each on all threads Hogwild-style (`PairwiseTrainingLoop`), and the model depends on the
/// threads' timing.
public struct NeuMFTrainer: Sendable {
    public let parameters: NeuMFParameters

    public init(parameters: NeuMFParameters = NeuMFParameters()) {
        self.parameters = parameters
    }

    /// `features` must describe `log.items` (nil: no side information). `pretrained` may hand
    /// in the pre-training phase's result when the caller has trained it already (the
    /// matrix-factorisation baseline with `parameters.pretraining`); it must have `factors`
    /// factors. `progress(phase, epoch, loss, seconds)` is called after each epoch of each
    /// phase ("pretraining" and "mlp", or "training" without pre-training), one call at a time
    /// but, while the two pre-training phases run side by side, from either thread.
    public func fit(_ log: InteractionLog, features: ItemFeatures? = nil, pretrained: MatrixFactorizationModel? = nil,
                    progress: ((String, Int, Double, Double) -> Void)? = nil) throws -> NeuMFModel {
        try train(log, features: features, pretrained: pretrained, progress: progress).model
    }

    /// `fit`, also returning the factorisation the model was combined with (nil without
    /// pre-training) and the seconds spent training it here (0 when it was handed in).
    func train(_ log: InteractionLog, features: ItemFeatures?, pretrained: MatrixFactorizationModel?,
               progress: ((String, Int, Double, Double) -> Void)?)
        throws -> (model: NeuMFModel, factorisation: MatrixFactorizationModel?, factorisationSeconds: Double) {
        try parameters.validate()
        guard log.interactionCount > 0 else { throw RecommenderError.notEnoughInteractions("the interaction log is empty") }
        let features = features ?? .none(itemCount: log.items.count, wordBuckets: 1)
        guard features.itemCount == log.items.count else {
            throw RecommenderError.invalidModel("item features cover \(features.itemCount) items, the log has \(log.items.count)")
        }
        if let pretrained {
            guard pretrained.factors == parameters.factors, pretrained.userFactors.count == log.users.count * parameters.factors,
                  pretrained.itemFactors.count == log.items.count * (parameters.factors + 1) else {
                throw RecommenderError.invalidModel("the pre-trained factorisation does not match \(parameters.factors) factors, "
                                                    + "\(log.users.count) users and \(log.items.count) items")
            }
        }
        let kernel = try NeuMFKernel(users: log.users.count, features: features, parameters: parameters)
        let epochs = EpochProgress(progress)
        let seen = UserItemSets(log)
        let loop = PairwiseTrainingLoop(settings: parameters.settings)
        let loopThreads = parameters.hogwild ? parameters.threads : 1
        let losses: [Double]
        var factorisation: MatrixFactorizationModel?
        var factorisationSeconds = 0.0
        if pretrained != nil || parameters.pretrainEpochs > 0 {
            kernel.trainMLPAlone()
            if let pretrained {
                factorisation = pretrained
                losses = loop.train(kernel, log: log, seen: seen, threads: loopThreads, progress: epochs.phase("mlp"))
            } else if parameters.hogwild {
                let clock = ContinuousClock(), start = clock.now
                factorisation = try MatrixFactorizationTrainer(parameters: parameters.pretraining).fit(log, progress: epochs.phase("pretraining"))
                factorisationSeconds = (clock.now - start).seconds
                losses = loop.train(kernel, log: log, seen: seen, threads: loopThreads, progress: epochs.phase("mlp"))
            } else {
                var mf: Result<MatrixFactorizationModel, Error> = .failure(CancellationError())
                var mlpLosses = [Double]()
                let clock = ContinuousClock()
                ParallelRunner(threads: parameters.threads).forEachJob(count: 2) { job in
                    if job == 0 {
                        let start = clock.now
                        mf = Result {
                            try MatrixFactorizationTrainer(parameters: parameters.pretraining).fit(log, progress: epochs.phase("pretraining"))
                        }
                        factorisationSeconds = (clock.now - start).seconds
                    } else {
                        mlpLosses = loop.train(kernel, log: log, seen: seen, progress: epochs.phase("mlp"))
                    }
                }
                factorisation = try mf.get()
                losses = mlpLosses
            }
            if let factorisation { kernel.combine(with: factorisation, alpha: parameters.mixing) }
        } else {
            losses = loop.train(kernel, log: log, seen: seen, threads: loopThreads, progress: epochs.phase("training"))
        }
        let dense = kernel.dense.snapshot
        let model = try NeuMFModel(
            users: log.users, items: log.items, itemFeatures: features, factors: kernel.factors, mlpFactors: kernel.mlpFactors,
            tower: kernel.tower, towerParameters: Array(dense[0..<kernel.tower.parameterCount]),
            outputWeights: Array(dense[kernel.tower.parameterCount...]), userEmbeddings: kernel.userTable.parameters.snapshot,
            itemEmbeddings: kernel.itemTable.parameters.snapshot, categoryEmbeddings: kernel.categoryTable.parameters.snapshot,
            wordEmbeddings: kernel.wordTable.parameters.snapshot, itemPopularity: log.itemCounts().map { Int32($0) },
            seenStart: seen.start.map { Int32($0) }, seenItems: seen.items, trainingLoss: losses)
        return (model, factorisation, factorisationSeconds)
    }
}

/// Hands the epochs of training phases that may run on different threads to one progress
/// callback, one call at a time, each with its own phase's epoch time.
private final class EpochProgress {
    private let lock = NSLock()
    private let progress: ((String, Int, Double, Double) -> Void)?

    init(_ progress: ((String, Int, Double, Double) -> Void)?) {
        self.progress = progress
    }

    /// The per-epoch callback of a phase that starts now.
    func phase(_ name: String) -> (Int, Double) -> Void {
        let clock = ContinuousClock()
        var epochStart = clock.now
        return { [self] epoch, loss in
            let now = clock.now
            let seconds = (now - epochStart).seconds
            epochStart = now
            lock.withLock { progress?(name, epoch, loss, seconds) }
        }
    }
}
