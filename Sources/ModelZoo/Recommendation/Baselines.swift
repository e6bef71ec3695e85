import Foundation

/// Ranks items by how many training interactions they have: the baseline every recommender
/// must beat, and the fallback for users and items a model has never seen.
public struct PopularityRecommender: ItemScorer {
    public let counts: [Int32]

    public init(_ log: InteractionLog) {
        counts = log.itemCounts().map { Int32($0) }
    }

    func score(user: Int32, items: UnsafeBufferPointer<Int32>, into scores: UnsafeMutableBufferPointer<Double>) {
        for (k, item) in items.enumerated() { scores[k] = Double(counts[Int(item)]) }
    }
}

/// Hyper-parameters of the matrix-factorisation baseline.
///
/// The defaults equal NeuMF's pre-training phase, so the baseline is the model NeuMF starts from.
public struct MatrixFactorizationParameters: Codable, Sendable, Equatable {
    public var factors = 32
    public var epochs = 4
    public var negatives = 4
    /// 0: automatic (`NeuMFParameters.batchSize`).
    public var batchSize = 0
    public var learningRate: Float = 0.0075
    public var l2: Float = 0
    /// Adam steps an epoch stands for (`NeuMFParameters.epochSteps`).
    public var epochSteps = PairwiseTrainingSettings.defaultEpochSteps
    /// Training threads with `hogwild` (0 = all cores); without it training is sequential.
    public var threads = 0
    /// Hogwild-style training on `threads` threads (`PairwiseTrainingLoop`); off, the loop runs on
    /// one thread and the result depends on the seed only.
    public var hogwild = false
    public var seed: UInt64 = 0

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case factors, epochs, negatives, batchSize, learningRate, l2, epochSteps, threads, hogwild, seed
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        factors = try c.decodeIfPresent(Int.self, forKey: .factors) ?? factors
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? epochs
        negatives = try c.decodeIfPresent(Int.self, forKey: .negatives) ?? negatives
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? learningRate
        l2 = try c.decodeIfPresent(Float.self, forKey: .l2) ?? l2
        epochSteps = try c.decodeIfPresent(Int.self, forKey: .epochSteps) ?? epochSteps
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? threads
        hogwild = try c.decodeIfPresent(Bool.self, forKey: .hogwild) ?? hogwild
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
    }

    public func validate() throws {
        try RecommenderError.check((1...1024).contains(factors), "factors", factors, "must be in 1...1024")
        try RecommenderError.check((1...10_000).contains(epochs), "epochs", epochs, "must be in 1...10000")
        try RecommenderError.check((1...1_000).contains(negatives), "negatives", negatives, "must be in 1...1000")
        try RecommenderError.check((0...1 << 20).contains(batchSize), "batchSize", batchSize, "must be in 0...1048576 (0 = automatic)")
        try RecommenderError.check(learningRate > 0 && learningRate.isFinite, "learningRate", learningRate, "must be a positive number")
        try RecommenderError.check(l2 >= 0 && l2.isFinite, "l2", l2, "must be a non-negative number")
        try RecommenderError.check((0...1 << 20).contains(epochSteps), "epochSteps", epochSteps, "must be in 0...1048576 (0 = an epoch is one pass)")
        try RecommenderError.check(threads >= 0, "threads", threads, "must be non-negative (0 = all cores)")
    }

    var settings: PairwiseTrainingSettings {
        PairwiseTrainingSettings(epochs: epochs, negatives: negatives, batchSize: batchSize, l2: l2, epochSteps: epochSteps, seed: seed)
    }
}

/// Plain matrix factorisation for implicit feedback: σ(p_u · q_i + b_i + b), trained with the
/// same sampled negatives, loss and optimiser as NeuMF but without side features or a tower.
///
/// The baseline NeuMF must beat to justify its extra machinery.
public struct MatrixFactorizationModel: ItemScorer {
    public let factors: Int
    /// Row-major user factors.
    public let userFactors: [Float]
    /// Row-major item factors, each row ending with the item's bias.
    public let itemFactors: [Float]
    public let bias: Float
    public let trainingLoss: [Double]

    func score(user: Int32, items: UnsafeBufferPointer<Int32>, into scores: UnsafeMutableBufferPointer<Double>) {
        userFactors.withUnsafeBufferPointer { users in
            itemFactors.withUnsafeBufferPointer { itemRows in
                let p = users.baseAddress! + Int(user) * factors
                for (k, item) in items.enumerated() {
                    let q = itemRows.baseAddress! + Int(item) * (factors + 1)
                    scores[k] = Double(VectorKernels.dot(p, q, count: factors) + q[factors] + bias)
                }
            }
        }
    }
}

