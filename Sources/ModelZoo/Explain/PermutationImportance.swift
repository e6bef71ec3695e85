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

    /// The same numbers for a GBDT, bit for bit (`TreeByTreeScores`), without re-scoring what a
    /// shuffle cannot change: each tree is walked again only on the shuffled rows whose original
    /// path tests the shuffled feature, from the path's first node on it. Shuffles are scored in
    /// parallel on `threads` threads (0 = all cores); `loss` sees model outputs (probabilities for
    /// a binary model) and must be safe to call from several threads.
    public static func compute(x: FeatureMatrix, labels: [Double], repeats: Int = 1, seed: UInt64, model: GBDTModel,
                               threads: Int, loss: ([Double], [Double]) -> Double) throws -> [Double] {
        let runner = ParallelRunner(threads: threads)
        var scores = try TreeByTreeScores(x: x, featureNames: model.featureNames, permutationRows: x.rowCount, repeats: repeats, seed: seed)
        scores.start(baseScore: model.baseScore)
        for tree in model.activeTrees { scores.add(tree, runner: runner) }
        return scores.importance(labels: labels, outputs: model.outputs(raw:), loss: loss, runner: runner)
    }
}

/// Every shuffled column of a permutation-importance run, drawn in one fixed order (feature by
/// feature, repeat by repeat) from one seeded generator, so the results do not depend on how
/// the scoring is spread over threads.
struct PermutedColumns: Sendable {
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

/// Every leaf's path from the root of one tree: the nodes and their split features in
/// root-to-leaf order, and the features tested as a mask (bit `feature % 64`), so the leaf a row
/// reached tells whether a feature can change that row's output and from which node.
struct LeafPaths: Sendable {
    struct Leaf: Sendable {
        var mask: UInt64
        var pathStart: Int32
        var pathCount: Int32
    }

    private var leaves: [Leaf]
    private var nodes: [Int32] = []
    private var features: [Int32] = []

