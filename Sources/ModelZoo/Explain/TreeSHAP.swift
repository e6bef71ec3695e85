import Foundation

/// Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018) for a GBDT.
///
/// For every row it gives one SHAP value per feature, in raw-score (margin) space, such that
/// `expectedValue + Σ φ = predictRaw(row)`. Conditional expectations follow each node's
/// training cover (row counts, as shap's TreeExplainer uses for LightGBM).
///
/// The values are those of Algorithm 2 of the paper, computed another way. A leaf with value v
/// whose path holds the distinct features j with merged cover fractions z_j (the product over
/// the path's edges on j) adds to feature i
/// φ_i = v (o_i − z_i) ∫₀¹ Π_{j≠i} (z_j (1 − t) + o_j t) dt, where o_j ∈ {0, 1} says whether
/// the row satisfies every condition of the path on j (the Shapley weight
/// |S|!(d−|S|−1)!/d! is a Beta integral, after "Linear TreeShap", Yu et al. 2022). The
/// integrand is a polynomial of degree below d, so Gauss–Legendre quadrature with ⌈d/2⌉
/// points is exact. A leaf's contribution thus depends on the row only through its pattern
/// o ∈ {0, 1}^d, and rows share patterns (as in "Fast TreeSHAP", Yang 2021): one walk down
/// each tree per row finds every leaf's pattern as a bit mask, and a block of rows computes
/// each (leaf, pattern) contribution once and adds it up for every row that has it.
public struct TreeSHAP: Sendable {
    public let model: GBDTModel
    /// The mean raw score over the training cover: the base every explanation starts from.
    public let expectedValue: Double
    private let trees: [SHAPTree]
    /// Gauss–Legendre rules for 1 … the most points any leaf needs.
    private let rules: QuadratureRules

    /// Rows explained together, tree by tree: at most this many, so a block's contributions stay in cache.
    static let maxBlockRows = 4096
    /// Blocks of fewer rows compute every leaf's contribution directly: too few rows share a pattern.
    static let minMemoizedRows = 16

    public init(model: GBDTModel) {
        self.init(model: model, memoizedFeatures: SHAPTree.memoizedFeatures)
    }

    /// `memoizedFeatures`: leaves with more distinct path features than this are never memoized.
    init(model: GBDTModel, memoizedFeatures: Int) {
        self.model = model
        trees = model.activeTrees.map { SHAPTree($0, memoizedFeatures: memoizedFeatures) }
        expectedValue = model.baseScore + trees.reduce(0) { $0 + $1.expectedValue }
        rules = QuadratureRules(maxPoints: trees.map(\.mostPoints).max() ?? 0)
    }

    /// SHAP values, row-major: `values[row * featureCount + feature]`, features in the model's order.
    /// The values do not depend on `threads`.
    public func explain(_ x: FeatureMatrix, threads: Int = 0) throws -> (values: [Double], featureCount: Int) {
        let features = model.featureNames.count
        let columns = try model.featureNames.map { name -> [Double] in
            guard let i = x.index(of: name) else { throw FeatureMatrixError.missingFeature(name, available: x.names) }
            return x.columns[i]
        }
        let rows = x.rowCount
        var values = [Double](repeating: 0, count: rows * features)
        let explained = trees.filter { $0.depth > 0 }
        guard rows > 0, features > 0, !explained.isEmpty else { return (values, features) }
        let runner = ParallelRunner(threads: threads)
        let blockCount = max((rows + Self.maxBlockRows - 1) / Self.maxBlockRows, min(runner.threads, rows / (2 * Self.minMemoizedRows)), 1)
        values.withUnsafeMutableBufferPointer { output in
            let out = UnsafeMutableSendablePointer(output.baseAddress)
            runner.forEachJob(count: blockCount) { block in
                let start = rows * block / blockCount
                let end = rows * (block + 1) / blockCount
                guard start < end else { return }
                var scratch = SHAPScratch(trees: explained, rows: end - start, stride: features,
                                          memoized: end - start >= Self.minMemoizedRows)
                defer { scratch.deallocate() }
                for (f, column) in columns.enumerated() {
                    column.withUnsafeBufferPointer { column in
                        for r in start..<end { scratch.rows[(r - start) &* features &+ f] = column[r] }
                    }
                }
                rules.withPointers { rules in
                    for tree in explained {
                        tree.explain(rows: scratch.rows, stride: features, count: end - start,
                                     phi: out.pointer! + start * features, rules: rules, scratch: &scratch)
                    }
                }
            }
        }
        return (values, features)
    }
}

