import Foundation

/// What the negative-sampling training loop needs to know, whichever model it trains.
struct PairwiseTrainingSettings: Sendable {
    var epochs: Int
    /// Number of the first epoch (0, or the epochs already trained in an earlier phase).
    var firstEpoch = 0
    var negatives: Int
    /// Positives per minibatch; each brings `negatives` sampled items, all of the same user.
    /// 0: `automaticBatchSize`.
    var batchSize: Int
    /// L2 penalty on the embedding rows a step touches (added to their gradient as l2 · θ).
    var l2: Float
    /// Adam steps one epoch stands for (0: an epoch is one pass over the log).
    var epochSteps: Int
    var seed: UInt64

    /// The Adam steps an epoch stands for by default: the automatic batch keeps a pass over a
    /// large log at most this many, and `passes` repeats a pass over a small log up to about it.
    static let defaultEpochSteps = 1_000

    /// 256 positives, or more on a log of over 256,000, so that an epoch is at most 1,000 Adam
    /// steps: each row then takes a bounded number of steps per epoch whatever the log's size
    /// (docs/models.md, "Training cost").
    static func automaticBatchSize(_ positives: Int) -> Int {
        min(positives, max(256, (positives + defaultEpochSteps - 1) / defaultEpochSteps))
    }

    /// Most passes one epoch becomes on a small log: bounds the cost and the overfitting of a
    /// tiny log, where `epochSteps` steps would be hundreds of passes.
    static let maximumPassesPerEpoch = 4.0

    /// Positives per minibatch on a log of `positives`.
    func batch(positives: Int) -> Int {
        batchSize > 0 ? min(batchSize, positives) : Self.automaticBatchSize(positives)
    }

    /// `passes(forEpochs:stepsPerPass:)` on a log of `positives` at its minibatch size.
    func passes(forEpochs epochs: Int, positives: Int) -> Int {
        let batch = batch(positives: positives)
        return passes(forEpochs: epochs, stepsPerPass: batch > 0 ? (positives + batch - 1) / batch : 0)
    }

    /// Passes over the log that `epochs` epochs take when a pass is `stepsPerPass` minibatches:
    /// `epochs` where a pass is at least `epochSteps` steps, else round(epochs · r) with
    /// r = min(epochSteps / stepsPerPass, `maximumPassesPerEpoch`), so a log of 100,000
    /// interactions gets about the updates of one of a million (docs/models.md, "Training cost
    /// and defaults").
    func passes(forEpochs epochs: Int, stepsPerPass: Int) -> Int {
        guard epochSteps > 0, stepsPerPass > 0, stepsPerPass < epochSteps else { return epochs }
        let repeats = min(Double(epochSteps) / Double(stepsPerPass), Self.maximumPassesPerEpoch)
        return max(epochs, Int((Double(epochs) * repeats).rounded()))
    }
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
    /// Floats of scratch space `trainGroup` needs.
    var workspaceSize: Int { get }

    /// Forward and backward pass for user `user` and `count` items (the first is the positive,
    /// the rest negatives), with the loss multiplied by `lossScale`. Adds dense gradients to
    /// `dense`; writes the user's gradient (`userTable.width` floats) and one gradient per item;
    /// returns the summed unscaled log loss. Only reads the parameters.
    func trainGroup(user: Int32, items: UnsafePointer<Int32>, count: Int, lossScale: Float,
                    dense: UnsafeMutablePointer<Float>, userGradient: UnsafeMutablePointer<Float>,
                    itemGradients: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) -> Double

    /// Adds one item's gradient to the item-side rows it came from.
    func scatterItemGradient(_ item: Int32, _ gradient: UnsafePointer<Float>)

    /// Applies Adam step `t` (1-based) to the dense parameters and every touched row.
    func step(_ t: Int, dense: UnsafePointer<Float>, l2: Float)

    /// A kernel over the same parameters with its own pending gradients, for a Hogwild thread.
    func sharingParameters() -> Self
}

/// Trains a `PairwiseKernel` on implicit feedback: every interaction is a positive, each with
/// `negatives` items the user has not interacted with, drawn uniformly afresh every epoch; log
/// loss; Adam on minibatches.
///
/// On one thread the loop is sequential. A minibatch is about a thousand examples of a few
/// hundred floating-point operations each (tens to hundreds of microseconds), too little to
/// share between threads with a barrier per step: synchronising the threads at every step cost
/// more than the work on the shared cores this runs on (a 2-thread run was slower than a
/// 1-thread one). With `threads` > 1 the loop is Hogwild-style (Recht et al. 2011) instead:
/// each epoch's shuffled positives are cut into one contiguous shard per thread, and each thread
/// runs its own minibatches over its shard, with its own pending gradients (`sharingParameters`)
/// and its own Adam step count, writing the shared rows and dense parameters without locks; the
/// threads meet only at the end of each epoch. Concurrent writes to one row may lose an update,
/// so the result depends on the thread timing. Negatives are drawn from a stream keyed by (seed,
/// epoch, positive), so on one thread the result depends on the seed only.
struct PairwiseTrainingLoop {
    let settings: PairwiseTrainingSettings

