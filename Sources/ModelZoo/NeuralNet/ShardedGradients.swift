/// Data-parallel gradient computation for one minibatch: the batch is cut into a fixed number of
/// shards, each shard sums its examples' gradients into its own buffer, and the buffers are
/// added in shard order.
///
/// The shard count is fixed rather than equal to the thread count, so a model trained with 1
/// thread is bit-identical to one trained with 16: floating-point sums happen in the same order.
final class ShardedGradients {
    static let defaultShards = 8

    let shards: Int
    let parameterCount: Int
    private let buffers: UnsafeMutablePointer<Float>
    private let losses: UnsafeMutablePointer<Double>

    init(parameterCount: Int, shards: Int = ShardedGradients.defaultShards) {
        self.shards = shards
        self.parameterCount = parameterCount
        buffers = .allocate(capacity: max(1, shards * parameterCount))
        buffers.initialize(repeating: 0, count: shards * parameterCount)
        losses = .allocate(capacity: shards)
        losses.initialize(repeating: 0, count: shards)
    }

    deinit {
        buffers.deallocate()
        losses.deallocate()
    }

    /// Zeroes the buffers, then calls `body(shard, examples, gradients)` for each shard's slice of
    /// `0..<batchSize`, in parallel; `body` adds its examples' gradients and returns their loss.
    /// Returns the summed gradients (valid until the next call) and the total loss.
    func compute(batchSize: Int, runner: ParallelRunner,
                 _ body: (Int, Range<Int>, UnsafeMutablePointer<Float>) -> Double) -> (gradients: UnsafePointer<Float>, loss: Double) {
        let buffers = self.buffers, losses = self.losses, p = parameterCount, shards = self.shards
        runner.forEachChunk(count: shards) { _, shardRange in
            for shard in shardRange {
                let gradients = buffers + shard * p
                gradients.update(repeating: 0, count: p)
                let lower = batchSize * shard / shards, upper = batchSize * (shard + 1) / shards
                losses[shard] = lower < upper ? body(shard, lower..<upper, gradients) : 0
            }
        }
        var loss = losses[0]
        for shard in 1..<shards {
            VectorKernels.add(buffers + shard * p, into: buffers, count: p)
            loss += losses[shard]
        }
        return (UnsafePointer(buffers), loss)
    }
}
