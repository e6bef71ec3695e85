import Foundation

/// What the negative-sampling training loop needs to know, whichever model it trains.
struct PairwiseTrainingSettings: Sendable {
    var epochs: Int
    /// Number of the first epoch (0, or the epochs already trained in an earlier phase).
    var firstEpoch = 0
    var negatives: Int
    /// Positives per minibatch; each brings `negatives` sampled items, all of the same user.
    var batchSize: Int
    /// L2 penalty on the embedding rows a step touches (added to their gradient as l2 · θ).
    var l2: Float
    var threads: Int
    var seed: UInt64
}

/// A model that the pairwise loop can train: embeddings per user, something per item, and
/// dense parameters, with the forward and backward pass of one user's group of items.
///
/// NeuMF and the matrix-factorisation baseline implement it, so both see exactly the same
/// positives, the same sampled negatives and the same optimiser.
protocol PairwiseKernel: AnyObject, Sendable {
    var userTable: EmbeddingTable { get }
    /// Floats of gradient per item of a group (the kernel scatters them in `scatterItemGradient`).
    var itemGradientWidth: Int { get }
    var denseCount: Int { get }
    /// Floats of per-shard scratch space `trainGroup` needs.
    var workspaceSize: Int { get }

    /// Forward and backward pass for user `user` and `count` items (the first is the positive,
    /// the rest negatives), with the loss multiplied by `lossScale`. Adds dense gradients to
    /// `dense`; writes the user's gradient (`userTable.width` floats) and one gradient per item;
    /// returns the summed unscaled log loss. Must only read shared parameters.
    func trainGroup(user: Int32, items: UnsafePointer<Int32>, count: Int, lossScale: Float,
                    dense: UnsafeMutablePointer<Float>, userGradient: UnsafeMutablePointer<Float>,
                    itemGradients: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) -> Double

    /// Adds one item's gradient to the item-side rows it came from. Called on one thread.
    func scatterItemGradient(_ item: Int32, _ gradient: UnsafePointer<Float>)

    /// Applies Adam step `t` (1-based) to the dense parameters and every touched row.
    func step(_ t: Int, dense: UnsafePointer<Float>, l2: Float, runner: ParallelRunner)
}

/// Trains a `PairwiseKernel` on implicit feedback: every interaction is a positive, each with
/// `negatives` items the user has not interacted with, drawn uniformly afresh every epoch; log
/// loss; Adam on minibatches.
///
/// Minibatches are data-parallel: a fixed number of shards compute their groups' gradients at
/// once (dense gradients in per-shard buffers, embedding gradients in per-group slots), then one
/// thread adds the embedding gradients to their rows in group order and Adam updates the
/// touched rows in parallel. Negatives are drawn from a stream keyed by (seed, epoch, positive),
/// so the result depends on the seed only, never on the thread count.
struct PairwiseTrainingLoop {
    let settings: PairwiseTrainingSettings

