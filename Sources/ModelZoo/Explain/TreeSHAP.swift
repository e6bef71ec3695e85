import Foundation

/// Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018) for a GBDT.
///
/// For every row it gives one SHAP value per feature, in raw-score (margin) space, such that
/// `expectedValue + Σ φ = predictRaw(row)`. Conditional expectations follow each node's
/// training cover (row counts, as shap's TreeExplainer uses for LightGBM).
///
/// The values are those of Algorithm 2 of the paper, computed another way (after "Linear
/// TreeShap", Yu et al. 2022): for a leaf with value v whose path holds features j with
/// cover fractions z_j and indicators o_j ∈ {0, 1} (does the row follow the path),
/// φ_i = v (o_i − z_i) ∫₀¹ Π_{j≠i} (z_j (1 − t) + o_j t) dt, since the Shapley weight
/// |S|!(d−|S|−1)!/d! is a Beta integral. The integrand is a polynomial of degree below the
/// path length d, so Gauss–Legendre quadrature with ⌈d/2⌉ points is exact. One walk down a
/// tree keeps the product at each quadrature point; sums over the leaves below each edge are
/// returned up the walk, so a row costs O(nodes × points) per tree instead of
/// O(leaves × depth²). Everything that does not depend on the row — cover fractions, the
/// factors at each point and their reciprocals — is computed once per tree.
public struct TreeSHAP: Sendable {
    public let model: GBDTModel
    /// The mean raw score over the training cover: the base every explanation starts from.
    public let expectedValue: Double
    private let trees: [SHAPTree]

    /// Rows explained together, tree by tree, so that a tree's tables stay in cache.
    static let rowBlock = 64

    public init(model: GBDTModel) {
        self.model = model
        trees = model.activeTrees.map(SHAPTree.init)
        expectedValue = model.baseScore + trees.reduce(0) { $0 + $1.expectedValue }
    }

