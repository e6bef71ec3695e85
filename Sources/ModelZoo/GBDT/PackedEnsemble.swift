import Foundation

/// Trees repacked into one contiguous node array for fast scoring of many rows.
///
/// `RegressionTree` keeps LightGBM's parallel arrays (good for storage and inspection);
/// scoring wants each node's fields side by side and no bounds checks per step.
struct PackedEnsemble: Sendable {
    typealias Node = PackedSplit

    private var nodes: [Node] = []
    private var leafValues: [Double] = []
    private var bitset: [UInt32] = []
    private var nodeOffset: [Int] = []
    private var leafOffset: [Int] = []
    private var internalCount: [Int] = []

    var treeCount: Int { nodeOffset.count }

    init(_ trees: some Sequence<RegressionTree>) {
        for tree in trees {
            nodeOffset.append(nodes.count)
            leafOffset.append(leafValues.count)
            internalCount.append(tree.numberOfInternalNodes)
            let bitsetBase = bitset.count
            for i in 0..<tree.numberOfInternalNodes {
                nodes.append(PackedSplit(tree, node: i, bitsetBase: bitsetBase))
            }
            bitset.append(contentsOf: tree.categoryBitset)
            leafValues.append(contentsOf: tree.leafValue)
        }
    }

    /// Adds every tree's output for each row of `rows` (row-major, `stride` values per row,
    /// features in model order) to `scores`.
    func accumulate(rows: UnsafePointer<Double>, stride: Int, count: Int, into scores: UnsafeMutablePointer<Double>) {
        withBuffers { nodes, leaves, bits in
            for tree in 0..<treeCount {
                walk(tree, rows: rows, stride: stride, count: count, nodes: nodes, leaves: leaves, bits: bits) { r, value in
                    scores[r] += value
                }
            }
        }
    }

    /// Writes tree `tree`'s output for each row of `rows` (laid out as for `accumulate`) to
    /// `outputs`, and to `reached` the leaf each row reaches.
    func treeOutputs(_ tree: Int, rows: UnsafePointer<Double>, stride: Int, count: Int, into outputs: UnsafeMutablePointer<Double>,
                     reached: UnsafeMutablePointer<Int32>) {
        withBuffers { nodes, leaves, bits in
            let base = nodes + nodeOffset[tree]
            let leafBase = leaves + leafOffset[tree]
            for r in 0..<count {
                let row = rows + r &* stride
                var node: Int32 = internalCount[tree] > 0 ? 0 : ~0
                if node >= 0 {
                    repeat {
                        let n = base[Int(node)]
                        node = n.goesLeft(row[Int(n.feature)], bitset: bits) ? n.left : n.right
                    } while node >= 0
                }
                outputs[r] = leafBase[Int(~node)]
                reached[r] = ~node
            }
        }
    }

    /// Writes tree `tree`'s output for row `r = selected[i]` of `rows` to `outputs[r]`, walking from
    /// internal node `starts[i]` (which the row must reach) with model feature `feature` read
    /// from `values[r]` instead of the row: a shuffled column's scores without copying the rows.
    func treeOutputs(_ tree: Int, rows: UnsafePointer<Double>, stride: Int, selected: UnsafePointer<Int32>, starts: UnsafePointer<Int32>,
                     count: Int, replacing feature: Int32, values: UnsafePointer<Double>, into outputs: UnsafeMutablePointer<Double>) {
        withBuffers { nodes, leaves, bits in
            let base = nodes + nodeOffset[tree]
            let leafBase = leaves + leafOffset[tree]
            for i in 0..<count {
                let r = Int(selected[i])
                let row = rows + r &* stride
                let replaced = values[r]
                var node = starts[i]
                if node >= 0 {
                    repeat {
                        let n = base[Int(node)]
                        node = n.goesLeft(n.feature == feature ? replaced : row[Int(n.feature)], bitset: bits) ? n.left : n.right
                    } while node >= 0
                }
                outputs[r] = leafBase[Int(~node)]
            }
        }
    }

    @inline(__always)
    private func withBuffers(_ body: (UnsafePointer<Node>, UnsafePointer<Double>, UnsafePointer<UInt32>) -> Void) {
        nodes.withUnsafeBufferPointer { nodes in
            leafValues.withUnsafeBufferPointer { leaves in
                bitset.withUnsafeBufferPointer { bits in
                    body(nodes.baseAddress!, leaves.baseAddress!, bits.baseAddress!)
                }
            }
        }
    }

    /// Calls `emit(r, value)` with tree `tree`'s output for each row.
    @inline(__always)
    private func walk(_ tree: Int, rows: UnsafePointer<Double>, stride: Int, count: Int, nodes: UnsafePointer<Node>,
                      leaves: UnsafePointer<Double>, bits: UnsafePointer<UInt32>, _ emit: (Int, Double) -> Void) {
        let base = nodes + nodeOffset[tree]
        let leafBase = leaves + leafOffset[tree]
        if internalCount[tree] == 0 {
            let value = leafBase[0]
            for r in 0..<count { emit(r, value) }
            return
        }
        for r in 0..<count {
            let row = rows + r &* stride
            var node: Int32 = 0
            repeat {
                let n = base[Int(node)]
                let left = n.goesLeft(row[Int(n.feature)], bitset: bits)
                node = left ? n.left : n.right
            } while node >= 0
            emit(r, leafBase[Int(~node)])
        }
    }
}

/// Feature columns picked by name and handed out as row-major blocks, for scoring.
struct RowBlocks {
    static let blockSize = 256
    let columns: [[Double]]
    let rowCount: Int

    init(_ x: FeatureMatrix, featureNames: [String]) throws {
        let indices = try x.columnIndices(for: featureNames)
        columns = indices.map { x.columns[$0] }
        rowCount = x.rowCount
    }

    var featureCount: Int { columns.count }
    var blockCount: Int { (rowCount + Self.blockSize - 1) / Self.blockSize }

    /// Writes rows `block` of the block size into `buffer` (row-major); returns the row range.
    func fill(block: Int, into buffer: UnsafeMutablePointer<Double>) -> Range<Int> {
        let start = block * Self.blockSize
        let end = min(rowCount, start + Self.blockSize)
        let stride = max(1, featureCount)
        for (f, column) in columns.enumerated() {
            column.withUnsafeBufferPointer { values in
                for r in start..<end { buffer[(r - start) &* stride &+ f] = values[r] }
            }
        }
        return start..<end
    }

    /// Every row, row-major, in one array.
    func rowMajor() -> [Double] {
        let stride = max(1, featureCount)
        var matrix = [Double](repeating: 0, count: rowCount * stride)
        matrix.withUnsafeMutableBufferPointer { out in
            for block in 0..<blockCount { _ = fill(block: block, into: out.baseAddress! + block * Self.blockSize * stride) }
        }
        return matrix
    }

    /// Adds the ensemble's output to `scores[r]` for every row, in parallel over blocks.
    func accumulate(_ ensemble: PackedEnsemble, into scores: inout [Double], runner: ParallelRunner) {
        let stride = max(1, featureCount)
        scores.withUnsafeMutableBufferPointer { out in
            runner.forEachChunk(count: blockCount) { _, blocks in
                let buffer = UnsafeMutablePointer<Double>.allocate(capacity: Self.blockSize * stride)
                defer { buffer.deallocate() }
                for block in blocks {
                    let rows = fill(block: block, into: buffer)
                    ensemble.accumulate(rows: buffer, stride: stride, count: rows.count, into: out.baseAddress! + rows.lowerBound)
                }
            }
        }
    }
}
