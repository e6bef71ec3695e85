/// Hyper-parameters of NeuMF (He et al. 2017), with the item side features this project adds.
///
/// Decoding accepts any subset of the keys, so configuration files only name what they change.
public struct NeuMFParameters: Codable, Sendable, Equatable {
    /// Width of the GMF embeddings (the paper's "predictive factors").
    public var factors = 32
    /// The MLP tower as in the paper's code: the first entry is the width of the concatenated
    /// user and item embeddings (so each is half of it), then each hidden layer's width (ReLU).
    public var layers = [16, 8]
    /// Epochs of pre-training the GMF part alone, as matrix factorisation (He et al. §3.4.1);
    /// 0 trains the whole model jointly from scratch for `epochs`.
    public var pretrainEpochs = 4
    /// With pre-training: epochs of pre-training the MLP part (tower and side features) alone,
    /// after which the two parts are combined. Without: epochs of joint training.
    public var epochs = 2
    /// He et al.'s α: the combined model's logit is α · GMF + (1 − α) · MLP (He et al. use 0.5;
    /// 0.7 measured better than 0.5 on the inner validation splits of two MovieLens sets and on the
    /// generated data).
    public var mixing: Float = 0.7
    /// Sampled negatives per positive.
    public var negatives = 4
    /// Positives per minibatch (each with its negatives); 0: 256, or more on a log of over
    /// 256,000 interactions, so that an epoch is at most 1,000 steps.
    public var batchSize = 0
    /// Adam's learning rate for user and item embedding rows (0.0075 with `epochSteps` 1,000:
    /// chosen on the inner validation splits of two MovieLens sets, checked on the generator's
    /// data; docs/models.md).
    public var learningRate: Float = 0.0075
    /// Adam's learning rate for what many examples share: the tower, the output layer and the
    /// category and word embeddings.
    public var sharedLearningRate: Float = 0.0075
    /// L2 penalty on the embedding rows a step touches.
    public var l2: Float = 0
    /// Adam steps one epoch stands for, in both phases; 0: an epoch is one pass over the log. A
    /// pass over a log too small for this many steps (at the automatic batch, under 256,000
    /// interactions) is repeated, up to 4 passes per epoch, so `pretrainEpochs` and `epochs` mean
    /// about the same amount of training on a log of 100,000 interactions as on one of a million,
    /// where nothing changes (chosen on the inner validation splits of two MovieLens sets;
    /// docs/models.md, "Training cost and defaults").
    public var epochSteps = PairwiseTrainingSettings.defaultEpochSteps
    /// Hash buckets for title words.
    public var wordBuckets = 4_096
    /// Standard deviation of the initial embeddings.
    public var initialSD = 0.01
    /// Threads; 0 = all cores. Without `hogwild` training uses at most two (the two pre-training
    /// phases side by side) and its result does not depend on them; evaluation and scoring use
    /// all of them.
    public var threads = 0
    /// Trains each phase on all `threads`, Hogwild-style (lock-free row updates, one shard of
    /// each epoch per thread), one phase after the other; the result then depends on the
    /// threads' timing (docs/models.md).
    public var hogwild = false
    public var seed: UInt64 = 0

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case factors, layers, pretrainEpochs, epochs, mixing, negatives, batchSize, learningRate, sharedLearningRate, l2, epochSteps, wordBuckets
        case initialSD, threads, hogwild, seed
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        factors = try c.decodeIfPresent(Int.self, forKey: .factors) ?? factors
        layers = try c.decodeIfPresent([Int].self, forKey: .layers) ?? layers
        pretrainEpochs = try c.decodeIfPresent(Int.self, forKey: .pretrainEpochs) ?? pretrainEpochs
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? epochs
        mixing = try c.decodeIfPresent(Float.self, forKey: .mixing) ?? mixing
        negatives = try c.decodeIfPresent(Int.self, forKey: .negatives) ?? negatives
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? learningRate
        sharedLearningRate = try c.decodeIfPresent(Float.self, forKey: .sharedLearningRate) ?? sharedLearningRate
        l2 = try c.decodeIfPresent(Float.self, forKey: .l2) ?? l2
        epochSteps = try c.decodeIfPresent(Int.self, forKey: .epochSteps) ?? epochSteps
        wordBuckets = try c.decodeIfPresent(Int.self, forKey: .wordBuckets) ?? wordBuckets
        initialSD = try c.decodeIfPresent(Double.self, forKey: .initialSD) ?? initialSD
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? threads
        hogwild = try c.decodeIfPresent(Bool.self, forKey: .hogwild) ?? hogwild
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
    }

    /// Throws `RecommenderError.invalidParameter` for the first value outside its domain.
    public func validate() throws {
        try RecommenderError.check((1...1024).contains(factors), "factors", factors, "must be in 1...1024")
        try RecommenderError.check(layers.count >= 2 && layers.allSatisfy { (1...4096).contains($0) } && layers[0] % 2 == 0,
                                   "layers", layers, "must list an even embedding width and at least one hidden layer, each in 1...4096")
        try RecommenderError.check((0...10_000).contains(pretrainEpochs), "pretrainEpochs", pretrainEpochs, "must be in 0...10000")
        try RecommenderError.check((1...10_000).contains(epochs), "epochs", epochs, "must be in 1...10000")
        try RecommenderError.check(mixing >= 0 && mixing <= 1, "mixing", mixing, "must be in [0, 1]")
        try RecommenderError.check((1...1_000).contains(negatives), "negatives", negatives, "must be in 1...1000")
        try RecommenderError.check((0...1 << 20).contains(batchSize), "batchSize", batchSize, "must be in 0...1048576 (0 = automatic)")
        try RecommenderError.check(learningRate > 0 && learningRate.isFinite, "learningRate", learningRate, "must be a positive number")
        try RecommenderError.check(sharedLearningRate > 0 && sharedLearningRate.isFinite, "sharedLearningRate", sharedLearningRate,
                                   "must be a positive number")
        try RecommenderError.check(l2 >= 0 && l2.isFinite, "l2", l2, "must be a non-negative number")
        try RecommenderError.check((0...1 << 20).contains(epochSteps), "epochSteps", epochSteps, "must be in 0...1048576 (0 = an epoch is one pass)")
        try RecommenderError.check((1...1 << 24).contains(wordBuckets), "wordBuckets", wordBuckets, "must be in 1...16777216")
        try RecommenderError.check(initialSD > 0 && initialSD.isFinite, "initialSD", initialSD, "must be a positive number")
        try RecommenderError.check(threads >= 0, "threads", threads, "must be non-negative (0 = all cores)")
    }

    var mlpFactors: Int { layers[0] / 2 }

    /// Passes over a log of `interactions` that `epochs` of these epochs take (`epochSteps`).
    public func passes(forEpochs epochs: Int, interactions: Int) -> Int {
        settings.passes(forEpochs: epochs, positives: interactions)
    }

    /// The settings of the pre-training phase, which is the matrix-factorisation baseline.
    public var pretraining: MatrixFactorizationParameters {
        var p = MatrixFactorizationParameters()
        p.factors = factors
        p.epochs = max(1, pretrainEpochs)
        p.negatives = negatives
        p.batchSize = batchSize
        p.learningRate = learningRate
        p.l2 = l2
        p.epochSteps = epochSteps
        p.threads = threads
        p.hogwild = hogwild
        p.seed = seed
        return p
    }

    var settings: PairwiseTrainingSettings {
        PairwiseTrainingSettings(epochs: epochs, firstEpoch: pretrainEpochs, negatives: negatives, batchSize: batchSize, l2: l2,
                                 epochSteps: epochSteps, seed: seed)
    }
}
