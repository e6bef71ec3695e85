import Dataset
import Foundation

/// Permutation importance (Breiman 2001): how much a score worsens when one feature's values
/// are shuffled across rows, breaking its link to the label while keeping its distribution.
public enum PermutationImportance {
    /// For each feature of `x`, the mean over `repeats` of (baseline loss − permuted loss) × −1,
    /// i.e. positive when shuffling hurts. `loss` must be lower-is-better.
    public static func compute(x: FeatureMatrix, labels: [Double], repeats: Int = 1, seed: UInt64,
                               predict: (FeatureMatrix) throws -> [Double],
                               loss: ([Double], [Double]) -> Double) throws -> [Double] {
        let baseline = loss(labels, try predict(x))
        let shuffles = PermutedColumns(x, repeats: repeats, seed: seed)
        var importances = [Double](repeating: 0, count: x.columnCount)
        for feature in 0..<x.columnCount {
            var total = 0.0
            for repeat_ in 0..<shuffles.repeats {
                var columns = x.columns
                columns[feature] = shuffles.column(feature, repeat: repeat_)
                let permuted = try FeatureMatrix(names: x.names, columns: columns, isCategorical: x.isCategorical)
                total += loss(labels, try predict(permuted)) - baseline
            }
            importances[feature] = total / Double(shuffles.repeats)
        }
        return importances
    }

    /// The same numbers for a GBDT (up to the rounding of summing tree outputs in another
    /// order), computed without re-scoring what a shuffle cannot change: the ensemble is packed
    /// once, the rows are laid out row-major once, each tree's outputs on the original rows are
    /// kept (up to 64 MiB of them, and half that of leaf indices) with the leaf each row reaches, and for each feature only the
    /// trees that split on it are walked again, on the shuffled rows whose original path tests it
    /// (any other row reaches the same leaf), from the path's first node on it. Features are
    /// scored in parallel on `threads` threads (0 = all cores); `loss` sees model outputs
    /// (probabilities for a binary model) and must be safe to call from several threads.
    public static func compute(x: FeatureMatrix, labels: [Double], repeats: Int = 1, seed: UInt64, model: GBDTModel,
                               threads: Int, loss: ([Double], [Double]) -> Double) throws -> [Double] {
        try compute(x: x, labels: labels, repeats: repeats, seed: seed, model: model, threads: threads,
                    cacheLimit: PermutationScorer.defaultCacheLimit, loss: loss)
    }

    /// `cacheLimit`: at most this many tree outputs on the original rows are kept (in doubles).
    static func compute(x: FeatureMatrix, labels: [Double], repeats: Int, seed: UInt64, model: GBDTModel,
                        threads: Int, cacheLimit: Int, loss: ([Double], [Double]) -> Double) throws -> [Double] {
        let rows = x.rowCount
        let scorer = try PermutationScorer(model: model, x: x, threads: threads, cacheLimit: cacheLimit)
        let shuffles = PermutedColumns(x, repeats: repeats, seed: seed)
        let baseline = loss(labels, scorer.outputs(raw: scorer.baseRaw))
        let jobs = x.columnCount * shuffles.repeats
        var drops = [Double](repeating: 0, count: jobs)
        drops.withUnsafeMutableBufferPointer { drops in
            ParallelRunner(threads: threads).forEachJob(count: jobs) { job in
                let feature = job / shuffles.repeats
                guard let position = scorer.modelPosition[feature], rows > 0 else { return }
                let raw = scorer.rawScores(permuting: position, values: shuffles.column(feature, repeat: job % shuffles.repeats))
                drops[job] = loss(labels, scorer.outputs(raw: raw)) - baseline
            }
        }
        return (0..<x.columnCount).map { feature in
            var total = 0.0
            for repeat_ in 0..<shuffles.repeats { total += drops[feature * shuffles.repeats + repeat_] }
            return total / Double(shuffles.repeats)
        }
    }
}

/// Every shuffled column of a permutation-importance run, drawn in one fixed order (feature by
/// feature, repeat by repeat) from one seeded generator, so the results do not depend on how
/// the scoring is spread over threads.
private struct PermutedColumns: Sendable {
    let repeats: Int
    private let columns: [[Double]]

    init(_ x: FeatureMatrix, repeats: Int, seed: UInt64) {
        self.repeats = max(1, repeats)
        var rng = SeededRandom(seed: seed)
        var columns: [[Double]] = []
        columns.reserveCapacity(x.columnCount * self.repeats)
        for feature in 0..<x.columnCount {
            for _ in 0..<self.repeats {
                var column = x.columns[feature]
                rng.shuffle(&column)
                columns.append(column)
            }
        }
        self.columns = columns
    }