/// Trains the matrix-factorisation baseline.
public struct MatrixFactorizationTrainer: Sendable {
    public let parameters: MatrixFactorizationParameters

    public init(parameters: MatrixFactorizationParameters = MatrixFactorizationParameters()) {
        self.parameters = parameters
    }

    public func fit(_ log: InteractionLog, progress: ((Int, Double) -> Void)? = nil) throws -> MatrixFactorizationModel {
        try parameters.validate()
        guard log.interactionCount > 0 else { throw RecommenderError.notEnoughInteractions("the interaction log is empty") }
        let kernel = MatrixFactorizationKernel(users: log.users.count, items: log.items.count, parameters: parameters)
        let losses = PairwiseTrainingLoop(settings: parameters.settings).train(kernel, log: log, seen: UserItemSets(log),
                                                                               threads: parameters.hogwild ? parameters.threads : 1,
                                                                               progress: progress)
        return MatrixFactorizationModel(factors: parameters.factors, userFactors: kernel.userTable.parameters.snapshot,
                                        itemFactors: kernel.itemTable.parameters.snapshot, bias: kernel.dense.values[0],
                                        trainingLoss: losses)
    }
}

/// The matrix-factorisation forward and backward pass for `PairwiseTrainingLoop`.
final class MatrixFactorizationKernel: PairwiseKernel, @unchecked Sendable {
    let userTable: EmbeddingTable
    let itemTable: EmbeddingTable
    let dense: TrainableBuffer
    let factors: Int
    private let adam: AdamSettings

    var itemGradientWidth: Int { factors + 1 }
    var denseCount: Int { 1 }
    var workspaceSize: Int { 0 }

    /// A kernel over the same parameters with its own pending gradients (a Hogwild thread's).
    func sharingParameters() -> MatrixFactorizationKernel {
        MatrixFactorizationKernel(sharing: self)
    }

    private init(sharing other: MatrixFactorizationKernel) {
        factors = other.factors
        adam = other.adam
        userTable = other.userTable.sharingParameters()
        itemTable = other.itemTable.sharingParameters()
        dense = other.dense
    }

    init(users: Int, items: Int, parameters: MatrixFactorizationParameters) {
        factors = parameters.factors
        adam = AdamSettings(learningRate: parameters.learningRate)
        var rng = SplitMix64(seed: parameters.seed, stream: 3)
        userTable = EmbeddingTable(rows: users, width: factors,
                                   initial: EmbeddingTable.gaussian(rows: users, width: factors, sd: 0.01, &rng))
        var itemInitial = EmbeddingTable.gaussian(rows: items, width: factors + 1, sd: 0.01, &rng)
        for i in 0..<items { itemInitial[i * (factors + 1) + factors] = 0 }
        itemTable = EmbeddingTable(rows: items, width: factors + 1, initial: itemInitial)
        dense = TrainableBuffer([0])
    }

    func trainGroup(user: Int32, items: UnsafePointer<Int32>, count: Int, lossScale: Float,
                    dense gradients: UnsafeMutablePointer<Float>, userGradient: UnsafeMutablePointer<Float>,
                    itemGradients: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) -> Double {
        let p = userTable.row(user)
        userGradient.update(repeating: 0, count: factors)
        var loss = 0.0
        for j in 0..<count {
            let label: Float = j == 0 ? 1 : 0
            let q = itemTable.row(items[j])
            let logit = VectorKernels.dot(p, q, count: factors) + q[factors] + dense.values[0]
            let (probability, exampleLoss) = Logistic.sigmoidAndLoss(logit: logit, label: label)
            loss += exampleLoss
            let delta = (probability - label) * lossScale
            gradients[0] += delta
            VectorKernels.axpy(delta, q, userGradient, count: factors)
            let itemGradient = itemGradients + j * (factors + 1)
            for d in 0..<factors { itemGradient[d] = delta * p[d] }
            itemGradient[factors] = delta
        }
        return loss
    }

    func scatterItemGradient(_ item: Int32, _ gradient: UnsafePointer<Float>) {
        itemTable.accumulate(item, gradient)
    }

    func step(_ t: Int, dense gradients: UnsafePointer<Float>, l2: Float) {
        let step = adam.step(t)
        step.apply(dense, offset: 0, gradients: gradients, count: 1)
        userTable.applyAdam(step, decay: l2)
        itemTable.applyAdam(step, decay: l2)
    }
}
