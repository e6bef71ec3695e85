import Foundation

/// Trains a `NeuMFModel` on implicit feedback with sampled negatives (`PairwiseTrainingLoop`).
///
/// He et al. pre-train GMF and the MLP separately before joining them; this trainer trains the
/// joined model from scratch with Adam, which the paper reports as close, and which halves
/// the training time.
public struct NeuMFTrainer: Sendable {
    public let parameters: NeuMFParameters

    public init(parameters: NeuMFParameters = NeuMFParameters()) {
        self.parameters = parameters
    }

    /// `features` must describe `log.items` (nil: no side information).
    /// `progress(epoch, loss, seconds)` is called after each epoch.
    public func fit(_ log: InteractionLog, features: ItemFeatures? = nil,
                    progress: ((Int, Double, Double) -> Void)? = nil) throws -> NeuMFModel {
        try parameters.validate()
        guard log.interactionCount > 0 else { throw RecommenderError.notEnoughInteractions("the interaction log is empty") }
        let features = features ?? .none(itemCount: log.items.count, wordBuckets: 1)
        guard features.itemCount == log.items.count else {
            throw RecommenderError.invalidModel("item features cover \(features.itemCount) items, the log has \(log.items.count)")
        }
        let kernel = try NeuMFKernel(users: log.users.count, features: features, parameters: parameters)
        let seen = UserItemSets(log)
        let clock = ContinuousClock()
        var epochStart = clock.now
        let losses = PairwiseTrainingLoop(settings: parameters.settings).train(kernel, log: log, seen: seen) { epoch, loss in
            let now = clock.now
            progress?(epoch, loss, (now - epochStart).seconds)
            epochStart = now
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
