/// One split of a tree grown in bin space.
struct BinnedSplit: Sendable {
    var feature: Int32
    var isCategorical: Bool
    var thresholdBin: Int
    var leftBins: BinSet
    var missingBin: Int
    var defaultLeft: Bool
    /// Children: ≥ 0 is an internal node, negative is `~leafIndex` (LightGBM's encoding).
    var left: Int32
    var right: Int32
    var gain: Double
    var stats: LeafStats

    @inline(__always)
    func goesLeft(bin: Int) -> Bool {
        if bin == missingBin { return defaultLeft }
        return isCategorical ? leftBins.contains(bin) : bin <= thresholdBin
    }
}

/// A tree as the learner grew it: splits on bins, leaves with their gradient sums.
/// `RegressionTree(grown:mappers:leafValues:)` turns it into raw-value thresholds.
struct GrownTree: Sendable {
    var splits: [BinnedSplit] = []
    var leaves: [LeafStats] = []

    var leafCount: Int { leaves.count }

    /// The leaf a row of the training data falls into.
    func leaf(ofRow row: Int, bins: UnsafePointer<UInt8>, rowCount: Int) -> Int {
        guard !splits.isEmpty else { return 0 }
        var node: Int32 = 0
        while node >= 0 {
            let split = splits[Int(node)]
            let bin = Int(bins[Int(split.feature) &* rowCount &+ row])
            node = split.goesLeft(bin: bin) ? split.left : split.right
        }
        return Int(~node)
    }
}

/// Grows one tree from gradients and hessians. It never knows which loss they came from,
/// as LightGBM's tree learners do not.
protocol TreeLearner: AnyObject {
    /// Grows a tree on `bag` (sorted rows; nil = all rows) using only `features`.
    func grow(gradients: UnsafePointer<Double>, hessians: UnsafePointer<Double>, constantHessian: Double?,
              bag: [Int32]?, features: [Int32]) -> GrownTree

    /// The rows of the last grown tree's `leaf` (in-bag rows only).
    func rows(ofLeaf leaf: Int) -> UnsafeBufferPointer<Int32>
}

/// Best-first (leaf-wise) growth, as LightGBM's serial tree learner: always split the leaf
/// with the largest gain until `leaves` leaves exist or no leaf can be split.
///
/// The smaller child of each split gets a freshly built histogram; the larger child's is
/// the parent's minus the smaller's. Histograms are built and splits searched in parallel
/// over features, so the grown tree does not depend on the thread count.
final class LeafWiseTreeLearner: TreeLearner {
    private let data: BinnedFeatures
    private let search: SplitSearch
    private let maxLeaves: Int
    private let maxDepth: Int?
    private let runner: ParallelRunner
    private let pool: HistogramPool
    private let partition: DataPartition
    private let orderedGradients: UnsafeMutablePointer<Double>
    private let orderedHessians: UnsafeMutablePointer<Double>
    private let goesLeft: UnsafeMutablePointer<Bool>
    private let scratch: [SplitSearch.Scratch]

    // Per-leaf state of the tree being grown.
    private var slot: [Int]
    private var depth: [Int]
    private var parentSplit: [Int]
    private var best: [SplitCandidate]
    private var candidates: [SplitCandidate]

    init(data: BinnedFeatures, parameters: GBDTParameters, runner: ParallelRunner) {
        self.data = data
        search = SplitSearch(parameters)
        maxLeaves = parameters.leaves
        maxDepth = parameters.effectiveMaxDepth
        self.runner = runner
        pool = HistogramPool(totalBinCount: data.totalBinCount, capacity: parameters.leaves)
        partition = DataPartition(rowCapacity: data.rowCount, leafCapacity: parameters.leaves)
        orderedGradients = .allocate(capacity: max(1, data.rowCount))
        orderedHessians = .allocate(capacity: max(1, data.rowCount))
        goesLeft = .allocate(capacity: 256)
        goesLeft.initialize(repeating: false, count: 256)
        scratch = (0..<runner.threads).map { _ in SplitSearch.Scratch.allocate() }
        slot = [Int](repeating: -1, count: parameters.leaves)
        depth = [Int](repeating: 0, count: parameters.leaves)
        parentSplit = [Int](repeating: -1, count: parameters.leaves)
        best = [SplitCandidate](repeating: .none, count: parameters.leaves)
        candidates = [SplitCandidate](repeating: .none, count: 2 * max(1, data.featureCount))
    }

    deinit {
        orderedGradients.deallocate()
        orderedHessians.deallocate()
        goesLeft.deallocate()
        scratch.forEach { $0.deallocate() }
    }

