import Foundation

/// Grows an isolation forest: each tree on ψ rows drawn without replacement, each split on a
/// feature that is not constant in the node, at a threshold drawn uniformly between the node's
/// minimum and maximum, down to the depth limit ⌈log2 ψ⌉.
///
/// Split features are drawn by stratified sampling rather than independently: the roots of the
/// forest cycle through a seeded permutation of the features, and within a tree each split takes
/// the next card of a shuffled deck of features (reshuffled when used up), falling back to a
/// uniform draw when that feature is constant in the node. Each split's feature is still
/// uniform over the features, but every feature gets its share of splits, which lowers the
/// variance of a 100-tree forest (see docs/models.md for the measured effect).
///
/// Trees are grown in parallel; tree t draws from its own random stream (seed, t), so the forest
/// depends on the seed only, never on the thread count.
public struct IsolationForestTrainer: Sendable {
    public let parameters: IsolationForestParameters

    public init(parameters: IsolationForestParameters = IsolationForestParameters()) {
        self.parameters = parameters
    }

    public func fit(_ x: FeatureMatrix) throws -> IsolationForest {
        try parameters.validate()
        guard x.rowCount > 0 else { throw AnomalyError.emptyTrainingSet }
        guard x.columnCount > 0 else { throw AnomalyError.noFeatures }
        let sampleRows = min(parameters.sampleSize, x.rowCount)
        var rootRandom = SplitMix64(seed: parameters.seed, stream: UInt64.max)
        var rootFeatures = Array(0..<Int32(x.columnCount))
        Shuffle.inPlace(&rootFeatures, using: &rootRandom)
        let builder = IsolationTreeBuilder(
            rows: try FeatureRowBlock(x, featureNames: x.names), totalRows: x.rowCount, sampleRows: sampleRows,
            depthLimit: parameters.depthLimit(sampleRows: sampleRows), seed: parameters.seed, rootFeatures: rootFeatures)
        var trees = [IsolationTreeBuilder.Tree?](repeating: nil, count: parameters.trees)
        trees.withUnsafeMutableBufferPointer { trees in
            let out = trees.baseAddress!
            ParallelRunner(threads: parameters.threads).forEachChunk(count: parameters.trees) { _, range in
                for t in range { (out + t).pointee = builder.grow(tree: t) }
            }
        }
        var offsets = [Int32](), feature = [Int32](), value = [Double](), left = [Int32](), missingLeft = [Bool]()
        for case let tree? in trees {
            offsets.append(Int32(feature.count))
            feature += tree.feature
            value += tree.value
            left += tree.left
            missingLeft += tree.missingLeft
        }
        return try IsolationForest(featureNames: x.names, sampleRows: sampleRows, treeOffsets: offsets, splitFeature: feature,
                                   value: value, leftChild: left, missingGoesLeft: missingLeft)
    }
}

/// Grows one isolation tree from a random subsample; shared read-only by the building threads.
struct IsolationTreeBuilder: Sendable {
    /// One tree's nodes, in the layout of `IsolationForest`.
    struct Tree {
        var feature: [Int32] = []
        var value: [Double] = []
        var left: [Int32] = []
        var missingLeft: [Bool] = []

        mutating func appendExternal() {
            feature.append(-1)
            value.append(0)
            left.append(0)
            missingLeft.append(false)
        }
    }

    let rows: FeatureRowBlock
    let totalRows: Int
    let sampleRows: Int
    let depthLimit: Int
    let seed: UInt64
    /// The root feature of tree t is tried first: `rootFeatures[t % count]`.
    let rootFeatures: [Int32]

