import Foundation

/// Grows an isolation forest: each tree on ψ rows drawn without replacement, each split on a
/// feature drawn uniformly among those not constant in the node, at a threshold drawn uniformly
/// between the node's minimum and maximum, down to the depth limit ⌈log2 ψ⌉.
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
    struct Tree {
        var feature: [Int32] = []
        var value: [Double] = []
        var left: [Int32] = []
        var missingLeft: [Bool] = []

        mutating func append(feature f: Int32, value v: Double) {
            feature.append(f)
            value.append(v)
            left.append(0)
            missingLeft.append(false)
        }
    }

    let rows: FeatureRowBlock
    let totalRows: Int
    let sampleRows: Int
    let depthLimit: Int
    let seed: UInt64

    init(rows: FeatureRowBlock, totalRows: Int, sampleRows: Int, depthLimit: Int, seed: UInt64) {
        self.rows = rows
        self.totalRows = totalRows
        self.sampleRows = sampleRows
        self.depthLimit = depthLimit
        self.seed = seed
    }

    func grow(tree index: Int) -> Tree {
        let anti = Self.anti
        var rng = SplitMix64(seed: seed, stream: UInt64(anti ? index / 2 : index))
        let flip = anti && index % 2 == 1
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
        tree.append(feature: -1, value: 0)
        var order = Array(0..<Int32(m))
        var features = Array(0..<Int32(width))
        // Depth-first: (node, start, end, depth) spans of `order`.
        var deck = Array(0..<Int32(width)), deckPos = width
        var stack: [(node: Int, start: Int, end: Int, depth: Int)] = [(0, 0, m, 0)]
        sample.withUnsafeBufferPointer { sample in
            order.withUnsafeMutableBufferPointer { order in
                while let (node, start, end, depth) = stack.popLast() {
                    let size = end - start
                    guard depth < depthLimit, size > 1,
                          let split = chooseSplit(sample.baseAddress!, m, order, start..<end, &features, &rng, flip: flip,
                                                  preferred: node == 0 && rootFeature(tree: index) != nil ? rootFeature(tree: index) : nextCard(&deck, &deckPos, &rng)) else {
                        tree.value[node] = Double(depth) + AveragePathLength.of(size)
                        continue
                    }
                    let column = sample.baseAddress! + Int(split.feature) * m
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
                    tree.missingLeft[node] = split.missingLeft || (!split.hasMissing && mid - start > end - mid)
                    tree.append(feature: -1, value: 0)
                    tree.append(feature: -1, value: 0)
                    stack.append((leftIndex + 1, mid, end, depth + 1))
                    stack.append((leftIndex, start, mid, depth + 1))
                }
            }
        }
        return tree
    }

    private struct Split {
        var feature: Int32
        var threshold: Double
        var missingLeft: Bool
        var hasMissing: Bool
    }

    /// Draws features without replacement until one is not constant on the node's rows; nil when all are.
    private func chooseSplit(_ sample: UnsafePointer<Double>, _ m: Int, _ order: UnsafeMutableBufferPointer<Int32>,
                             _ span: Range<Int>, _ features: inout [Int32], _ rng: inout SplitMix64, flip: Bool, preferred: Int32?) -> Split? {
        var remaining = features.count
        var preferred = preferred
        while remaining > 0 {
            var pick = Int(rng.next() % UInt64(remaining))
            if let p = preferred, let at = features[0..<remaining].firstIndex(of: p) { pick = at }
            preferred = nil
            let feature = features[pick]
            remaining -= 1
            features.swapAt(pick, remaining)
            let column = sample + Int(feature) * m
            var low = Double.infinity, high = -Double.infinity
            var missing = 0
            for i in span {
                let v = column[Int(order[i])]
                if v.isNaN {
                    missing += 1
                } else {
                    low = min(low, v)
                    high = max(high, v)
                }
            }
            guard low < high else { continue }
            var u = rng.nextUnit()
            if flip { u = 1 - u }
            var threshold = low + u * (high - low)
            if threshold >= high || !threshold.isFinite { threshold = low }
            let missingLeft = missing > 0 && rng.next() & 1 == 1
            return Split(feature: feature, threshold: threshold, missingLeft: missingLeft, hasMissing: missing > 0)
        }
        return nil
    }

    static let anti = ProcessInfo.processInfo.environment["ANTI"] != nil
    static let deckOn = ProcessInfo.processInfo.environment["DECK"] != nil
    static let balanced = ProcessInfo.processInfo.environment["BALANCED"] != nil
    func nextCard(_ deck: inout [Int32], _ pos: inout Int, _ rng: inout SplitMix64) -> Int32? {
        guard Self.deckOn else { return nil }
        if pos == deck.count {
            for i in stride(from: deck.count - 1, to: 0, by: -1) { deck.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            pos = 0
        }
        pos += 1
        return deck[pos - 1]
    }

    func rootFeature(tree: Int) -> Int32? {
        guard Self.balanced else { return nil }
        var r = SplitMix64(seed: seed, stream: 0xF0F0_F0F0)
        var perm = Array(0..<Int32(rows.width))
        for i in stride(from: perm.count - 1, to: 0, by: -1) { perm.swapAt(i, Int(r.next() % UInt64(i + 1))) }
        return perm[tree % perm.count]
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