    func rows(ofLeaf leaf: Int) -> UnsafeBufferPointer<Int32> {
        partition.rows(ofLeaf: leaf)
    }

    func grow(gradients: UnsafePointer<Double>, hessians: UnsafePointer<Double>, constantHessian: Double?,
              bag: [Int32]?, features: [Int32]) -> GrownTree {
        partition.reset(bag: bag)
        pool.releaseAll()
        var tree = GrownTree()
        tree.leaves.append(rootStats(gradients: gradients, hessians: hessians, bag: bag))
        depth[0] = 0
        parentSplit[0] = -1
        best[0] = .none
        slot[0] = -1
        let gradientsInput = Gradients(gradients: gradients, hessians: hessians, constantHessian: constantHessian)
        features.withUnsafeBufferPointer { features in
            if canSplit(leaf: 0, tree: tree) {
                slot[0] = pool.acquire()
                buildHistogram(leaf: 0, into: slot[0], gradients: gradientsInput, wholeData: bag == nil, features: features)
                findBestSplits(leaves: 0, nil, tree: tree, features: features)
            }
            while tree.leafCount < maxLeaves {
                guard let leaf = bestLeaf(count: tree.leafCount) else { break }
                split(leaf: leaf, tree: &tree, gradients: gradientsInput, features: features)
            }
        }
        return tree
    }

    // MARK: Steps

    private struct Gradients {
        let gradients: UnsafePointer<Double>
        let hessians: UnsafePointer<Double>
        let constantHessian: Double?
    }

    private func rootStats(gradients: UnsafePointer<Double>, hessians: UnsafePointer<Double>, bag: [Int32]?) -> LeafStats {
        var stats = LeafStats()
        if let bag {
            for row in bag {
                stats.gradient += gradients[Int(row)]
                stats.hessian += hessians[Int(row)]
            }
            stats.count = bag.count
        } else {
            for row in 0..<data.rowCount {
                stats.gradient += gradients[row]
                stats.hessian += hessians[row]
            }
            stats.count = data.rowCount
        }
        return stats
    }

    private func canSplit(leaf: Int, tree: GrownTree) -> Bool {
        let stats = tree.leaves[leaf]
        if let maxDepth, depth[leaf] >= maxDepth { return false }
        return stats.count >= 2 * search.minDataInLeaf && stats.hessian >= 2 * search.minSumHessianInLeaf
    }

    private func bestLeaf(count: Int) -> Int? {
        var chosen: Int?
        var gain = 0.0
        for leaf in 0..<count where best[leaf].isValid && best[leaf].gain > gain {
            chosen = leaf
            gain = best[leaf].gain
        }
        return chosen
    }

    private func buildHistogram(leaf: Int, into slot: Int, gradients: Gradients, wholeData: Bool,
                                features: UnsafeBufferPointer<Int32>) {
        let rows = partition.rows(ofLeaf: leaf)
        let input: HistogramBuilder.LeafInput
        let constant = gradients.constantHessian
        if wholeData && leaf == 0 && rows.count == data.rowCount {
            input = .init(rows: nil, count: rows.count, gradients: gradients.gradients,
                          hessians: constant == nil ? gradients.hessians : nil, constantHessian: constant ?? 0)
        } else {
            let g = gradients.gradients, h = gradients.hessians
            for i in 0..<rows.count { orderedGradients[i] = g[Int(rows[i])] }
            if constant == nil {
                for i in 0..<rows.count { orderedHessians[i] = h[Int(rows[i])] }
            }
            input = .init(rows: rows.baseAddress, count: rows.count, gradients: orderedGradients,
                          hessians: constant == nil ? orderedHessians : nil, constantHessian: constant ?? 0)
        }
        data.bins.withUnsafeBufferPointer { bins in
            data.histogramOffsets.withUnsafeBufferPointer { offsets in
                HistogramBuilder.build(into: pool.histogram(slot), features: features, bins: bins.baseAddress!,
                                       rowCount: data.rowCount, offsets: offsets.baseAddress!, input: input, runner: runner)
            }
        }
    }