    func grow(tree index: Int) -> Tree {
        var rng = SplitMix64(seed: seed, stream: UInt64(index))
        let picked = Self.distinctRows(sampleRows, of: totalRows, using: &rng)
        let m = picked.count
        let width = rows.width
        // Column-major copy of the subsample: a split scans one feature of the node's rows.
        var sample = [Double](repeating: 0, count: m * width)
        for (f, column) in rows.columns.enumerated() {
            let categorical = rows.isCategorical[f]
            for (r, row) in picked.enumerated() {
                let v = column[row]
                sample[f * m + r] = categorical && v < 0 ? .nan : v
            }
        }
        var tree = Tree()
        tree.appendExternal()
        var order = Array(0..<Int32(m))
        var chooser = SplitChooser(width: width, rows: m)
        // Depth first, left child before right: (node, start, end, depth) spans of `order`.
        var stack: [(node: Int, start: Int, end: Int, depth: Int)] = [(0, 0, m, 0)]
        sample.withUnsafeBufferPointer { sample in
            order.withUnsafeMutableBufferPointer { order in
                let sample = sample.baseAddress!
                while let (node, start, end, depth) = stack.popLast() {
                    let size = end - start
                    var split: SplitChooser.Split?
                    if depth < depthLimit && size > 1 {
                        let preferred = node == 0 ? rootFeatures[index % rootFeatures.count] : chooser.nextCard(&rng)
                        split = chooser.choose(sample, order, start..<end, preferred: preferred, &rng)
                    }
                    guard let split else {
                        tree.value[node] = Double(depth) + AveragePathLength.of(size)
                        continue
                    }
                    let column = sample + Int(split.feature) * m
                    var mid = start
                    for i in start..<end {
                        let v = column[Int(order[i])]
                        if v <= split.threshold || (v.isNaN && split.missingLeft) {
                            order.swapAt(i, mid)
                            mid += 1
                        }
                    }
                    let leftIndex = tree.feature.count
                    tree.feature[node] = split.feature
                    tree.value[node] = split.threshold
                    tree.left[node] = Int32(leftIndex)
                    // Without missing values in the sample, a missing value at scoring time takes the larger side.
                    tree.missingLeft[node] = split.hasMissing ? split.missingLeft : mid - start > end - mid
                    tree.appendExternal()
                    tree.appendExternal()
                    stack.append((leftIndex + 1, mid, end, depth + 1))
                    stack.append((leftIndex, start, mid, depth + 1))
                }
            }
        }
        return tree
    }

    /// `k` distinct row numbers of `0..<n`, ascending (Floyd's algorithm).
    static func distinctRows(_ k: Int, of n: Int, using rng: inout SplitMix64) -> [Int] {
        if k >= n { return Array(0..<n) }
        var chosen = Set<Int>(minimumCapacity: k)
        for j in (n - k)..<n {
            let t = Int(rng.next() % UInt64(j + 1))
            if !chosen.insert(t).inserted { chosen.insert(j) }
        }
        return chosen.sorted()
    }
}

/// Picks a split for one node: the feature deck of a tree and the min/max scan.
struct SplitChooser {
    struct Split {
        var feature: Int32
        var threshold: Double
        var missingLeft: Bool
        var hasMissing: Bool
    }

    let rows: Int
    /// A shuffled deck of features, dealt one per split.
    var deck: [Int32]
    var deckPosition: Int
    /// Scratch permutation for drawing features without replacement within one node.
    var candidates: [Int32]

    init(width: Int, rows: Int) {
        self.rows = rows
        deck = Array(0..<Int32(width))
        deckPosition = width
        candidates = deck
    }

    mutating func nextCard(_ rng: inout SplitMix64) -> Int32 {
        if deckPosition == deck.count {
            Shuffle.inPlace(&deck, using: &rng)
            deckPosition = 0
        }
        deckPosition += 1
        return deck[deckPosition - 1]
    }

    /// Tries `preferred`, then features drawn uniformly without replacement, until one is not
    /// constant on the node's rows; nil when all are.
    mutating func choose(_ sample: UnsafePointer<Double>, _ order: UnsafeMutableBufferPointer<Int32>, _ span: Range<Int>,
                         preferred: Int32, _ rng: inout SplitMix64) -> Split? {
        var remaining = candidates.count
        var next: Int32? = preferred
        while remaining > 0 {
            let pick: Int
            if let wanted = next, let at = candidates[0..<remaining].firstIndex(of: wanted) {
                pick = at
            } else {
                pick = Int(rng.next() % UInt64(remaining))
            }
            next = nil
            let feature = candidates[pick]
            remaining -= 1
            candidates.swapAt(pick, remaining)
            let column = sample + Int(feature) * rows
            var low = Double.infinity, high = -Double.infinity
            var missing = false
            for i in span {
                let v = column[Int(order[i])]
                if v.isNaN {
                    missing = true
                } else {
                    low = min(low, v)
                    high = max(high, v)
                }
            }
            guard low < high else { continue }
            var threshold = low + rng.nextUnit() * (high - low)
            if threshold >= high || !threshold.isFinite { threshold = low }
            let missingLeft = missing && rng.next() & 1 == 1
            return Split(feature: feature, threshold: threshold, missingLeft: missingLeft, hasMissing: missing)
        }
        return nil
    }
}