    /// SHAP values, row-major: `values[row * featureCount + feature]`, features in the model's order.
    public func explain(_ x: FeatureMatrix, threads: Int = 0) throws -> (values: [Double], featureCount: Int) {
        let features = model.featureNames.count
        let columns = try model.featureNames.map { name -> [Double] in
            guard let i = x.index(of: name) else { throw FeatureMatrixError.missingFeature(name, available: x.names) }
            return x.columns[i]
        }
        let rows = x.rowCount
        var values = [Double](repeating: 0, count: rows * features)
        let explained = trees.filter { $0.depth > 0 }
        let scratchSize = explained.map(\.scratchSize).max() ?? 0
        let stride = max(features, 1)
        let blocks = (rows + Self.rowBlock - 1) / Self.rowBlock
        values.withUnsafeMutableBufferPointer { output in
            let out = UnsafeMutableSendablePointer(output.baseAddress)
            ParallelRunner(threads: threads).forEachChunk(count: blocks) { _, blockRange in
                let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(scratchSize, 1))
                let block = UnsafeMutablePointer<Double>.allocate(capacity: Self.rowBlock * stride)
                defer {
                    scratch.deallocate()
                    block.deallocate()
                }
                for b in blockRange {
                    let start = b * Self.rowBlock
                    let end = min(rows, start + Self.rowBlock)
                    for (f, column) in columns.enumerated() {
                        column.withUnsafeBufferPointer { column in
                            for r in start..<end { block[(r - start) &* stride &+ f] = column[r] }
                        }
                    }
                    for tree in explained {
                        tree.explain(rows: block, stride: stride, count: end - start,
                                     phi: out.pointer! + start * features, scratch: scratch)
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

/// One tree prepared for explanation: its nodes packed for the walk, and per edge (node →
/// child) the row-independent part of the path arithmetic at each quadrature point.
struct SHAPTree: Sendable {
    typealias Node = PackedSplit

    /// What an edge adds to the path: its feature, its cover fraction z (merged with an
    /// earlier edge on the same feature, if any) and which earlier edge it replaces.
    struct Edge: Sendable {
        var feature: Int32
        var z: Double
        /// Depth (edges from the root) of the nearest ancestor edge on the same feature, or −1.
        var replacesDepth: Int32
        /// That ancestor edge's index.
        var replacesEdge: Int32
    }

    let nodes: [Node]
    let edges: [Edge]
    let leafValues: [Double]
    let bitset: [UInt32]
    /// Quadrature points: enough for the longest path's distinct features.
    let points: Int
    /// Per edge, `6 × points` doubles: the factor g = z(1−t) + o·t at each point for o = 0 and
    /// o = 1, its reciprocal for both, and the quadrature weight over g for both.
    let tables: [Double]
    let depth: Int
    let expectedValue: Double

    /// Doubles of scratch one walk needs.
    var scratchSize: Int { 3 * (depth + 2) * points + 2 * (depth + 2) }

    init(_ tree: RegressionTree) {
        let internalNodes = tree.numberOfInternalNodes
        leafValues = tree.leafValue
        bitset = tree.categoryBitset
        var nodes = [Node]()
        nodes.reserveCapacity(internalNodes)
        for i in 0..<internalNodes {
            nodes.append(PackedSplit(tree, node: i))
        }
        self.nodes = nodes
        guard internalNodes > 0 else {
            edges = []
            tables = []
            points = 0
            depth = 0
            expectedValue = tree.leafValue.first ?? 0
            return
        }

        func cover(_ child: Int32) -> Double {
            child < 0 ? Double(tree.leafCount[Int(~child)]) : Double(tree.internalCount[Int(child)])
        }
        // Walk the tree once: merged cover fractions per edge, the replaced ancestor, the
        // longest path's distinct features, and the cover-weighted mean leaf value.
        var edges = [Edge](repeating: Edge(feature: 0, z: 1, replacesDepth: -1, replacesEdge: -1), count: 2 * internalNodes)
        var lastEdgeOfFeature = [Int32: (edge: Int32, depth: Int32)]()
        var deepest = 0
        var mostDistinct = 0
        var expected = 0.0
        func walk(_ node: Int32, depth: Int, distinct: Int, reach: Double) {
            if node < 0 {
                expected += reach * tree.leafValue[Int(~node)]
                deepest = max(deepest, depth)
                mostDistinct = max(mostDistinct, distinct)
                return
            }
            let n = Int(node)
            let feature = tree.splitFeature[n]
            let nodeCover = max(cover(node), 1e-300)
            for side in 0..<2 {
                let child = side == 0 ? tree.leftChild[n] : tree.rightChild[n]
                let e = 2 * n + side
                let ratio = cover(child) / nodeCover
                let previous = lastEdgeOfFeature[feature]
                var z = ratio
                if let previous { z *= edges[Int(previous.edge)].z }
                edges[e] = Edge(feature: feature, z: max(z, 1e-290), replacesDepth: previous?.depth ?? -1,
                                replacesEdge: previous?.edge ?? -1)
                lastEdgeOfFeature[feature] = (Int32(e), Int32(depth + 1))
                walk(child, depth: depth + 1, distinct: distinct + (previous == nil ? 1 : 0), reach: reach * ratio)
                lastEdgeOfFeature[feature] = previous
            }
        }
        walk(0, depth: 0, distinct: 0, reach: 1)
        self.edges = edges
        depth = deepest
        expectedValue = expected
        let points = max(1, (mostDistinct + 1) / 2)
        self.points = points
        let rule = GaussLegendre.rule(points: points)
        var tables = [Double](repeating: 0, count: edges.count * 6 * points)
        for (e, edge) in edges.enumerated() {
            let base = e * 6 * points
            for m in 0..<points {
                let t = rule.nodes[m]
                let g0 = edge.z * (1 - t)
                let g1 = g0 + t
                tables[base + m] = g0
                tables[base + points + m] = g1
                tables[base + 2 * points + m] = 1 / g0
                tables[base + 3 * points + m] = 1 / g1
                tables[base + 4 * points + m] = rule.weights[m] / g0
                tables[base + 5 * points + m] = rule.weights[m] / g1
            }
        }
        self.tables = tables
    }

    /// Adds this tree's SHAP values of `count` rows (row-major, `stride` values each) to `phi`
    /// (the same layout).
    func explain(rows: UnsafePointer<Double>, stride: Int, count: Int, phi: UnsafeMutablePointer<Double>,
                 scratch: UnsafeMutablePointer<Double>) {
        nodes.withUnsafeBufferPointer { nodes in
            edges.withUnsafeBufferPointer { edges in
                tables.withUnsafeBufferPointer { tables in
                    leafValues.withUnsafeBufferPointer { leaves in
                        bitset.withUnsafeBufferPointer { bitset in
                            let k = points
                            let levels = depth + 2
                            var walk = Walk(nodes: nodes.baseAddress!, edges: edges.baseAddress!, tables: tables.baseAddress!,
                                            leaves: leaves.baseAddress!, bitset: bitset.baseAddress, points: k,
                                            product: scratch, excluded: scratch + levels * k, sums: scratch + 2 * levels * k,
                                            indicator: scratch + 3 * levels * k,
                                            row: rows, phi: phi)
                            for r in 0..<count {
                                walk.row = rows + r &* stride
                                walk.phi = phi + r &* stride
                                for m in 0..<k { walk.product[m] = 1 }
                                walk.visit(0, depth: 0)
                            }
                        }
                    }
                }
            }
        }
    }

    /// One row's walk down one tree. Per depth d (edges from the root) it keeps the path
    /// product at each point (`product`), the sums of v·product over the leaves below
    /// (`sums`), the part of those sums under a later edge on the same feature (`excluded`),
    /// and whether the row follows the path so far on that edge's feature (`indicator`).
    private struct Walk {
        let nodes: UnsafePointer<Node>
        let edges: UnsafePointer<Edge>
        let tables: UnsafePointer<Double>
        let leaves: UnsafePointer<Double>
        let bitset: UnsafePointer<UInt32>?
        let points: Int
        let product: UnsafeMutablePointer<Double>
        let excluded: UnsafeMutablePointer<Double>
        let sums: UnsafeMutablePointer<Double>
        let indicator: UnsafeMutablePointer<Double>
        var row: UnsafePointer<Double>
        var phi: UnsafeMutablePointer<Double>

        @inline(__always)
        private func goesLeft(_ n: Node) -> Bool {
            n.goesLeft(row[Int(n.feature)], bitset: bitset)
        }

        /// Walks the subtree of `node`, whose path product is in `product` at `depth`; leaves
        /// its leaf sums in `sums` at `depth`.
        func visit(_ node: Int32, depth d: Int) {
            let k = points
            let here = d &* k
            if node < 0 {
                let value = leaves[Int(~node)]
                for m in 0..<k { sums[here &+ m] = value * product[here &+ m] }
                return
            }
            let n = nodes[Int(node)]
            let hotIsLeft = goesLeft(n)
            let below = here &+ k
            for m in 0..<k { sums[here &+ m] = 0 }
            for side in 0..<2 {
                let e = 2 &* Int(node) &+ side
                let edge = edges[e]
                let table = tables + e &* 6 &* k
                var follows: Double = (side == 0) == hotIsLeft ? 1 : 0
                if edge.replacesDepth >= 0 {
                    let previous = Int(edge.replacesDepth)
                    follows *= indicator[previous]
                    let undo = tables + Int(edge.replacesEdge) &* 6 &* k + (indicator[previous] == 1 ? 3 : 2) &* k
                    let factor = table + (follows == 1 ? k : 0)
                    for m in 0..<k { product[below &+ m] = product[here &+ m] * factor[m] * undo[m] }
                } else {
                    let factor = table + (follows == 1 ? k : 0)
                    for m in 0..<k { product[below &+ m] = product[here &+ m] * factor[m] }
                }
                indicator[d &+ 1] = follows
                for m in 0..<k { excluded[below &+ m] = 0 }
                visit(side == 0 ? n.left : n.right, depth: d &+ 1)
                let weights = table + (follows == 1 ? 5 : 4) &* k
                var integral = 0.0
                for m in 0..<k { integral += weights[m] * (sums[below &+ m] - excluded[below &+ m]) }
                phi[Int(edge.feature)] += (follows - edge.z) * integral
                if edge.replacesDepth >= 0 {
                    let previous = Int(edge.replacesDepth) &* k
                    for m in 0..<k { excluded[previous &+ m] += sums[below &+ m] }
                }
                for m in 0..<k { sums[here &+ m] += sums[below &+ m] }
            }
        }
    }
}