    func column(_ feature: Int, repeat index: Int) -> [Double] {
        columns[feature * repeats + index]
    }
}

/// A GBDT's raw scores on fixed rows, and on the same rows with one feature's values replaced:
/// only trees that split on that feature are walked again.
struct PermutationScorer: Sendable {
    static let blockRows = 256

    let model: GBDTModel
    let ensemble: PackedEnsemble
    /// Rows in model feature order, row-major.
    let matrix: [Double]
    let stride: Int
    let rowCount: Int
    let baseRaw: [Double]
    /// For each column of the caller's matrix, its position among the model's features (nil: unused).
    let modelPosition: [Int?]
    /// For each model feature, the trees that split on it.
    let treesUsing: [[Int]]
    /// Each tree's output on each original row (`[tree * rowCount + row]`), when that fits in
    /// the cache limit (in doubles); otherwise the original rows are walked again with the shuffled ones.
    let treeOutputs: [Double]?
    /// Beside `treeOutputs`, the leaf each original row reaches in each tree.
    let reachedLeaves: [Int32]?
    /// Each leaf's root path: which features it tests and where it first meets each.
    let leafPaths: LeafPaths

    /// Doubles of tree outputs kept by default: 64 MiB.
    static let defaultCacheLimit = 8 << 20

    init(model: GBDTModel, x: FeatureMatrix, threads: Int, cacheLimit: Int) throws {
        self.model = model
        let blocks = try RowBlocks(x, featureNames: model.featureNames)
        let stride = max(1, blocks.featureCount)
        let rows = x.rowCount
        var matrix = [Double](repeating: 0, count: rows * stride)
        matrix.withUnsafeMutableBufferPointer { out in
            for block in 0..<blocks.blockCount {
                _ = blocks.fill(block: block, into: out.baseAddress! + block * RowBlocks.blockSize * stride)
            }
        }
        let trees = Array(model.activeTrees)
        let ensemble = PackedEnsemble(trees)
        self.ensemble = ensemble
        let cached = rows * trees.count <= cacheLimit && rows > 0
            ? Self.outputsOfEveryTree(ensemble, matrix: matrix, stride: stride, rows: rows, threads: threads) : nil
        let treeOutputs = cached?.outputs
        let baseRaw = Self.originalRaw(model.baseScore, ensemble: ensemble, matrix: matrix, stride: stride, rows: rows,
                                       treeOutputs: treeOutputs, threads: threads)
        var using = [[Int]](repeating: [], count: model.featureNames.count)
        for (index, tree) in trees.enumerated() {
            for feature in Set(tree.splitFeature) { using[Int(feature)].append(index) }
        }
        var lookup = [String: Int]()
        for (position, name) in model.featureNames.enumerated() { lookup[name] = position }
        self.matrix = matrix
        self.stride = stride
        rowCount = rows
        self.baseRaw = baseRaw
        modelPosition = x.names.map { lookup[$0] }
        treesUsing = using
        self.treeOutputs = treeOutputs
        reachedLeaves = cached?.leaves
        leafPaths = LeafPaths(trees)
    }

    /// The raw scores of the original rows: the cached tree outputs summed in tree order (the
    /// order `accumulate` adds them), or the rows scored again in parallel chunks.
    private static func originalRaw(_ baseScore: Double, ensemble: PackedEnsemble, matrix: [Double], stride: Int, rows: Int,
                                    treeOutputs: [Double]?, threads: Int) -> [Double] {
        var raw = [Double](repeating: baseScore, count: rows)
        guard rows > 0 else { return raw }
        matrix.withUnsafeBufferPointer { m in
            raw.withUnsafeMutableBufferPointer { out in
                let base = out.baseAddress!
                ParallelRunner(threads: threads).forEachChunk(count: rows, minimumPerChunk: 1024) { _, range in
                    let target = base + range.lowerBound
                    guard let treeOutputs else {
                        ensemble.accumulate(rows: m.baseAddress! + range.lowerBound * stride, stride: stride, count: range.count, into: target)
                        return
                    }
                    treeOutputs.withUnsafeBufferPointer { cached in
                        for tree in 0..<ensemble.treeCount {
                            let source = cached.baseAddress! + (tree &* rows &+ range.lowerBound)
                            for r in 0..<range.count { target[r] += source[r] }
                        }
                    }
                }
            }
        }
        return raw
    }

