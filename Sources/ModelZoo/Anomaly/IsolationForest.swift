import Foundation

/// A trained isolation forest (Liu, Ting & Zhou 2008): anomalies are the rows that random
/// axis-parallel splits isolate in few steps.
///
/// Exists as the tree half of the anomaly detector: it needs no labels, no scaling and no
/// distance, and it finds the extreme values of fake accounts in a single pass. The trees are
/// stored flat (one set of node arrays for the whole forest) so that scoring walks contiguous
/// memory and the artifact is a handful of arrays.
public struct IsolationForest: Sendable, Equatable {
    public let featureNames: [String]
    /// Rows each tree was grown on (ψ, capped at the training rows); c(ψ) normalises the score.
    public let sampleRows: Int
    /// Index of each tree's root in the node arrays; a tree's nodes run to the next tree's root.
    public let treeOffsets: [Int32]
    /// Split feature of an internal node, or -1 for an external node.
    public let splitFeature: [Int32]
    /// Internal node: rows with a value ≤ this go left. External node: the path length credited
    /// to a row that ends here, its depth plus c(training rows that ended here).
    public let value: [Double]
    /// Internal node: the left child's index within its tree; the right child follows it.
    public let leftChild: [Int32]
    /// Internal node: where a missing value goes (random per split when the sample had missing
    /// values, as in scikit-learn; else the larger side).
    public let missingGoesLeft: [Bool]

    public init(featureNames: [String], sampleRows: Int, treeOffsets: [Int32], splitFeature: [Int32], value: [Double],
                leftChild: [Int32], missingGoesLeft: [Bool]) throws {
        let nodes = splitFeature.count
        guard value.count == nodes, leftChild.count == nodes, missingGoesLeft.count == nodes else {
            throw AnomalyError.invalidModel("node arrays have different lengths")
        }
        guard Set(featureNames).count == featureNames.count else {
            throw AnomalyError.invalidModel("feature names are not unique")
        }
        guard sampleRows >= 1 else { throw AnomalyError.invalidModel("sample size \(sampleRows) is below 1") }
        guard !treeOffsets.isEmpty else { throw AnomalyError.invalidModel("the forest has no trees") }
        for (tree, start) in treeOffsets.enumerated() {
            let end = tree + 1 < treeOffsets.count ? Int(treeOffsets[tree + 1]) : nodes
            guard start >= 0, Int(start) < end, end <= nodes else {
                throw AnomalyError.invalidModel("tree \(tree) has an empty or out-of-range node span")
            }
            let count = end - Int(start)
            for local in 0..<count {
                let node = Int(start) + local
                let feature = splitFeature[node]
                if feature < 0 {
                    guard feature == -1, value[node].isFinite, value[node] >= 0 else {
                        throw AnomalyError.invalidModel("tree \(tree) node \(local) is an invalid external node")
                    }
                    continue
                }
                guard Int(feature) < featureNames.count else {
                    throw AnomalyError.invalidModel("tree \(tree) node \(local) splits on feature \(feature) of \(featureNames.count)")
                }
                guard !value[node].isNaN else { throw AnomalyError.invalidModel("tree \(tree) node \(local) has a NaN threshold") }
                // Children after their parent: every walk ends.
                guard Int(leftChild[node]) > local, Int(leftChild[node]) + 1 < count else {
                    throw AnomalyError.invalidModel("tree \(tree) node \(local) has children outside its tree")
                }
            }
        }
        self.featureNames = featureNames
        self.sampleRows = sampleRows
        self.treeOffsets = treeOffsets
        self.splitFeature = splitFeature
        self.value = value
        self.leftChild = leftChild
        self.missingGoesLeft = missingGoesLeft
    }

    public var treeCount: Int { treeOffsets.count }

    /// The normaliser c(ψ) of the score.
    public var normalizer: Double { AveragePathLength.of(sampleRows) }

    /// Anomaly scores s(x) = 2^(−E[h(x)]/c(ψ)) in (0, 1]: near 1 is anomalous, well below 0.5 is normal.
    /// `threads` = 0 uses all cores; the result does not depend on it.
    public func score(_ x: FeatureMatrix, threads: Int = 0) throws -> [Double] {
        let c = normalizer
        var scores = try meanPathLengths(x, threads: threads)
        for i in scores.indices { scores[i] = c > 0 ? Foundation.exp2(-scores[i] / c) : 1 }
        return scores
    }