/// A raw pointer passed into parallel jobs that each write a disjoint range.
struct UnsafeMutableSendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Double>?
    init(_ pointer: UnsafeMutablePointer<Double>?) { self.pointer = pointer }
}

/// Gauss–Legendre quadrature on [0, 1]: `points` nodes and weights (summing to 1) that
/// integrate polynomials of degree up to 2·points − 1 exactly.
enum GaussLegendre {
    static func rule(points n: Int) -> (nodes: [Double], weights: [Double]) {
        var nodes = [Double](repeating: 0, count: n)
        var weights = [Double](repeating: 0, count: n)
        for i in 0..<n {
            // Newton's method on the Legendre polynomial P_n from Tricomi's initial guess.
            var x = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            for _ in 0..<100 {
                let (value, derivative) = legendre(n, x)
                let step = value / derivative
                x -= step
                if abs(step) < 1e-16 { break }
            }
            let derivative = legendre(n, x).derivative
            nodes[i] = (1 - x) / 2
            weights[i] = 1 / ((1 - x * x) * derivative * derivative)
        }
        return (nodes, weights)
    }

    /// P_n(x) and P_n′(x), by the three-term recurrence.
    private static func legendre(_ n: Int, _ x: Double) -> (value: Double, derivative: Double) {
        var previous = 1.0, current = x
        var k = 1
        while k < n {
            let next = (Double(2 * k + 1) * x * current - Double(k) * previous) / Double(k + 1)
            previous = current
            current = next
            k += 1
        }
        return (current, Double(n) * (x * current - previous) / (x * x - 1))
    }
}

/// The Gauss–Legendre rules of 1, 2, … `maxPoints` points, side by side: rule k starts at k(k−1)/2.
struct QuadratureRules: Sendable {
    private let nodes: [Double]
    private let weights: [Double]

    init(maxPoints: Int) {
        var nodes: [Double] = [], weights: [Double] = []
        for points in stride(from: 1, through: maxPoints, by: 1) {
            let rule = GaussLegendre.rule(points: points)
            nodes += rule.nodes
            weights += rule.weights
        }
        self.nodes = nodes
        self.weights = weights
    }

    /// Pointers to the nodes and weights, for a hot loop.
    struct Pointers {
        let nodes: UnsafePointer<Double>
        let weights: UnsafePointer<Double>
    }

    func withPointers(_ body: (Pointers) -> Void) {
        nodes.withUnsafeBufferPointer { nodes in
            weights.withUnsafeBufferPointer { weights in
                let empty = UnsafePointer<Double>(bitPattern: MemoryLayout<Double>.alignment)!
                body(Pointers(nodes: nodes.baseAddress ?? empty, weights: weights.baseAddress ?? empty))
            }
        }
    }
}

/// One job's buffers for explaining a block of rows: the rows, the walk's stack, the memo of
/// (leaf, pattern) contributions and the arithmetic's scratch. Allocated once per block, so the
/// per-row work allocates nothing.
struct SHAPScratch {
    /// The block's rows in model feature order, row-major.
    let rows: UnsafeMutablePointer<Double>
    let stackNodes: UnsafeMutablePointer<Int32>
    let stackMasks: UnsafeMutablePointer<UInt64>
    /// Per (leaf, pattern) of the current tree: `stamp << 32 | offset into contributions`; nil when not memoized.
    let memo: UnsafeMutablePointer<UInt64>?
    let contributions: UnsafeMutablePointer<Double>
    /// o and one leaf's contributions (`distinct + 1` each); per (feature, point) the factors g
    /// and their suffix products (`(distinct + 1) × points`); per point the prefix products.
    let indicators: UnsafeMutablePointer<Double>
    let direct: UnsafeMutablePointer<Double>
    let factors: UnsafeMutablePointer<Double>
    let suffix: UnsafeMutablePointer<Double>
    let prefix: UnsafeMutablePointer<Double>
    /// Which tree's memo entries are current: entries of older stamps are stale.
    var stamp: UInt64 = 0