    init(_ tree: RegressionTree) {
        leaves = Array(repeating: Leaf(mask: 0, pathStart: 0, pathCount: 0), count: tree.numberOfLeaves)
        var path: [Int32] = []
        func walk(_ node: Int32, mask: UInt64) {
            if node < 0 {
                leaves[Int(~node)] = Leaf(mask: mask, pathStart: Int32(nodes.count), pathCount: Int32(path.count))
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

    struct Pointers {
        let leaves: UnsafePointer<Leaf>
        let nodes: UnsafePointer<Int32>
        let features: UnsafePointer<Int32>
    }

    func withPointers(_ body: (Pointers) -> Void) {
        leaves.withUnsafeBufferPointer { leaves in
            nodes.withUnsafeBufferPointer { nodes in
                features.withUnsafeBufferPointer { features in
                    let empty = UnsafeRawPointer(bitPattern: 16)!
                    body(Pointers(leaves: leaves.baseAddress ?? empty.assumingMemoryBound(to: Leaf.self),
                                  nodes: nodes.baseAddress ?? empty.assumingMemoryBound(to: Int32.self),
                                  features: features.baseAddress ?? empty.assumingMemoryBound(to: Int32.self)))
                }
            }
        }
    }
}

/// The raw scores of fixed rows, and of their first rows with one column shuffled, summed one
/// tree at a time: each sum starts at the base score and adds the trees in boosting order, as
/// `PackedEnsemble.accumulate` does, so the scores equal `predictRaw` on the same rows (and on
/// the shuffled rows) bit for bit, whoever feeds the trees: `PermutationImportance` after a fit,
/// `ConcurrentEvaluation` during one. A tree is walked again on a shuffled row only when the
/// row's original path tests the shuffled feature, from the first node on its path that does.
struct TreeByTreeScores {
    /// Rows in model feature order, row-major.
    private let matrix: [Double]
    private let stride: Int
    private let rowCount: Int
    private let permutedRows: Int
    /// For each column of the caller's matrix, its position among the model's features (nil: unused).
    private let modelPosition: [Int?]
    private let shuffles: PermutedColumns
    private(set) var raw: [Double] = []
    private(set) var started = false
    private(set) var trees = 0
    /// Per shuffle (column × repeat), `permutedRows` raw scores at `job * permutedRows`; meaningful
    /// once `diverged[job]`: until a tree splits on the column's feature they are `raw`'s.
    private var permuted: [Double]
    private var diverged: [Bool]
    private var outputs: [Double]
    private var reached: [Int32]

    var jobCount: Int { diverged.count }

    init(x: FeatureMatrix, featureNames: [String], permutationRows: Int, repeats: Int, seed: UInt64) throws {
        let blocks = try RowBlocks(x, featureNames: featureNames)
        matrix = blocks.rowMajor()
        stride = max(1, blocks.featureCount)
        rowCount = x.rowCount
        permutedRows = min(max(0, permutationRows), x.rowCount)
        var lookup = [String: Int]()
        for (position, name) in featureNames.enumerated() { lookup[name] = position }
        modelPosition = x.names.map { lookup[$0] }
        shuffles = PermutedColumns(x.prefix(permutedRows), repeats: repeats, seed: seed)
        let jobs = permutedRows > 0 ? x.columnCount * shuffles.repeats : 0
        permuted = Array(repeating: 0, count: jobs * permutedRows)
        diverged = Array(repeating: false, count: jobs)
        outputs = Array(repeating: 0, count: rowCount)
        reached = Array(repeating: 0, count: rowCount)
    }

    mutating func start(baseScore: Double) {
        raw = Array(repeating: baseScore, count: rowCount)
        for job in diverged.indices { diverged[job] = false }
        trees = 0
        started = true
    }

    /// Adds `tree` to every sum; the shuffles are spread over `runner`'s threads.
    mutating func add(_ tree: RegressionTree, runner: ParallelRunner) {
        guard started else { return }
        trees += 1
        guard rowCount > 0 else { return }
        let ensemble = PackedEnsemble([tree])
        matrix.withUnsafeBufferPointer { m in
            outputs.withUnsafeMutableBufferPointer { out in
                reached.withUnsafeMutableBufferPointer { leaves in
                    ensemble.treeOutputs(0, rows: m.baseAddress!, stride: stride, count: rowCount, into: out.baseAddress!,
                                         reached: leaves.baseAddress!)
                }
            }
        }
        if jobCount > 0 { addShuffled(tree, ensemble, runner: runner) }
        for r in 0..<rowCount { raw[r] += outputs[r] }
    }

    /// Adds `tree`'s output on every shuffled copy of the first rows (before `raw` takes it).
    private mutating func addShuffled(_ tree: RegressionTree, _ ensemble: PackedEnsemble, runner: ParallelRunner) {
        var used = [Bool](repeating: false, count: stride)
        for feature in tree.splitFeature { used[Int(feature)] = true }
        let paths = LeafPaths(tree)
        let rows = permutedRows, shuffles = self.shuffles, repeats = shuffles.repeats
        let modelPosition = self.modelPosition, stride = self.stride
        var jobs: [Int] = [], newlyDiverged: [Int] = []
        for job in 0..<jobCount {
            guard let position = modelPosition[job / repeats], used[position] || diverged[job] else { continue }
            jobs.append(job)
            if !diverged[job] { newlyDiverged.append(job) }
            diverged[job] = true
        }
        permuted.withUnsafeMutableBufferPointer { permuted in
            let scores = permuted.baseAddress!
            raw.withUnsafeBufferPointer { raw in
                for job in newlyDiverged { (scores + job &* rows).update(from: raw.baseAddress!, count: rows) }
            }
            matrix.withUnsafeBufferPointer { m in
                outputs.withUnsafeBufferPointer { outputs in
                    reached.withUnsafeBufferPointer { reached in
                        paths.withPointers { paths in
                            runner.forEachChunk(count: jobs.count, minimumPerChunk: 4) { _, range in
                                withUnsafeTemporaryAllocation(of: Double.self, capacity: rows) { chosen in
                                    withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * rows) { scratch in
                                        for job in jobs[range] {
                                            let position = modelPosition[job / repeats]!
                                            let target = scores + job &* rows
                                            let selected = scratch.baseAddress!
                                            var tested = 0
                                            if used[position] {
                                                let values = shuffles.column(job / repeats, repeat: job % repeats)
                                                tested = values.withUnsafeBufferPointer { values in
                                                    Self.walkShuffled(position: position, rows: rows, ensemble: ensemble, paths: paths,
                                                                      matrix: m.baseAddress!, stride: stride, reached: reached.baseAddress!,
                                                                      values: values.baseAddress!, selected: selected,
                                                                      starts: selected + rows, into: chosen.baseAddress!)
                                                }
                                                // The rows the shuffle moved keep their own sum; every other row adds the tree's output.
                                                for k in 0..<tested {
                                                    let r = Int(selected[k])
                                                    chosen[r] = target[r] + chosen[r]
                                                }
                                            }
                                            for r in 0..<rows { target[r] += outputs[r] }
                                            for k in 0..<tested {
                                                let r = Int(selected[k])
                                                target[r] = chosen[r]
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Writes `chosen[r]`, the tree's output on shuffled row `r`, for the rows whose path tests
    /// `position`; lists them in `selected` and returns how many there are.
    private static func walkShuffled(position: Int, rows: Int, ensemble: PackedEnsemble, paths: LeafPaths.Pointers,
                                     matrix: UnsafePointer<Double>, stride: Int, reached: UnsafePointer<Int32>, values: UnsafePointer<Double>,
                                     selected: UnsafeMutablePointer<Int32>, starts: UnsafeMutablePointer<Int32>,
                                     into chosen: UnsafeMutablePointer<Double>) -> Int {
        let bit: UInt64 = 1 << UInt64(position & 63)
        let feature = Int32(truncatingIfNeeded: position)
        var tested = 0
        for r in 0..<rows {
            let leaf = paths.leaves[Int(reached[r])]
            guard leaf.mask & bit != 0 else { continue }
            // The mask can share a bit between features (more than 64): the path decides.
            var step = Int(leaf.pathStart)
            let end = step &+ Int(leaf.pathCount)
            while step < end && paths.features[step] != feature { step &+= 1 }
            guard step < end else { continue }
            selected[tested] = Int32(truncatingIfNeeded: r)
            starts[tested] = paths.nodes[step]
            tested &+= 1
        }
        ensemble.treeOutputs(0, rows: matrix, stride: stride, selected: selected, starts: starts, count: tested,
                             replacing: feature, values: values, into: chosen)
        return tested
    }

    /// Per column of the caller's matrix: the mean over repeats of the loss on the shuffled rows
    /// minus the loss on the original first rows; 0 for columns no tree splits on. `loss` runs on
    /// `runner`'s threads.
    func importance(labels: [Double], outputs: ([Double]) -> [Double], loss: ([Double], [Double]) -> Double,
                    runner: ParallelRunner) -> [Double] {
        let columns = modelPosition.count
        guard jobCount > 0 else { return Array(repeating: 0, count: columns) }
        let rows = permutedRows
        let baseline = loss(labels, outputs(Array(raw.prefix(rows))))
        var drops = [Double](repeating: 0, count: jobCount)
        drops.withUnsafeMutableBufferPointer { drops in
            runner.forEachJob(count: jobCount) { job in
                guard diverged[job] else { return }
                let scores = Array(permuted[(job * rows)..<((job + 1) * rows)])
                drops[job] = loss(labels, outputs(scores)) - baseline
            }
        }
        return (0..<columns).map { column in
            var total = 0.0
            for k in 0..<shuffles.repeats { total += drops[column * shuffles.repeats + k] }
            return total / Double(shuffles.repeats)
        }
    }
}