    private static func outputsOfEveryTree(_ ensemble: PackedEnsemble, matrix: [Double], stride: Int, rows: Int,
                                           threads: Int) -> (outputs: [Double], leaves: [Int32]) {
        var outputs = [Double](repeating: 0, count: ensemble.treeCount * rows)
        var leaves = [Int32](repeating: 0, count: ensemble.treeCount * rows)
        matrix.withUnsafeBufferPointer { m in
            outputs.withUnsafeMutableBufferPointer { out in
                leaves.withUnsafeMutableBufferPointer { reached in
                    ParallelRunner(threads: threads).forEachJob(count: ensemble.treeCount) { tree in
                        ensemble.treeOutputs(tree, rows: m.baseAddress!, stride: stride, count: rows, into: out.baseAddress! + tree * rows,
                                             reached: reached.baseAddress! + tree * rows)
                    }
                }
            }
        }
        return (outputs, leaves)
    }

    /// Raw scores with model feature `position` set to `values` (one per row).
    func rawScores(permuting position: Int, values: [Double]) -> [Double] {
        var raw = baseRaw
        guard !treesUsing[position].isEmpty else { return raw }
        if let treeOutputs, let reachedLeaves {
            treeOutputs.withUnsafeBufferPointer { cached in
                reachedLeaves.withUnsafeBufferPointer { reached in
                    addChanges(permuting: position, values: values, cached: cached.baseAddress!, reached: reached.baseAddress!, to: &raw)
                }
            }
        } else {
            addChanges(permuting: position, values: values, to: &raw)
        }
        return raw
    }

    /// Adds, for each tree that splits on `position`, its output on the shuffled rows minus its
    /// output on the original rows, walked again: the cache's case is `addChanges(…paths:…)`.
    private func addChanges(permuting position: Int, values: [Double], to raw: inout [Double]) {
        let trees = treesUsing[position]
        let stride = self.stride
        let rowCount = self.rowCount
        let block = UnsafeMutablePointer<Double>.allocate(capacity: Self.blockRows * stride)
        let original = UnsafeMutablePointer<Double>.allocate(capacity: Self.blockRows)
        let permuted = UnsafeMutablePointer<Double>.allocate(capacity: Self.blockRows)
        defer {
            block.deallocate()
            original.deallocate()
            permuted.deallocate()
        }
        matrix.withUnsafeBufferPointer { m in
            values.withUnsafeBufferPointer { values in
                raw.withUnsafeMutableBufferPointer { raw in
                    var start = 0
                    while start < rowCount {
                        let count = min(Self.blockRows, rowCount - start)
                        let source = m.baseAddress! + start * stride
                        block.update(from: source, count: count * stride)
                        for r in 0..<count { block[r &* stride &+ position] = values[start &+ r] }
                        for tree in trees {
                            ensemble.treeOutputs(tree, rows: source, stride: stride, count: count, into: original)
                            ensemble.treeOutputs(tree, rows: block, stride: stride, count: count, into: permuted)
                            for r in 0..<count { raw[start &+ r] += permuted[r] - original[r] }
                        }
                        start += count
                    }
                }
            }
        }
    }