    init(trees: [SHAPTree], rows: Int, stride: Int, memoized: Bool) {
        self.rows = .allocate(capacity: max(1, rows * stride))
        let depth = trees.map(\.depth).max() ?? 0
        stackNodes = .allocate(capacity: depth + 1)
        stackMasks = .allocate(capacity: depth + 1)
        let memoCount = memoized ? trees.map(\.memoSize).max() ?? 0 : 0
        if memoCount > 0 {
            let memo = UnsafeMutablePointer<UInt64>.allocate(capacity: memoCount)
            memo.initialize(repeating: 0, count: memoCount)
            self.memo = memo
        } else {
            memo = nil
        }
        let stored = memoCount > 0 ? trees.map { $0.memoizedValues(rows: rows) }.max() ?? 0 : 0
        contributions = .allocate(capacity: max(1, stored))
        let distinct = (trees.map(\.mostDistinct).max() ?? 0) + 1
        let points = max(1, trees.map(\.mostPoints).max() ?? 0)
        indicators = .allocate(capacity: distinct)
        direct = .allocate(capacity: distinct)
        factors = .allocate(capacity: distinct * points)
        suffix = .allocate(capacity: distinct * points)
        prefix = .allocate(capacity: points)
    }

    func deallocate() {
        rows.deallocate()
        stackNodes.deallocate()
        stackMasks.deallocate()
        memo?.deallocate()
        contributions.deallocate()
        indicators.deallocate()
        direct.deallocate()
        factors.deallocate()
        suffix.deallocate()
        prefix.deallocate()
    }
}

/// One tree prepared for explanation: its nodes packed for the walk with the pattern bit each
/// sets, and per leaf its distinct path features with their merged cover fractions.
struct SHAPTree: Sendable {
    /// An internal node and what its edges do to a path's pattern mask: the row's side keeps
    /// the feature's bit (setting it when the feature is new to the path), the other side clears it.
    struct Node: Sendable {
        var split: PackedSplit
        var bit: UInt64
        var newBit: UInt64
    }

    /// A leaf's value and where its path's distinct features, fractions, memo entries and (for
    /// paths of more than 64 distinct features) path steps are.
    struct Leaf: Sendable {
        var value: Double
        var start: Int32
        var count: Int32
        /// First memo entry (2^count of them), or −1 when the leaf's contributions are computed for each row.
        var memo: Int32
        var pathStart: Int32
        var pathCount: Int32
    }

    /// One edge of a long path, for leaves whose pattern does not fit a 64-bit mask.
    struct PathStep: Sendable {
        var node: Int32
        var left: Bool
        var position: Int32
    }

    /// Leaves with at most this many distinct path features memoize their 2^d patterns.
    static let memoizedFeatures = 10
    /// Memo entries of one tree at most (leaves past it are computed for each row): 512 KiB.
    static let memoBudget = 1 << 16

    let nodes: [Node]
    let leaves: [Leaf]
    let features: [Int32]
    let fractions: [Double]
    let paths: [PathStep]
    let bitset: [UInt32]
    /// The longest root-to-leaf path, in edges.
    let depth: Int
    /// The most distinct features on one path.
    let mostDistinct: Int
    let memoSize: Int
    let expectedValue: Double

    /// Quadrature points for a path of `distinct` features: exact for its polynomial of degree `distinct − 1`.
    @inline(__always)
    static func points(_ distinct: Int) -> Int { max(1, (distinct + 1) / 2) }

    var mostPoints: Int { depth > 0 ? Self.points(mostDistinct) : 0 }

