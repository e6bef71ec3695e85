import Foundation

/// Grows an isolation forest as scikit-learn's `IsolationForest` does (`max_features` 1.0,
/// `bootstrap` false): each tree on ψ rows drawn without replacement, each split on a feature
/// drawn uniformly, without replacement, until one is not constant in the node, at a threshold
/// drawn uniformly between the node's minimum and maximum, down to the depth limit ⌈log2 ψ⌉.
///
/// Missing values follow scikit-learn's random splitter: a feature whose values in the node are
/// all missing is constant; otherwise missing values go left or right by a coin flip, and a
/// split that sends every row to one side (all present values equal, missing ones sent left)
/// makes the node a leaf. Two things differ on purpose: scikit-learn casts the data to float32
/// and takes a feature as constant when its range in the node is at most 1e-7, while engage
/// splits any two different doubles.
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
        let builder = IsolationTreeBuilder(
            rows: try FeatureRowBlock(x, featureNames: x.names), totalRows: x.rowCount, sampleRows: sampleRows,
            depthLimit: parameters.depthLimit(sampleRows: sampleRows), seed: parameters.seed)
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
                        split = chooser.choose(sample, order, start..<end, &rng)
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

/// Picks a split for one node: a feature drawn uniformly among those not constant in the
/// node, and a threshold drawn uniformly between its minimum and maximum there.
struct SplitChooser {
    struct Split {
        var feature: Int32
        var threshold: Double
        var missingLeft: Bool
        var hasMissing: Bool
    }

    let rows: Int
    /// Scratch permutation for drawing features without replacement within one node.
    var candidates: [Int32]

    init(width: Int, rows: Int) {
        self.rows = rows
        candidates = Array(0..<Int32(width))
    }

    /// Draws features uniformly without replacement until one is not constant on the node's
    /// rows (present values not all equal, or some missing beside present ones); nil when all
    /// are constant, or when the drawn split would send every row to one side.
    mutating func choose(_ sample: UnsafePointer<Double>, _ order: UnsafeMutableBufferPointer<Int32>, _ span: Range<Int>,
                         _ rng: inout SplitMix64) -> Split? {
        var remaining = candidates.count
        while remaining > 0 {
            let pick = Int(rng.next() % UInt64(remaining))
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
            guard low < high || (missing && low == high) else { continue }
            var threshold = low + rng.nextUnit() * (high - low)
            if threshold >= high || !threshold.isFinite { threshold = low }
            let missingLeft = missing && rng.next() & 1 == 1
            // Present values all equal and missing ones sent left: no row goes right.
            if low == high && missingLeft { return nil }
            return Split(feature: feature, threshold: threshold, missingLeft: missingLeft, hasMissing: missing)
        }
        return nil
    }
}