    /// Adds, for each tree that splits on `position`, its output on the shuffled rows minus the
    /// cached output on the original rows, for the rows whose original path tests `position`,
    /// each walked from its path's first node on `position`.
    private func addChanges(permuting position: Int, values: [Double], cached: UnsafePointer<Double>, reached: UnsafePointer<Int32>,
                            to raw: inout [Double]) {
        let trees = treesUsing[position]
        let stride = self.stride
        let rowCount = self.rowCount
        let bit: UInt64 = 1 << UInt64(position & 63)
        let block = UnsafeMutablePointer<Double>.allocate(capacity: Self.blockRows * stride)
        let selected = UnsafeMutablePointer<Int32>.allocate(capacity: Self.blockRows)
        let starts = UnsafeMutablePointer<Int32>.allocate(capacity: Self.blockRows)
        let permuted = UnsafeMutablePointer<Double>.allocate(capacity: Self.blockRows)
        defer {
            block.deallocate()
            selected.deallocate()
            starts.deallocate()
            permuted.deallocate()
        }
        leafPaths.withPointers { paths in
        matrix.withUnsafeBufferPointer { m in
            values.withUnsafeBufferPointer { values in
                raw.withUnsafeMutableBufferPointer { raw in
                    var start = 0
                    while start < rowCount {
                        let count = min(Self.blockRows, rowCount - start)
                        block.update(from: m.baseAddress! + start * stride, count: count * stride)
                        for r in 0..<count { block[r &* stride &+ position] = values[start &+ r] }
                        for tree in trees {
                            let leaves = reached + (tree &* rowCount &+ start)
                            let treeLeaves = paths.leaves + Int(paths.leafOffset[tree])
                            var tested = 0
                            for r in 0..<count {
                                let leaf = treeLeaves[Int(leaves[r])]
                                guard leaf.mask & bit != 0 else { continue }
                                // The mask can share a bit between features (more than 64): the path decides.
                                var step = Int(leaf.pathStart)
                                let end = step &+ Int(leaf.pathCount)
                                while step < end && paths.features[step] != Int32(truncatingIfNeeded: position) { step &+= 1 }
                                guard step < end else { continue }
                                selected[tested] = Int32(truncatingIfNeeded: r)
                                starts[tested] = paths.nodes[step]
                                tested &+= 1
                            }
                            guard tested > 0 else { continue }
                            ensemble.treeOutputs(tree, rows: block, stride: stride, selected: selected, starts: starts, count: tested,
                                                 into: permuted)
                            let before = cached + (tree &* rowCount &+ start)
                            for i in 0..<tested {
                                let r = Int(selected[i])
                                raw[start &+ r] += permuted[i] - before[r]
                            }
                        }
                        start += count
                    }
                }
            }
        }
        }
    }

    /// Raw scores as the model outputs them (probabilities for a binary model).
    func outputs(raw: [Double]) -> [Double] { model.outputs(raw: raw) }
}

/// Every leaf's path from the root, per tree: the nodes and their split features in root-to-leaf
/// order, and the features tested as a mask (bit `feature % 64`), so a leaf that a row reached
/// tells whether a feature can change that row's output and from which node.
struct LeafPaths: Sendable {
    struct Leaf: Sendable {
        var mask: UInt64
        var pathStart: Int32
        var pathCount: Int32
    }

    /// Where each tree's leaves start in `leaves`.
    private let leafOffset: [Int32]
    private let leaves: [Leaf]
    private let nodes: [Int32]
    private let features: [Int32]

    init(_ trees: [RegressionTree]) {
        var leafOffset: [Int32] = [], leaves: [Leaf] = [], nodes: [Int32] = [], features: [Int32] = []
        for tree in trees {
            let first = leaves.count
            leafOffset.append(Int32(first))
            leaves += Array(repeating: Leaf(mask: 0, pathStart: 0, pathCount: 0), count: tree.numberOfLeaves)
            var path: [Int32] = []
            func walk(_ node: Int32, mask: UInt64) {
                if node < 0 {
                    leaves[first + Int(~node)] = Leaf(mask: mask, pathStart: Int32(nodes.count), pathCount: Int32(path.count))
                    nodes += path
                    features += path.map { tree.splitFeature[Int($0)] }
                    return
                }
                let n = Int(node)
                path.append(node)
                let bit: UInt64 = 1 << UInt64(tree.splitFeature[n] & 63)
                walk(tree.leftChild[n], mask: mask | bit)
                walk(tree.rightChild[n], mask: mask | bit)
                path.removeLast()
            }
            if tree.numberOfInternalNodes > 0 { walk(0, mask: 0) }
        }
        self.leafOffset = leafOffset
        self.leaves = leaves
        self.nodes = nodes
        self.features = features
    }

    struct Pointers {
        let leafOffset: UnsafePointer<Int32>
        let leaves: UnsafePointer<Leaf>
        let nodes: UnsafePointer<Int32>
        let features: UnsafePointer<Int32>
    }

    func withPointers(_ body: (Pointers) -> Void) {
        leafOffset.withUnsafeBufferPointer { leafOffset in
            leaves.withUnsafeBufferPointer { leaves in
                nodes.withUnsafeBufferPointer { nodes in
                    features.withUnsafeBufferPointer { features in
                        let empty = UnsafeRawPointer(bitPattern: 16)!
                        body(Pointers(leafOffset: leafOffset.baseAddress ?? empty.assumingMemoryBound(to: Int32.self),
                                      leaves: leaves.baseAddress ?? empty.assumingMemoryBound(to: Leaf.self),
                                      nodes: nodes.baseAddress ?? empty.assumingMemoryBound(to: Int32.self),
                                      features: features.baseAddress ?? empty.assumingMemoryBound(to: Int32.self)))
                    }
                }
            }
        }
    }
}