    init(_ tree: RegressionTree, memoizedFeatures: Int) {
        let internalNodes = tree.numberOfInternalNodes
        bitset = tree.categoryBitset
        guard internalNodes > 0 else {
            nodes = []
            leaves = []
            features = []
            fractions = []
            paths = []
            depth = 0
            mostDistinct = 0
            memoSize = 0
            expectedValue = tree.leafValue.first ?? 0
            return
        }
        func cover(_ child: Int32) -> Double {
            child < 0 ? Double(tree.leafCount[Int(~child)]) : Double(tree.internalCount[Int(child)])
        }
        var nodes = (0..<internalNodes).map { Node(split: PackedSplit(tree, node: $0), bit: 0, newBit: 0) }
        var leaves = [Leaf](repeating: Leaf(value: 0, start: 0, count: 0, memo: -1, pathStart: 0, pathCount: 0), count: tree.leafValue.count)
        var features: [Int32] = [], fractions: [Double] = [], paths: [PathStep] = []
        var position = [Int32](repeating: -1, count: Int(tree.splitFeature.max() ?? 0) + 1)
        var pathFeatures: [Int32] = [], pathFractions: [Double] = [], steps: [PathStep] = []
        var deepest = 0, mostDistinct = 0, memoSize = 0
        var expected = 0.0
        func walk(_ node: Int32, depth: Int, reach: Double) {
            if node < 0 {
                let leaf = Int(~node)
                let distinct = pathFeatures.count
                var memo: Int32 = -1
                if distinct <= memoizedFeatures, memoSize + (1 << distinct) <= Self.memoBudget {
                    memo = Int32(memoSize)
                    memoSize += 1 << distinct
                }
                let long = distinct > 64
                leaves[leaf] = Leaf(value: tree.leafValue[leaf], start: Int32(features.count), count: Int32(distinct), memo: memo,
                                    pathStart: Int32(paths.count), pathCount: long ? Int32(steps.count) : 0)
                if long { paths += steps }
                features += pathFeatures
                fractions += pathFractions
                expected += reach * tree.leafValue[leaf]
                deepest = max(deepest, depth)
                mostDistinct = max(mostDistinct, distinct)
                return
            }
            let n = Int(node)
            let feature = Int(tree.splitFeature[n])
            let known = position[feature]
            let p = known >= 0 ? Int(known) : pathFeatures.count
            let bit: UInt64 = p < 64 ? 1 << UInt64(p) : 0
            nodes[n].bit = bit
            nodes[n].newBit = known < 0 ? bit : 0
            if known < 0 {
                position[feature] = Int32(p)
                pathFeatures.append(Int32(feature))
                pathFractions.append(1)
            }
            let saved = pathFractions[p]
            let nodeCover = max(cover(node), 1e-300)
            for side in 0..<2 {
                let child = side == 0 ? tree.leftChild[n] : tree.rightChild[n]
                let ratio = cover(child) / nodeCover
                pathFractions[p] = max(saved * ratio, 1e-290)
                steps.append(PathStep(node: node, left: side == 0, position: Int32(p)))
                walk(child, depth: depth + 1, reach: reach * ratio)
                steps.removeLast()
            }
            pathFractions[p] = saved
            if known < 0 {
                position[feature] = -1
                pathFeatures.removeLast()
                pathFractions.removeLast()
            }
        }
        walk(0, depth: 0, reach: 1)
        self.nodes = nodes
        self.leaves = leaves
        self.features = features
        self.fractions = fractions
        self.paths = paths
        depth = deepest
        self.mostDistinct = mostDistinct
        self.memoSize = memoSize
        expectedValue = expected
    }

    /// Doubles of memoized contributions a block of `rows` rows may store for this tree: per
    /// memoized leaf, d values for each pattern that can occur (2^d, and no more than the rows).
    func memoizedValues(rows: Int) -> Int {
        leaves.reduce(0) { total, leaf in leaf.memo < 0 ? total : total + min(1 << Int(leaf.count), rows) * Int(leaf.count) }
    }