    /// Trains on every interaction of `log`; negatives avoid every item of the user in `seen`.
    /// Returns the mean log loss of each epoch.
    func train(_ kernel: some PairwiseKernel, log: InteractionLog, seen: UserItemSets,
               progress: ((Int, Double) -> Void)?) -> [Double] {
        let positives = log.interactionCount
        guard positives > 0 else { return [] }
        let runner = ParallelRunner(threads: settings.threads)
        let groupSize = 1 + settings.negatives
        let batch = min(settings.batchSize, positives)
        let sharded = ShardedGradients(parameterCount: kernel.denseCount)
        let userWidth = kernel.userTable.width, itemWidth = kernel.itemGradientWidth
        let slots = GroupSlots(groups: batch, groupSize: groupSize, userWidth: userWidth, itemWidth: itemWidth,
                               shards: sharded.shards, workspace: kernel.workspaceSize)
        let itemCount = UInt64(log.items.count)
        var order = Array(0..<Int32(positives))
        // Streams keyed from `firstEpoch`, so a second training phase draws new orders and negatives.
        var shuffler = SplitMix64(seed: settings.seed, stream: 0x5348_5546 &+ UInt64(settings.firstEpoch))
        var step = 0
        var losses = [Double]()
        for epoch in 0..<settings.epochs {
            Shuffle.inPlace(&order, using: &shuffler)
            var total = 0.0
            var start = 0
            while start < positives {
                let count = min(batch, positives - start)
                let lossScale = 1 / Float(count * groupSize)
                let result = order.withUnsafeBufferPointer { order in
                    log.user.withUnsafeBufferPointer { users in
                        log.item.withUnsafeBufferPointer { items in
                            sharded.compute(batchSize: count, runner: runner) { shard, groups, dense in
                                var loss = 0.0
                                for g in groups {
                                    let positive = Int(order[start + g])
                                    let u = users[positive]
                                    let groupItems = slots.items(g)
                                    groupItems[0] = items[positive]
                                    var rng = SplitMix64(seed: settings.seed, stream: UInt64(settings.firstEpoch + epoch) << 40 | UInt64(positive))
                                    // Uniform over the items the user has not interacted with (He et al.).
                                    let unseen = log.items.count - seen.count(user: Int(u))
                                    for j in 1..<groupSize {
                                        var candidate = Int32(rng.next() % itemCount)
                                        var tries = 0
                                        while unseen > 0 && tries < 1_000 && seen.contains(user: Int(u), item: candidate) {
                                            candidate = Int32(rng.next() % itemCount)
                                            tries += 1
                                        }
                                        groupItems[j] = candidate
                                    }
                                    loss += kernel.trainGroup(user: u, items: groupItems, count: groupSize, lossScale: lossScale,
                                                              dense: dense, userGradient: slots.userGradient(g),
                                                              itemGradients: slots.itemGradients(g), workspace: slots.workspace(shard))
                                }
                                return loss
                            }
                        }
                    }
                }
                log.user.withUnsafeBufferPointer { users in
                    for g in 0..<count {
                        kernel.userTable.accumulate(users[Int(order[start + g])], slots.userGradient(g))
                        let groupItems = slots.items(g), gradients = slots.itemGradients(g)
                        for j in 0..<groupSize { kernel.scatterItemGradient(groupItems[j], gradients + j * itemWidth) }
                    }
                }
                step += 1
                kernel.step(step, dense: result.gradients, l2: settings.l2, runner: runner)
                total += result.loss
                start += count
            }
            let loss = total / Double(positives * groupSize)
            losses.append(loss)
            progress?(epoch + 1, loss)
        }
        return losses
    }
}

/// Per-minibatch memory of the pairwise loop: each group's items and gradients, and each shard's scratch.
private final class GroupSlots: @unchecked Sendable {
    private let itemMemory: UnsafeMutablePointer<Int32>
    private let gradientMemory: UnsafeMutablePointer<Float>
    private let workspaceMemory: UnsafeMutablePointer<Float>
    private let groupSize: Int
    private let userWidth: Int
    private let groupStride: Int
    private let workspaceSize: Int

    init(groups: Int, groupSize: Int, userWidth: Int, itemWidth: Int, shards: Int, workspace: Int) {
        self.groupSize = groupSize
        self.userWidth = userWidth
        groupStride = userWidth + groupSize * itemWidth
        workspaceSize = workspace
        itemMemory = .allocate(capacity: groups * groupSize)
        itemMemory.initialize(repeating: 0, count: groups * groupSize)
        gradientMemory = .allocate(capacity: groups * groupStride)
        gradientMemory.initialize(repeating: 0, count: groups * groupStride)
        workspaceMemory = .allocate(capacity: max(1, shards * workspace))
        workspaceMemory.initialize(repeating: 0, count: shards * workspace)
    }

    deinit {
        itemMemory.deallocate()
        gradientMemory.deallocate()
        workspaceMemory.deallocate()
    }

    func items(_ group: Int) -> UnsafeMutablePointer<Int32> { itemMemory + group * groupSize }
    func userGradient(_ group: Int) -> UnsafeMutablePointer<Float> { gradientMemory + group * groupStride }
    func itemGradients(_ group: Int) -> UnsafeMutablePointer<Float> { gradientMemory + group * groupStride + userWidth }
    func workspace(_ shard: Int) -> UnsafeMutablePointer<Float> { workspaceMemory + shard * workspaceSize }
}

/// Numerically stable logistic loss pieces.
enum Logistic {
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    }

    /// −[y log σ(x) + (1 − y) log(1 − σ(x))].
    @inline(__always)
    static func loss(logit x: Float, label y: Float) -> Double {
        let d = Double(x)
        return max(d, 0) - d * Double(y) + Foundation.log1p(Foundation.exp(-abs(d)))
    }
}
