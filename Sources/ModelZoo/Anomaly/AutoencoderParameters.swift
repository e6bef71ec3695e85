/// Hyper-parameters of the MLP autoencoder.
///
/// Decoding accepts any subset of the keys, so configuration files only name what they change.
public struct AutoencoderParameters: Codable, Sendable, Equatable {
    /// Widths of the encoder's hidden layers, ending at the bottleneck; the decoder mirrors them
    /// (the default makes d → 32 → 8 → 32 → d).
    public var hidden = [32, 8]
    /// Activation of every hidden layer; the output layer is linear.
    public var activation = Activation.tanh
    /// Applies sign(x)·ln(1 + |x|) to numeric features before standardising them, so that
    /// heavy-tailed counts do not dominate the loss (measured better: docs/models.md).
    public var logTransform = true
    public var epochs = 10
    /// Share of each minibatch, the rows reconstructed worst, left out of the gradient, so the
    /// network does not learn to reconstruct the anomalies hiding in its training data.
    public var trimFraction = 0.02
    public var batchSize = 256
    public var adam = AdamSettings(learningRate: 0.001)
    /// Threads for training and scoring; 0 = all cores. Results do not depend on it.
    public var threads = 0
    public var seed: UInt64 = 0

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case hidden, activation, logTransform, epochs, trimFraction, batchSize, learningRate, threads, seed
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hidden = try c.decodeIfPresent([Int].self, forKey: .hidden) ?? hidden
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? activation
        logTransform = try c.decodeIfPresent(Bool.self, forKey: .logTransform) ?? logTransform
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? epochs
        trimFraction = try c.decodeIfPresent(Double.self, forKey: .trimFraction) ?? trimFraction
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        adam.learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? adam.learningRate
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? threads
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(hidden, forKey: .hidden)
        try c.encode(activation, forKey: .activation)
        try c.encode(logTransform, forKey: .logTransform)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(trimFraction, forKey: .trimFraction)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(adam.learningRate, forKey: .learningRate)
        try c.encode(threads, forKey: .threads)
        try c.encode(seed, forKey: .seed)
    }

    /// Throws `AnomalyError.invalidParameter` for the first value outside its domain.
    public func validate() throws {
        try AnomalyError.check(!hidden.isEmpty && hidden.allSatisfy { (1...4096).contains($0) }, "hidden", hidden,
                               "must list 1 to 4096 units per layer, at least one layer")
        try AnomalyError.check((1...10_000).contains(epochs), "epochs", epochs, "must be in 1...10000")
        try AnomalyError.check(trimFraction >= 0 && trimFraction < 0.5, "trimFraction", trimFraction, "must be in [0, 0.5)")
        try AnomalyError.check((1...1 << 20).contains(batchSize), "batchSize", batchSize, "must be in 1...1048576")
        if let problem = adam.validate(prefix: "") {
            throw AnomalyError.invalidParameter(name: "adam", value: "\(adam)", rule: problem)
        }
        try AnomalyError.check(threads >= 0, "threads", threads, "must be non-negative (0 = all cores)")
    }

    func shape(inputs: Int) throws -> DenseNetworkShape {
        let widths = [inputs] + hidden + hidden.dropLast().reversed() + [inputs]
        return try DenseNetworkShape(widths: widths, activations: Array(repeating: activation, count: widths.count - 2) + [.identity])
    }
}