    /// Trains on every interaction of `log`; negatives avoid every item of the user in `seen`.
    /// Returns the mean log loss of each epoch. `threads` > 1 trains Hogwild-style (at most one
    /// thread per minibatch of positives).
    func train<Kernel: PairwiseKernel>(_ kernel: Kernel, log: InteractionLog, seen: UserItemSets, threads: Int = 1,
                                       progress: ((Int, Double) -> Void)?) -> [Double] {
        let positives = log.interactionCount
        guard positives > 0 else { return [] }
        let groupSize = 1 + settings.negatives
        let batch = settings.batch(positives: positives)
        let passes = settings.passes(forEpochs: settings.epochs, positives: positives)
        let firstPass = settings.passes(forEpochs: settings.firstEpoch, positives: positives)
        let workers = max(1, min(ParallelRunner(threads: threads).threads, positives / batch))
        let kernels = [kernel] + (1..<workers).map { _ in kernel.sharingParameters() }
        let scratches = kernels.map {
            GroupScratch(groupSize: groupSize, userWidth: $0.userTable.width, itemWidth: $0.itemGradientWidth,
                         dense: $0.denseCount, workspace: $0.workspaceSize)
        }
        var order = Array(0..<Int32(positives))
        // Streams keyed from the first pass (`firstEpoch`'s), so a second training phase draws new orders and negatives.
        var shuffler = SplitMix64(seed: settings.seed, stream: 0x5348_5546 &+ UInt64(firstPass))
        let steps = UnsafeMutablePointer<Int>.allocate(capacity: workers)
        steps.initialize(repeating: 0, count: workers)
        let shardLosses = UnsafeMutablePointer<Double>.allocate(capacity: workers)
        shardLosses.initialize(repeating: 0, count: workers)
        defer {
            steps.deallocate()
            shardLosses.deallocate()
        }
        var losses = [Double]()
        // The epoch's users and positive items in its shuffled order: one gather whose random
        // reads are independent, so the minibatch loops below read them in sequence.
        var epochUsers = [Int32](repeating: 0, count: positives), epochItems = [Int32](repeating: 0, count: positives)
        for epoch in 0..<passes {
            Shuffle.inPlace(&order, using: &shuffler)
            order.withUnsafeBufferPointer { order in
                log.user.withUnsafeBufferPointer { users in
                    log.item.withUnsafeBufferPointer { items in
                        epochUsers.withUnsafeMutableBufferPointer { epochUsers in
                            epochItems.withUnsafeMutableBufferPointer { epochItems in
                                for k in 0..<positives {
                                    let positive = Int(order[k])
                                    epochUsers[k] = users[positive]
                                    epochItems[k] = items[positive]
                                }
                            }
                        }
                    }
                }
            }
            order.withUnsafeBufferPointer { order in
                epochUsers.withUnsafeBufferPointer { users in
                    epochItems.withUnsafeBufferPointer { items in
                        seen.withUnsafeView { seen in
                            let shard = EpochShard(order: order, users: users, items: items, seen: seen, itemCount: UInt64(log.items.count),
                                                   epoch: firstPass + epoch, groupSize: groupSize, batch: batch)
                            ParallelRunner(threads: workers).forEachJob(count: workers) { w in
                                let range = (positives * w / workers)..<(positives * (w + 1) / workers)
                                shardLosses[w] = shard.train(kernels[w], scratches[w], range: range, step: &steps[w], worker: w,
                                                             workers: workers, settings: settings)
                            }
                        }
                    }
                }
            }
            let total = (0..<workers).reduce(0.0) { $0 + shardLosses[$1] }
            let loss = total / Double(positives * groupSize)
            losses.append(loss)
            progress?(epoch + 1, loss)
        }
        return losses
    }
}

/// One epoch's shuffled positives, in raw memory, and the minibatch loop over a range of them.
private struct EpochShard: @unchecked Sendable {
    let order: UnsafeBufferPointer<Int32>
    let users: UnsafeBufferPointer<Int32>
    let items: UnsafeBufferPointer<Int32>
    let seen: UserItemSets.View
    let itemCount: UInt64
    let epoch: Int
    let groupSize: Int
    let batch: Int

