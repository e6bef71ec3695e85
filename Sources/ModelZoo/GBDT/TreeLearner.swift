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
/// the parent's minus the smaller's. For each split one parallel pass runs a job per group
/// of features — build, subtract, search both children — so the grown tree does not depend
/// on the thread count and threads meet once per split.
final class LeafWiseTreeLearner: TreeLearner {
    private let data: BinnedFeatures
    private let search: SplitSearch
    private let shapes: [FeatureShape]
    private let maxLeaves: Int
    private let maxDepth: Int?
    private let runner: ParallelRunner
    private let pool: HistogramPool
    private let partition: DataPartition
    private let orderedGradients: UnsafeMutablePointer<Double>
    private let orderedHessians: UnsafeMutablePointer<Double>
    private let goesLeft: UnsafeMutablePointer<Bool>

    // Per-leaf state of the tree being grown.
    private var slot: [Int]
    private var depth: [Int]
    private var parentSplit: [Int]
    private var best: [SplitCandidate]
    /// Per-feature split candidates of the (up to two) leaves searched in one pass.
    private var candidates: [SplitCandidate]

    init(data: BinnedFeatures, parameters: GBDTParameters, runner: ParallelRunner) {
        self.data = data
        search = SplitSearch(parameters)
        shapes = data.mappers.map(FeatureShape.init)
        maxLeaves = parameters.leaves
        maxDepth = parameters.effectiveMaxDepth
        self.runner = runner
        pool = HistogramPool(totalBinCount: data.totalBinCount, capacity: parameters.leaves)
        partition = DataPartition(rowCapacity: data.rowCount, leafCapacity: parameters.leaves)
        orderedGradients = .allocate(capacity: max(1, data.rowCount))
        orderedHessians = .allocate(capacity: max(1, data.rowCount))
        goesLeft = .allocate(capacity: 256)
        goesLeft.initialize(repeating: false, count: 256)
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
        let source = Gradients(gradients: gradients, hessians: hessians, constantHessian: constantHessian)
        features.withUnsafeBufferPointer { features in
            if canSplit(leaf: 0, tree: tree) {
                slot[0] = pool.acquire()
                let input = rootInput(source: source, bagged: bag != nil)
                runPass(Pass(build: (0, slot[0], input), subtractFrom: nil, searches: [(0, slot[0])]),
                        tree: tree, features: features)
            }
            while tree.leafCount < maxLeaves {
                guard let leaf = bestLeaf(count: tree.leafCount) else { break }
                split(leaf: leaf, tree: &tree, source: source, features: features)
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

    /// The work of one parallel pass over the features.
    private struct Pass {
        /// Build this leaf's histogram into this slot.
        var build: (leaf: Int, slot: Int, input: HistogramBuilder.LeafInput)?
        /// Then subtract it from this slot (the parent's), which becomes the sibling's.
        var subtractFrom: Int?
        /// Then search these leaves, whose histograms are in these slots (at most two).
        var searches: [(leaf: Int, slot: Int)]
    }

    /// The root's sums, in four interleaved partial sums (one chain of dependent adds over every
    /// row cost as much as a fifth of the root histogram).
    private func rootStats(gradients: UnsafePointer<Double>, hessians: UnsafePointer<Double>, bag: [Int32]?) -> LeafStats {
        @inline(__always) func sums(_ count: Int, _ row: (Int) -> Int) -> (Double, Double) {
            var g = SIMD4<Double>(), h = SIMD4<Double>()
            var i = 0
            while i &+ 4 <= count {
                let (r0, r1, r2, r3) = (row(i), row(i &+ 1), row(i &+ 2), row(i &+ 3))
                g += SIMD4(gradients[r0], gradients[r1], gradients[r2], gradients[r3])
                h += SIMD4(hessians[r0], hessians[r1], hessians[r2], hessians[r3])
                i &+= 4
            }
            var tailG = 0.0, tailH = 0.0
            while i < count {
                tailG += gradients[row(i)]
                tailH += hessians[row(i)]
                i &+= 1
            }
            return ((g[0] + g[1]) + (g[2] + g[3]) + tailG, (h[0] + h[1]) + (h[2] + h[3]) + tailH)
        }
        let (g, h): (Double, Double)
        let count: Int
        if let bag {
            count = bag.count
            (g, h) = bag.withUnsafeBufferPointer { bag in sums(count) { Int(bag[$0]) } }
        } else {
            count = data.rowCount
            (g, h) = sums(count) { $0 }
        }
        return LeafStats(gradient: g, hessian: h, count: count)
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

    /// A child's rows with the gradients that the partition gathered for it.
    private func gatheredInput(leaf: Int, source: Gradients) -> HistogramBuilder.LeafInput {
        let rows = partition.rows(ofLeaf: leaf)
        let constant = source.constantHessian
        return .init(rows: rows.baseAddress, count: rows.count, gradients: orderedGradients,
                     hessians: constant == nil ? orderedHessians : nil, constantHessian: constant ?? 0)
    }

    /// The root's rows: all rows in order and the gradients as they are, or the bag with its
    /// gradients gathered into position order.
    private func rootInput(source: Gradients, bagged: Bool) -> HistogramBuilder.LeafInput {
        let rows = partition.rows(ofLeaf: 0)
        let constant = source.constantHessian
        guard bagged else {
            return .init(rows: nil, count: rows.count, gradients: source.gradients,
                         hessians: constant == nil ? source.hessians : nil, constantHessian: constant ?? 0)
        }
        let g = source.gradients, h = source.hessians
        for i in 0..<rows.count { orderedGradients[i] = g[Int(rows[i])] }
        if constant == nil {
            for i in 0..<rows.count { orderedHessians[i] = h[Int(rows[i])] }
        }
        return .init(rows: rows.baseAddress, count: rows.count, gradients: orderedGradients,
                     hessians: constant == nil ? orderedHessians : nil, constantHessian: constant ?? 0)
    }

    /// Runs `pass` with one job per group of features (one group when the leaf is small),
    /// then keeps each searched leaf's best split.
    private func runPass(_ pass: Pass, tree: GrownTree, features: UnsafeBufferPointer<Int32>) {
        let featureCount = features.count
        let searches = pass.searches.map { (histogram: pool.histogram($0.slot), total: tree.leaves[$0.leaf]) }
        let build = pass.build.map { (histogram: pool.histogram($0.slot), input: $0.input) }
        let parent = pass.subtractFrom.map { pool.histogram($0) }
        let search = self.search
        let work = featureCount * ((build?.input.count ?? 0) + HistogramBuilder.searchWork * searches.count)
        let groups = HistogramBuilder.groupCount(features: featureCount, work: work, threads: runner.threads)
        let width = HistogramBuilder.entryWidth
        candidates.withUnsafeMutableBufferPointer { out in
            shapes.withUnsafeBufferPointer { shapes in
                data.histogramOffsets.withUnsafeBufferPointer { offsets in
                    data.bins.withUnsafeBufferPointer { bins in
                      data.rowBins.withUnsafeBufferPointer { rowBins in
                        let layout = HistogramBuilder.Layout(bins: bins.baseAddress!, rowCount: data.rowCount,
                                                             offsets: offsets.baseAddress!, rowBins: rowBins.baseAddress,
                                                             stride: data.featureCount, copy: pool.copy)
                        runner.forEachJob(count: groups, parallel: groups > 1) { group in
                            let positions = HistogramBuilder.group(group, of: groups, count: featureCount)
                            if let build {
                                HistogramBuilder.buildGroup(into: build.histogram, features: features, positions: positions,
                                                            layout: layout, input: build.input)
                                if let parent {
                                    HistogramBuilder.subtract(build.histogram, from: parent,
                                                              features: UnsafeBufferPointer(rebasing: features[positions]),
                                                              offsets: offsets.baseAddress!)
                                }
                            }
                            for position in positions {
                                let f = Int(features[position])
                                for (which, leaf) in searches.enumerated() {
                                    out[which &* featureCount &+ position] = search.best(
                                        feature: Int32(f), shape: shapes[f], histogram: leaf.histogram + offsets[f] &* width,
                                        total: leaf.total)
                                }
                            }
                        }
                      }
                    }
                }
            }
        }
        for (which, leaf) in pass.searches.enumerated() {
            var chosen = SplitCandidate.none
            for job in (which * featureCount)..<((which + 1) * featureCount)
            where candidates[job].isValid && candidates[job].gain > chosen.gain {
                chosen = candidates[job]
            }
            best[leaf.leaf] = chosen
        }
    }

    private func split(leaf: Int, tree: inout GrownTree, source: Gradients, features: UnsafeBufferPointer<Int32>) {
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
        // The smaller child's histogram is built next (unless this is the last split): gather
        // its gradients while its rows are moved.
        let smallerIsLeft = chosen.left.count < chosen.right.count
        let gather = tree.leafCount + 1 < maxLeaves
            ? DataPartition.Gather(gradients: source.gradients, hessians: source.constantHessian == nil ? source.hessians : nil,
                                   orderedGradients: orderedGradients, orderedHessians: orderedHessians, left: smallerIsLeft)
            : nil
        let leftCount = data.bins.withUnsafeBufferPointer { bins in
            partition.split(leaf: leaf, into: newLeaf, column: bins.baseAddress! + feature * data.rowCount, goesLeft: goesLeft,
                            gather: gather, runner: runner)
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
        // After the last split no leaf will be searched again.
        guard tree.leafCount < maxLeaves else {
            pool.release(parentSlot)
            return
        }
        let smaller = smallerIsLeft ? leaf : newLeaf
        let larger = smaller == leaf ? newLeaf : leaf
        let smallerSplittable = canSplit(leaf: smaller, tree: tree)
        let largerSplittable = canSplit(leaf: larger, tree: tree)
        var pass = Pass(build: nil, subtractFrom: nil, searches: [])
        if largerSplittable {
            let smallSlot = pool.acquire()
            pass.build = (smaller, smallSlot, gatheredInput(leaf: smaller, source: source))
            pass.subtractFrom = parentSlot
            slot[larger] = parentSlot
            if smallerSplittable {
                slot[smaller] = smallSlot
                pass.searches.append((smaller, smallSlot))
            }
            pass.searches.append((larger, parentSlot))
        } else if smallerSplittable {
            pass.build = (smaller, parentSlot, gatheredInput(leaf: smaller, source: source))
            slot[smaller] = parentSlot
            pass.searches.append((smaller, parentSlot))
        } else {
            pool.release(parentSlot)
            return
        }
        runPass(pass, tree: tree, features: features)
        if largerSplittable && !smallerSplittable, let built = pass.build {
            pool.release(built.slot)
        }
    }
}
