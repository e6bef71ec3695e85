import Foundation

/// Trains an `Autoencoder` with Adam on shuffled minibatches, minimising the mean squared
/// reconstruction error of the encoded rows.
///
/// Each minibatch's gradient is computed data-parallel over a fixed number of shards
/// (`ShardedGradients`), so the model depends on the seed only, never on the thread count.
public struct AutoencoderTrainer: Sendable {
    public let parameters: AutoencoderParameters

    public init(parameters: AutoencoderParameters = AutoencoderParameters()) {
        self.parameters = parameters
    }

    /// `progress(epoch, loss)` is called after each epoch, on the calling thread.
    public func fit(_ x: FeatureMatrix, progress: ((Int, Double) -> Void)? = nil) throws -> Autoencoder {
        try parameters.validate()
        guard x.rowCount > 0 else { throw AnomalyError.emptyTrainingSet }
        guard x.columnCount > 0 else { throw AnomalyError.noFeatures }
        let encoder = try TabularEncoder(fitting: x, logTransform: parameters.logTransform)
        let inputs = try encoder.encode(x)
        let shape = try parameters.shape(inputs: encoder.width)
        var rng = SplitMix64(seed: parameters.seed, stream: 1)
        let theta = TrainableBuffer(shape.initialParameters(&rng))
        let losses = train(inputs, rows: x.rowCount, shape: shape, theta: theta, rng: &rng, progress: progress)
        return try Autoencoder(encoder: encoder, shape: shape, parameters: theta.snapshot, trainingLoss: losses)
    }

    private func train(_ inputs: [Float], rows: Int, shape: DenseNetworkShape, theta: TrainableBuffer,
                       rng: inout SplitMix64, progress: ((Int, Double) -> Void)?) -> [Double] {
        let width = shape.inputWidth
        let kernels = DenseKernels(shape: shape)
        let runner = ParallelRunner(threads: parameters.threads)
        let sharded = ShardedGradients(parameterCount: shape.parameterCount)
        let batchSize = min(parameters.batchSize, rows)
        let workspace = AutoencoderWorkspace(shape: shape, batchSize: batchSize, shards: sharded.shards)
        let outputOffset = shape.activationCount - width
        var order = Array(0..<Int32(rows))
        var step = 0
        var epochLosses = [Double]()
        var ranked = [Int]()
        inputs.withUnsafeBufferPointer { inputs in
            let x = inputs.baseAddress!
            for epoch in 0..<parameters.epochs {
                Shuffle.inPlace(&order, using: &rng)
                var total = 0.0
                var start = 0
                while start < rows {
                    let count = min(batchSize, rows - start)
                    let batch = order.withUnsafeBufferPointer { $0.baseAddress! + start }
                    // Forward pass of the whole batch, keeping each example's layer outputs.
                    runner.forEachChunk(count: count, minimumPerChunk: 16) { _, examples in
                        for e in examples {
                            let input = x + Int(batch[e]) * width
                            let activations = workspace.activations(example: e)
                            kernels.forward(theta.values, input: input, activations: activations)
                            var error: Float = 0
                            for i in 0..<width {
                                let d = activations[outputOffset + i] - input[i]
                                error += d * d
                            }
                            workspace.errors[e] = error
                            workspace.trimmed[e] = false
                        }
                    }
                    // The worst-reconstructed share of the batch teaches nothing about normal rows.
                    let trim = Int(parameters.trimFraction * Double(count))
                    if trim > 0 {
                        ranked = Array(0..<count)
                        ranked.sort { workspace.errors[$0] > workspace.errors[$1] || (workspace.errors[$0] == workspace.errors[$1] && $0 < $1) }
                        for e in ranked.prefix(trim) { workspace.trimmed[e] = true }
                    }
                    let scale = Float(2) / Float((count - trim) * width)
                    let result = sharded.compute(batchSize: count, runner: runner) { shard, examples, gradients in
                        let delta = workspace.delta(shard), scratch = workspace.scratch(shard)
                        var loss = 0.0
                        for e in examples {
                            loss += Double(workspace.errors[e])
                            if workspace.trimmed[e] { continue }
                            let input = x + Int(batch[e]) * width
                            let activations = workspace.activations(example: e)
                            for i in 0..<width { delta[i] = scale * (activations[outputOffset + i] - input[i]) }
                            kernels.backward(theta.values, input: input, activations: activations, outputGradient: delta,
                                             gradients: gradients, inputGradient: nil, scratch: scratch)
                        }
                        return loss
                    }
                    step += 1
                    parameters.adam.step(step).apply(theta, offset: 0, gradients: result.gradients, count: theta.count)
                    total += result.loss
                    start += count
                }
                let loss = total / Double(rows * width)
                epochLosses.append(loss)
                progress?(epoch + 1, loss)
            }
        }
        return epochLosses
    }
}

/// Scratch memory of autoencoder training: each batch example's layer outputs and error, and
/// per shard the output gradient and the backward pass's two gradient vectors.
private final class AutoencoderWorkspace {
    private let exampleMemory: UnsafeMutablePointer<Float>
    private let shardMemory: UnsafeMutablePointer<Float>
    let errors: UnsafeMutablePointer<Float>
    let trimmed: UnsafeMutablePointer<Bool>
    private let activationCount: Int
    private let width: Int
    private let shardStride: Int
    private let batchSize: Int

    init(shape: DenseNetworkShape, batchSize: Int, shards: Int) {
        activationCount = shape.activationCount
        width = shape.outputWidth
        shardStride = width + 2 * shape.maximumWidth
        self.batchSize = batchSize
        exampleMemory = .allocate(capacity: activationCount * batchSize)
        exampleMemory.initialize(repeating: 0, count: activationCount * batchSize)
        shardMemory = .allocate(capacity: shardStride * shards)
        shardMemory.initialize(repeating: 0, count: shardStride * shards)
        errors = .allocate(capacity: batchSize)
        errors.initialize(repeating: 0, count: batchSize)
        trimmed = .allocate(capacity: batchSize)
        trimmed.initialize(repeating: false, count: batchSize)
    }

    deinit {
        exampleMemory.deallocate()
        shardMemory.deallocate()
        errors.deallocate()
        trimmed.deallocate()
    }

    func activations(example: Int) -> UnsafeMutablePointer<Float> { exampleMemory + example * activationCount }
    func delta(_ shard: Int) -> UnsafeMutablePointer<Float> { shardMemory + shard * shardStride }
    func scratch(_ shard: Int) -> UnsafeMutablePointer<Float> { shardMemory + shard * shardStride + width }
}