    /// Minibatches over positives `range` (in shuffled order); returns their summed log loss.
    /// `step` counts this worker's steps; Adam's bias correction reads the steps of all
    /// `workers` (worker w's k-th step is the run's (k − 1) · workers + w + 1-th), since the
    /// moments they share have taken that many.
    func train<Kernel: PairwiseKernel>(_ kernel: Kernel, _ scratch: GroupScratch, range: Range<Int>, step: inout Int,
                                       worker: Int, workers: Int, settings: PairwiseTrainingSettings) -> Double {
        let userTable = kernel.userTable, itemWidth = kernel.itemGradientWidth, denseCount = kernel.denseCount
        let groupItems = scratch.items, userGradient = scratch.userGradient, itemGradients = scratch.itemGradients
        let dense = scratch.dense, workspace = scratch.workspace
        let seed = settings.seed, l2 = settings.l2
        var total = 0.0
        var start = range.lowerBound
        while start < range.upperBound {
            let count = min(batch, range.upperBound - start)
            let lossScale = 1 / Float(count * groupSize)
            VectorKernels.zero(dense, count: denseCount)
            // Reading the minibatch's user rows and seen lists first lets the memory system fetch
            // them side by side; inside each group's long dependent chain they would be fetched
            // one at a time.
            var sink: Float = 0
            for g in start..<(start + count) {
                let u = users[g]
                sink += userTable.warm(u) + Float(seen.warm(user: Int(u)))
            }
            scratch.sink = sink
            for g in start..<(start + count) {
                let positive = Int(order[g])
                let u = users[g]
                groupItems[0] = items[g]
                var rng = SplitMix64(seed: seed, stream: UInt64(epoch) << 40 | UInt64(positive))
                // Uniform over the items the user has not interacted with (He et al.).
                let unseen = Int(itemCount) - seen.count(user: Int(u))
                for j in 1..<groupSize {
                    var candidate = Int32(truncatingIfNeeded: rng.next() % itemCount)
                    var tries = 0
                    while unseen > 0 && tries < 1_000 && seen.contains(user: Int(u), item: candidate) {
                        candidate = Int32(truncatingIfNeeded: rng.next() % itemCount)
                        tries += 1
                    }
                    groupItems[j] = candidate
                }
                total += kernel.trainGroup(user: u, items: groupItems, count: groupSize, lossScale: lossScale,
                                           dense: dense, userGradient: userGradient, itemGradients: itemGradients, workspace: workspace)
                userTable.accumulate(u, userGradient)
                for j in 0..<groupSize { kernel.scatterItemGradient(groupItems[j], itemGradients + j * itemWidth) }
            }
            kernel.step(step * workers + worker + 1, dense: dense, l2: l2)
            step += 1
            start += count
        }
        return total
    }
}

/// The pairwise loop's memory: one group's items and gradients, the minibatch's dense gradient
/// and the kernel's scratch.
private final class GroupScratch: @unchecked Sendable {
    /// Keeps the warming reads alive.
    var sink: Float = 0
    let items: UnsafeMutablePointer<Int32>
    let userGradient: UnsafeMutablePointer<Float>
    let itemGradients: UnsafeMutablePointer<Float>
    let dense: UnsafeMutablePointer<Float>
    let workspace: UnsafeMutablePointer<Float>

    init(groupSize: Int, userWidth: Int, itemWidth: Int, dense: Int, workspace: Int) {
        items = .allocate(capacity: groupSize)
        items.initialize(repeating: 0, count: groupSize)
        userGradient = .allocate(capacity: max(1, userWidth))
        userGradient.initialize(repeating: 0, count: max(1, userWidth))
        itemGradients = .allocate(capacity: max(1, groupSize * itemWidth))
        itemGradients.initialize(repeating: 0, count: max(1, groupSize * itemWidth))
        self.dense = .allocate(capacity: max(1, dense))
        self.dense.initialize(repeating: 0, count: max(1, dense))
        self.workspace = .allocate(capacity: max(1, workspace))
        self.workspace.initialize(repeating: 0, count: max(1, workspace))
    }

    deinit {
        items.deallocate()
        userGradient.deallocate()
        itemGradients.deallocate()
        dense.deallocate()
        workspace.deallocate()
    }
}

/// Numerically stable logistic loss pieces.
enum Logistic {
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    }

    /// σ(x) and the log loss −[y log σ(x) + (1 − y) log(1 − σ(x))] of label `y` from one
    /// exponential: e = exp(−|x|) gives σ(x) as 1/(1 + e) or e/(1 + e), and the loss as
    /// max(x, 0) − x·y + log(1 + e).
    @inline(__always)
    static func sigmoidAndLoss(logit x: Float, label y: Float) -> (sigmoid: Float, loss: Double) {
        let e = Foundation.exp(-abs(x))
        let sigmoid = x >= 0 ? 1 / (1 + e) : e / (1 + e)
        return (sigmoid, Double(max(x, 0) - x * y + Foundation.log1p(e)))
    }
}
