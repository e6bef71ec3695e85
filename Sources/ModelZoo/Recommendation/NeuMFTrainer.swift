import Foundation

/// Trains a `NeuMFModel` on implicit feedback with sampled negatives (`PairwiseTrainingLoop`),
/// with He et al.'s pre-training: the GMF part is trained alone (as matrix factorisation, the
/// GMF with unit output weights), the MLP part with the side features alone, and the combined
/// model is α · GMF + (1 − α) · MLP. Two differently built models err differently, so their
/// combination ranks better than either (docs/models.md). Without pre-training the whole model
/// is trained jointly from scratch.
public struct NeuMFTrainer: Sendable {
    public let parameters: NeuMFParameters

    public init(parameters: NeuMFParameters = NeuMFParameters()) {
        self.parameters = parameters
    }

    /// `features` must describe `log.items` (nil: no side information). `pretrained` may hand
    /// in the pre-training phase's result when the caller has trained it already (the
    /// matrix-factorisation baseline with `parameters.pretraining`); it must have `factors`
    /// factors. `progress(phase, epoch, loss, seconds)` is called after each epoch of each
    /// phase ("pretraining" and "mlp", or "training" without pre-training).
    public func fit(_ log: InteractionLog, features: ItemFeatures? = nil, pretrained: MatrixFactorizationModel? = nil,
                    progress: ((String, Int, Double, Double) -> Void)? = nil) throws -> NeuMFModel {
        try parameters.validate()
        guard log.interactionCount > 0 else { throw RecommenderError.notEnoughInteractions("the interaction log is empty") }
        let features = features ?? .none(itemCount: log.items.count, wordBuckets: 1)
        guard features.itemCount == log.items.count else {
            throw RecommenderError.invalidModel("item features cover \(features.itemCount) items, the log has \(log.items.count)")
        }
        let kernel = try NeuMFKernel(users: log.users.count, features: features, parameters: parameters)
        let clock = ContinuousClock()
        var epochStart = clock.now
        func report(_ phase: String) -> (Int, Double) -> Void {
            { epoch, loss in
                let now = clock.now
                progress?(phase, epoch, loss, (now - epochStart).seconds)
                epochStart = now
            }
        }
        let seen = UserItemSets(log)
        let losses: [Double]
        if pretrained != nil || parameters.pretrainEpochs > 0 {
            if let pretrained {
                guard pretrained.factors == parameters.factors, pretrained.userFactors.count == log.users.count * parameters.factors,
                      pretrained.itemFactors.count == log.items.count * (parameters.factors + 1) else {
                    throw RecommenderError.invalidModel("the pre-trained factorisation does not match \(parameters.factors) factors, "
                                                        + "\(log.users.count) users and \(log.items.count) items")
                }
            }
            let mf = try pretrained ?? MatrixFactorizationTrainer(parameters: parameters.pretraining).fit(log, progress: report("pretraining"))
            epochStart = clock.now
            kernel.trainMLPAlone()
            losses = PairwiseTrainingLoop(settings: parameters.settings).train(kernel, log: log, seen: seen, progress: report("mlp"))
            kernel.combine(with: mf, alpha: parameters.mixing)
        } else {
            losses = PairwiseTrainingLoop(settings: parameters.settings).train(kernel, log: log, seen: seen, progress: report("training"))
        }
        let dense = kernel.dense.snapshot
        return try NeuMFModel(
            users: log.users, items: log.items, itemFeatures: features, factors: kernel.factors, mlpFactors: kernel.mlpFactors,
            tower: kernel.tower, towerParameters: Array(dense[0..<kernel.tower.parameterCount]),
            outputWeights: Array(dense[kernel.tower.parameterCount...]), userEmbeddings: kernel.userTable.parameters.snapshot,
            itemEmbeddings: kernel.itemTable.parameters.snapshot, categoryEmbeddings: kernel.categoryTable.parameters.snapshot,
            wordEmbeddings: kernel.wordTable.parameters.snapshot, itemPopularity: log.itemCounts().map { Int32($0) },
            seenStart: seen.start.map { Int32($0) }, seenItems: seen.items, trainingLoss: losses)
    }
}