    /// Adds this tree's SHAP values of `count` rows (row-major, `stride` values each) to `phi`
    /// (the same layout).
    func explain(rows: UnsafePointer<Double>, stride: Int, count: Int, phi: UnsafeMutablePointer<Double>,
                 rules: QuadratureRules.Pointers, scratch: inout SHAPScratch) {
        scratch.stamp &+= 1
        let stamp = scratch.stamp << 32
        let memo = scratch.memo
        let s = scratch
        nodes.withUnsafeBufferPointer { nodes in
            leaves.withUnsafeBufferPointer { leaves in
                features.withUnsafeBufferPointer { features in
                    fractions.withUnsafeBufferPointer { fractions in
                        paths.withUnsafeBufferPointer { paths in
                            bitset.withUnsafeBufferPointer { bitset in
                                let nodes = nodes.baseAddress!, leaves = leaves.baseAddress!
                                let features = features.baseAddress!, fractions = fractions.baseAddress!
                                let bits = bitset.baseAddress
                                var stored = 0
                                for r in 0..<count {
                                    let row = rows + r &* stride
                                    let phiRow = phi + r &* stride
                                    var top = 0
                                    var node: Int32 = 0
                                    var mask: UInt64 = 0
                                    while true {
                                        while node >= 0 {
                                            let n = nodes[Int(node)]
                                            let left = n.split.goesLeft(row[Int(n.split.feature)], bitset: bits)
                                            s.stackNodes[top] = left ? n.split.right : n.split.left
                                            s.stackMasks[top] = mask & ~n.bit
                                            top &+= 1
                                            mask |= n.newBit
                                            node = left ? n.split.left : n.split.right
                                        }
                                        let leaf = leaves[Int(~node)]
                                        let d = Int(leaf.count)
                                        let start = Int(leaf.start)
                                        let values: UnsafePointer<Double>
                                        if leaf.memo >= 0, let memo {
                                            let key = Int(leaf.memo) &+ Int(truncatingIfNeeded: mask)
                                            let entry = memo[key]
                                            if entry & ~0xFFFF_FFFF == stamp {
                                                values = UnsafePointer(s.contributions + Int(truncatingIfNeeded: entry & 0xFFFF_FFFF))
                                            } else {
                                                for b in 0..<d { s.indicators[b] = Double((mask >> UInt64(b)) & 1) }
                                                let target = s.contributions + stored
                                                Self.contributions(of: leaf, z: fractions + start, scratch: s, rules: rules, into: target)
                                                memo[key] = stamp | UInt64(stored)
                                                stored &+= d
                                                values = UnsafePointer(target)
                                            }
                                        } else {
                                            if leaf.pathCount == 0 {
                                                for b in 0..<d { s.indicators[b] = Double((mask >> UInt64(b)) & 1) }
                                            } else {
                                                for b in 0..<d { s.indicators[b] = 1 }
                                                let steps = paths.baseAddress! + Int(leaf.pathStart)
                                                for i in 0..<Int(leaf.pathCount) {
                                                    let step = steps[i]
                                                    let split = nodes[Int(step.node)].split
                                                    if split.goesLeft(row[Int(split.feature)], bitset: bits) != step.left {
                                                        s.indicators[Int(step.position)] = 0
                                                    }
                                                }
                                            }
                                            Self.contributions(of: leaf, z: fractions + start, scratch: s, rules: rules, into: s.direct)
                                            values = UnsafePointer(s.direct)
                                        }
                                        for b in 0..<d { phiRow[Int(features[start &+ b])] += values[b] }
                                        if top == 0 { break }
                                        top &-= 1
                                        node = s.stackNodes[top]
                                        mask = s.stackMasks[top]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// One leaf's contribution to each of its path features under the pattern in
    /// `scratch.indicators`: v (o_i − z_i) Σ_m w_m Π_{j≠i} (z_j (1 − t_m) + o_j t_m), the
    /// products left of i and right of i kept apart so nothing is divided. The points are the
    /// inner loop: their products are independent of each other.
    @inline(__always)
    private static func contributions(of leaf: Leaf, z: UnsafePointer<Double>, scratch s: SHAPScratch,
                                      rules: QuadratureRules.Pointers, into out: UnsafeMutablePointer<Double>) {
        let d = Int(leaf.count)
        let o = s.indicators, g = s.factors, suffix = s.suffix, prefix = s.prefix
        let k = points(d)
        let first = k &* (k &- 1) / 2
        let nodes = rules.nodes + first, weights = rules.weights + first
        for m in 0..<k { suffix[d &* k &+ m] = 1 }
        var b = d
        while b > 0 {
            b &-= 1
            let zb = z[b], ob = o[b]
            let row = b &* k
            for m in 0..<k {
                let t = nodes[m]
                let factor = zb * (1 - t) + ob * t
                g[row &+ m] = factor
                suffix[row &+ m] = suffix[row &+ k &+ m] * factor
            }
        }
        for m in 0..<k { prefix[m] = weights[m] }
        for b in 0..<d {
            let row = b &* k
            var integral = 0.0
            for m in 0..<k {
                integral += prefix[m] * suffix[row &+ k &+ m]
                prefix[m] *= g[row &+ m]
            }
            out[b] = integral * (leaf.value * (o[b] - z[b]))
        }
    }
}