    /// E[h(x)]: the mean over trees of each row's path length, external-node adjustment included.
    public func meanPathLengths(_ x: FeatureMatrix, threads: Int = 0) throws -> [Double] {
        let rows = try FeatureRowBlock(x, featureNames: featureNames)
        let packed = PackedIsolationTrees(self)
        var sums = [Double](repeating: 0, count: x.rowCount)
        let width = max(rows.width, 1)
        let blockRows = 256
        let blocks = (x.rowCount + blockRows - 1) / blockRows
        let runner = ParallelRunner(threads: threads)
        sums.withUnsafeMutableBufferPointer { sums in
            let out = sums.baseAddress!
            runner.forEachChunk(count: blocks) { _, blockRange in
                let buffer = UnsafeMutablePointer<Double>.allocate(capacity: blockRows * width)
                defer { buffer.deallocate() }
                for block in blockRange {
                    let lower = block * blockRows
                    let upper = min(x.rowCount, lower + blockRows)
                    rows.gather(lower..<upper, into: buffer)
                    packed.accumulatePathLengths(rows: buffer, count: upper - lower, width: width, into: out + lower)
                }
            }
        }
        let trees = Double(treeCount)
        for i in sums.indices { sums[i] /= trees }
        return sums
    }
}

/// The forest laid out for scoring, built for each scoring call.
///
/// Shallow forests (the default depth limit is 8) become complete binary trees in heap order:
/// an external node above the last level is extended by pass-through nodes that send every row
/// left, so a walk is exactly `depth` branch-free steps and consecutive rows overlap in the CPU.
/// Deeper forests keep their shape as linked 16-byte nodes.
struct PackedIsolationTrees {
    private struct Node {
        /// Threshold of an internal node; path length of an external one in the linked layout.
        var value: Double
        /// Feature index, with `missingLeftBit` set when missing values go left; -1 marks an
        /// external node in the linked layout.
        var feature: Int32
        /// Linked layout: absolute index of the left child; the right child is next to it.
        var left: Int32
    }

    private static let missingLeftBit: Int32 = 1 << 30
    private static let featureMask: Int32 = missingLeftBit - 1
    /// Deepest forest laid out as complete trees (2^10 leaves per tree).
    static let completeLayoutDepthLimit = 10

    private let nodes: [Node]
    /// Complete layout: the path length of each last-level slot, `1 << depth` per tree.
    private let leafValues: [Double]
    /// Complete layout: the depth of every tree; nil for the linked layout.
    private let depth: Int?
    private let roots: [Int32]

    init(_ forest: IsolationForest) {
        let spans = forest.treeOffsets.indices.map { tree -> Range<Int> in
            let end = tree + 1 < forest.treeOffsets.count ? Int(forest.treeOffsets[tree + 1]) : forest.splitFeature.count
            return Int(forest.treeOffsets[tree])..<end
        }
        let depth = spans.map { Self.depth(of: forest, span: $0) }.max() ?? 0
        if depth >= 1 && depth <= Self.completeLayoutDepthLimit {
            self.init(complete: forest, spans: spans, depth: depth)
        } else {
            self.init(linked: forest, spans: spans)
        }
    }

    private init(complete forest: IsolationForest, spans: [Range<Int>], depth: Int) {
        let internalCount = (1 << depth) - 1
        let passThrough = Node(value: .infinity, feature: Self.missingLeftBit, left: 0)
        var nodes = [Node](repeating: passThrough, count: internalCount * spans.count)
        var leaves = [Double](repeating: 0, count: (1 << depth) * spans.count)
        for (tree, span) in spans.enumerated() {
            let nodeBase = tree * internalCount, leafBase = tree << depth
            // (node in the forest, slot in heap order, level)
            var stack = [(span.lowerBound, 0, 0)]
            while let (node, slot, level) = stack.popLast() {
                if forest.splitFeature[node] < 0 {
                    // The leftmost last-level slot under `slot` is where pass-through nodes lead.
                    var leaf = slot
                    for _ in level..<depth { leaf = 2 * leaf + 1 }
                    leaves[leafBase + leaf - internalCount] = forest.value[node]
                    continue
                }
                let flag = forest.missingGoesLeft[node] ? Self.missingLeftBit : 0
                nodes[nodeBase + slot] = Node(value: forest.value[node], feature: forest.splitFeature[node] | flag, left: 0)
                let left = span.lowerBound + Int(forest.leftChild[node])
                stack.append((left, 2 * slot + 1, level + 1))
                stack.append((left + 1, 2 * slot + 2, level + 1))
            }
        }
        self.nodes = nodes
        self.leafValues = leaves
        self.depth = depth
        self.roots = []
    }

    private init(linked forest: IsolationForest, spans: [Range<Int>]) {
        var nodes = [Node]()
        nodes.reserveCapacity(forest.splitFeature.count)
        for span in spans {
            for node in span {
                let feature = forest.splitFeature[node]
                if feature < 0 {
                    nodes.append(Node(value: forest.value[node], feature: -1, left: 0))
                } else {
                    let flag = forest.missingGoesLeft[node] ? Self.missingLeftBit : 0
                    nodes.append(Node(value: forest.value[node], feature: feature | flag,
                                      left: Int32(span.lowerBound) + forest.leftChild[node]))
                }
            }
        }
        self.nodes = nodes
        self.leafValues = []
        self.depth = nil
        self.roots = spans.map { Int32($0.lowerBound) }
    }