    /// Fills `best` for `first` (and `second`) from their histograms, in parallel over features.
    private func findBestSplits(leaves first: Int, _ second: Int?, tree: GrownTree, features: UnsafeBufferPointer<Int32>) {
        let leafList = second.map { [first, $0] } ?? [first]
        let featureCount = features.count
        let jobs = leafList.count * featureCount
        let totals = leafList.map { tree.leaves[$0] }
        let slots = leafList.map { slot[$0] }
        let mappers = data.mappers
        let search = self.search
        let pool = self.pool
        let scratch = self.scratch
        candidates.withUnsafeMutableBufferPointer { out in
            data.histogramOffsets.withUnsafeBufferPointer { offsets in
                runner.forEachChunk(count: jobs) { chunk, range in
                    for job in range {
                        let which = job / featureCount
                        let f = features[job % featureCount]
                        let histogram = pool.histogram(slots[which]) + offsets[Int(f)] &* HistogramBuilder.entryWidth
                        out[job] = search.best(feature: f, mapper: mappers[Int(f)], histogram: histogram,
                                               total: totals[which], scratch: scratch[chunk])
                    }
                }
            }
        }
        for (which, leaf) in leafList.enumerated() {
            var chosen = SplitCandidate.none
            for job in (which * featureCount)..<((which + 1) * featureCount) {
                let candidate = candidates[job]
                if candidate.isValid && candidate.gain > chosen.gain { chosen = candidate }
            }
            best[leaf] = chosen
        }
    }

    private func split(leaf: Int, tree: inout GrownTree, gradients: Gradients, features: UnsafeBufferPointer<Int32>) {
        let chosen = best[leaf]
        let feature = Int(chosen.feature)
        let mapper = data.mappers[feature]
        let newLeaf = tree.leafCount
        let splitIndex = tree.splits.count
        let node = BinnedSplit(feature: chosen.feature, isCategorical: chosen.isCategorical,
                               thresholdBin: chosen.thresholdBin, leftBins: chosen.leftBins,
                               missingBin: mapper.missingBin, defaultLeft: chosen.defaultLeft,
                               left: ~Int32(leaf), right: ~Int32(newLeaf), gain: chosen.gain, stats: tree.leaves[leaf])
        for bin in 0..<256 { goesLeft[bin] = bin < mapper.totalBinCount && node.goesLeft(bin: bin) }
        let leftCount = data.bins.withUnsafeBufferPointer { bins in
            partition.split(leaf: leaf, into: newLeaf, column: bins.baseAddress! + feature * data.rowCount, goesLeft: goesLeft)
        }
        assert(leftCount == chosen.left.count, "partition disagrees with histogram counts")

        let parent = parentSplit[leaf]
        if parent >= 0 {
            if tree.splits[parent].left == ~Int32(leaf) {
                tree.splits[parent].left = Int32(splitIndex)
            } else {
                tree.splits[parent].right = Int32(splitIndex)
            }
        }
        tree.splits.append(node)
        tree.leaves[leaf] = chosen.left
        tree.leaves.append(chosen.right)
        parentSplit[leaf] = splitIndex
        parentSplit[newLeaf] = splitIndex
        depth[leaf] += 1
        depth[newLeaf] = depth[leaf]
        best[leaf] = .none
        best[newLeaf] = .none

        let parentSlot = slot[leaf]
        slot[leaf] = -1
        slot[newLeaf] = -1
        guard tree.leafCount < maxLeaves else {
            pool.release(parentSlot)
            return
        }
        let leftSplittable = canSplit(leaf: leaf, tree: tree)
        let rightSplittable = canSplit(leaf: newLeaf, tree: tree)
        let smaller = chosen.left.count < chosen.right.count ? leaf : newLeaf
        let larger = smaller == leaf ? newLeaf : leaf
        let smallerSplittable = smaller == leaf ? leftSplittable : rightSplittable
        let largerSplittable = smaller == leaf ? rightSplittable : leftSplittable
        if largerSplittable {
            let smallSlot = pool.acquire()
            buildHistogram(leaf: smaller, into: smallSlot, gradients: gradients, wholeData: false, features: features)
            data.histogramOffsets.withUnsafeBufferPointer { offsets in
                HistogramBuilder.subtract(pool.histogram(smallSlot), from: pool.histogram(parentSlot),
                                          features: features, offsets: offsets.baseAddress!)
            }
            slot[larger] = parentSlot
            if smallerSplittable { slot[smaller] = smallSlot } else { pool.release(smallSlot) }
        } else if smallerSplittable {
            buildHistogram(leaf: smaller, into: parentSlot, gradients: gradients, wholeData: false, features: features)
            slot[smaller] = parentSlot
        } else {
            pool.release(parentSlot)
        }
        switch (leftSplittable, rightSplittable) {
        case (true, true): findBestSplits(leaves: leaf, newLeaf, tree: tree, features: features)
        case (true, false): findBestSplits(leaves: leaf, nil, tree: tree, features: features)
        case (false, true): findBestSplits(leaves: newLeaf, nil, tree: tree, features: features)
        case (false, false): break
        }
    }
}