    private static func depth(of forest: IsolationForest, span: Range<Int>) -> Int {
        var deepest = 0
        var stack = [(span.lowerBound, 0)]
        while let (node, level) = stack.popLast() {
            deepest = max(deepest, level)
            if forest.splitFeature[node] >= 0 {
                let left = span.lowerBound + Int(forest.leftChild[node])
                stack.append((left, level + 1))
                stack.append((left + 1, level + 1))
            }
        }
        return deepest
    }

    /// Adds each row's path length in every tree to `out[row]`.
    func accumulatePathLengths(rows: UnsafePointer<Double>, count: Int, width: Int, into out: UnsafeMutablePointer<Double>) {
        nodes.withUnsafeBufferPointer { nodes in
            if let depth {
                leafValues.withUnsafeBufferPointer { leaves in
                    Self.walkComplete(nodes.baseAddress!, leaves.baseAddress!, trees: leaves.count >> depth, depth: depth,
                                      rows: rows, count: count,
                                      width: width, into: out)
                }
            } else {
                Self.walkLinked(nodes.baseAddress!, roots: roots, rows: rows, count: count, width: width, into: out)
            }
        }
    }

    /// 1 when the row goes right at `node`, else 0, without a branch: walk directions are coin
    /// flips, so a branch would be mispredicted at every other node.
    @inline(__always)
    private static func goesRight(_ node: Node, _ row: UnsafePointer<Double>) -> Int {
        let v = row[Int(node.feature & featureMask)]
        let above = v > node.value ? 1 : 0
        let notBelowOrEqual = v <= node.value ? 0 : 1
        // The two differ only for NaN, which goes left when the node says so.
        let missingLeft = Int(node.feature >> 30) & 1
        return notBelowOrEqual &- (missingLeft & (notBelowOrEqual &- above))
    }

    private static func walkComplete(_ nodes: UnsafePointer<Node>, _ leaves: UnsafePointer<Double>, trees: Int, depth: Int,
                                     rows: UnsafePointer<Double>, count: Int, width: Int,
                                     into out: UnsafeMutablePointer<Double>) {
        let internalCount = (1 << depth) - 1
        for tree in 0..<trees {
            let treeNodes = nodes + tree * internalCount
            let treeLeaves = leaves + (tree << depth) - internalCount
            // Eight rows walk in lockstep: each step waits on two dependent loads, so independent
            // walks are what keeps the core busy.
            var r = 0
            while r + 8 <= count {
                let row0 = rows + r * width, row1 = row0 + width, row2 = row1 + width, row3 = row2 + width
                let row4 = row3 + width, row5 = row4 + width, row6 = row5 + width, row7 = row6 + width
                var k0 = 0, k1 = 0, k2 = 0, k3 = 0, k4 = 0, k5 = 0, k6 = 0, k7 = 0
                for _ in 0..<depth {
                    k0 = 2 &* k0 &+ 1 &+ goesRight(treeNodes[k0], row0)
                    k1 = 2 &* k1 &+ 1 &+ goesRight(treeNodes[k1], row1)
                    k2 = 2 &* k2 &+ 1 &+ goesRight(treeNodes[k2], row2)
                    k3 = 2 &* k3 &+ 1 &+ goesRight(treeNodes[k3], row3)
                    k4 = 2 &* k4 &+ 1 &+ goesRight(treeNodes[k4], row4)
                    k5 = 2 &* k5 &+ 1 &+ goesRight(treeNodes[k5], row5)
                    k6 = 2 &* k6 &+ 1 &+ goesRight(treeNodes[k6], row6)
                    k7 = 2 &* k7 &+ 1 &+ goesRight(treeNodes[k7], row7)
                }
                out[r] += treeLeaves[k0]
                out[r + 1] += treeLeaves[k1]
                out[r + 2] += treeLeaves[k2]
                out[r + 3] += treeLeaves[k3]
                out[r + 4] += treeLeaves[k4]
                out[r + 5] += treeLeaves[k5]
                out[r + 6] += treeLeaves[k6]
                out[r + 7] += treeLeaves[k7]
                r += 8
            }
            while r < count {
                let row = rows + r * width
                var k = 0
                for _ in 0..<depth { k = 2 &* k &+ 1 &+ goesRight(treeNodes[k], row) }
                out[r] += treeLeaves[k]
                r += 1
            }
        }
    }

    private static func walkLinked(_ nodes: UnsafePointer<Node>, roots: [Int32], rows: UnsafePointer<Double>, count: Int,
                                   width: Int, into out: UnsafeMutablePointer<Double>) {
        for root in roots {
            var row = rows
            for r in 0..<count {
                var k = Int(root)
                while nodes[k].feature >= 0 { k = Int(nodes[k].left) + goesRight(nodes[k], row) }
                out[r] += nodes[k].value
                row += width
            }
        }
    }
}
