/// Which rows belong to which leaf, kept as contiguous segments of one index array.
///
/// Splitting a leaf partitions its segment in place (stably, so rows stay in increasing
/// order and histogram building walks memory forward), as LightGBM's `DataPartition`.
/// The left child keeps the parent's leaf number; the right child gets a new one.
/// Large segments are partitioned in fixed blocks of rows on several threads; the result
/// is the same as the serial pass, whatever the thread count.
final class DataPartition {
    /// Rows per block of a parallel split; fixed, so the work done does not depend on threads.
    static let blockRows = 16_384

    let rowCapacity: Int
    private let indices: UnsafeMutablePointer<Int32>
    private let scratch: UnsafeMutablePointer<Int32>
    private var begin: [Int]
    private var count: [Int]

    /// Gradients to gather, in row order, for one side of a split as it is partitioned: the
    /// side whose histogram is built next reads them sequentially.
    struct Gather {
        var gradients: UnsafePointer<Double>
        /// nil when hessians are constant.
        var hessians: UnsafePointer<Double>?
        var orderedGradients: UnsafeMutablePointer<Double>
        var orderedHessians: UnsafeMutablePointer<Double>
        /// Which side to gather: the left child (true) or the right child.
        var left: Bool
    }

    init(rowCapacity: Int, leafCapacity: Int) {
        self.rowCapacity = rowCapacity
        indices = .allocate(capacity: max(1, rowCapacity))
        scratch = .allocate(capacity: max(1, rowCapacity))
        begin = [Int](repeating: 0, count: leafCapacity)
        count = [Int](repeating: 0, count: leafCapacity)
    }

    deinit {
        indices.deallocate()
        scratch.deallocate()
    }

    /// One leaf holding `bag` (sorted row numbers), or every row when `bag` is nil.
    func reset(bag: [Int32]?) {
        if let bag {
            bag.withUnsafeBufferPointer { source in
                _ = UnsafeMutableBufferPointer(start: indices, count: bag.count).initialize(from: source)
            }
            count[0] = bag.count
        } else {
            for i in 0..<rowCapacity { indices[i] = Int32(truncatingIfNeeded: i) }
            count[0] = rowCapacity
        }
        begin[0] = 0
    }

    func rows(ofLeaf leaf: Int) -> UnsafeBufferPointer<Int32> {
        UnsafeBufferPointer(start: indices + begin[leaf], count: count[leaf])
    }

    func rowCount(ofLeaf leaf: Int) -> Int { count[leaf] }

    /// Moves the rows of `leaf` whose bin in `column` maps to false in `goesLeft` into
    /// `newLeaf`; returns how many rows stayed left.
    func split(leaf: Int, into newLeaf: Int, column: UnsafePointer<UInt8>, goesLeft: UnsafePointer<Bool>) -> Int {
        split(leaf: leaf, into: newLeaf, column: column, goesLeft: goesLeft, gather: nil, runner: ParallelRunner(threads: 1))
    }

    /// The same, also gathering one side's gradients into position order (`gather`), on
    /// `runner`'s threads when the leaf is large.
    func split(leaf: Int, into newLeaf: Int, column: UnsafePointer<UInt8>, goesLeft: UnsafePointer<Bool>,
               gather: Gather?, runner: ParallelRunner) -> Int {
        let start = indices + begin[leaf]
        let n = count[leaf]
        let blocks = (n + Self.blockRows - 1) / Self.blockRows
        let left: Int
        if blocks > 1 && runner.threads > 1 {
            left = splitInBlocks(start, n, blocks: blocks, column: column, goesLeft: goesLeft, gather: gather, runner: runner)
        } else {
            left = Self.partition(start, n, column: column, goesLeft: goesLeft, scratch: scratch)
            if let gather { Self.gather(gather, rows: gather.left ? start : start + left, count: gather.left ? left : n - left, at: 0) }
        }
        count[leaf] = left
        begin[newLeaf] = begin[leaf] + left
        count[newLeaf] = n - left
        return left
    }

    /// Stable partition of `rows[0..<n]`: left rows stay in front, right rows follow (via `scratch`).
    /// Without a branch: every row is written to both sides' next slot and only one side's count
    /// moves on (a good split sends rows either way at random, which a branch mispredicts).
    private static func partition(_ rows: UnsafeMutablePointer<Int32>, _ n: Int, column: UnsafePointer<UInt8>,
                                  goesLeft: UnsafePointer<Bool>, scratch: UnsafeMutablePointer<Int32>) -> Int {
        let side = UnsafeRawPointer(goesLeft).assumingMemoryBound(to: UInt8.self)
        var left = 0
        var right = 0
        for i in 0..<n {
            let row = rows[i]
            let isLeft = Int(side[Int(column[Int(row)])])
            rows[left] = row
            scratch[right] = row
            left &+= isLeft
            right &+= 1 &- isLeft
        }
        (rows + left).update(from: scratch, count: right)
        return left
    }

    /// Each block partitions itself into its range of `scratch` (left rows from the front,
    /// right rows from the back); then each block copies its two runs to their final places,
    /// gathering gradients on the way.
    private func splitInBlocks(_ start: UnsafeMutablePointer<Int32>, _ n: Int, blocks: Int, column: UnsafePointer<UInt8>,
                               goesLeft: UnsafePointer<Bool>, gather: Gather?, runner: ParallelRunner) -> Int {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: blocks + 1) { leftBefore in
            let scratch = self.scratch
            let lefts = leftBefore.baseAddress! + 1
            runner.forEachJob(count: blocks) { b in
                let lower = b * Self.blockRows
                let upper = min(n, lower + Self.blockRows)
                let block = scratch + lower
                let last = upper - lower - 1
                var left = 0
                var right = 0
                let side = UnsafeRawPointer(goesLeft).assumingMemoryBound(to: UInt8.self)
                for i in lower..<upper {
                    let row = start[i]
                    let isLeft = Int(side[Int(column[Int(row)])])
                    block[left] = row
                    block[last &- right] = row
                    left &+= isLeft
                    right &+= 1 &- isLeft
                }
                lefts[b] = left
            }
            leftBefore[0] = 0
            for b in 0..<blocks { leftBefore[b + 1] = leftBefore[b] + lefts[b] }
            let totalLeft = leftBefore[blocks]
            let before = leftBefore.baseAddress!
            runner.forEachJob(count: blocks) { b in
                let lower = b * Self.blockRows
                let upper = min(n, lower + Self.blockRows)
                let blockLeft = before[b + 1] - before[b]
                let leftTarget = before[b]
                let rightOffset = totalLeft + (lower - before[b])
                (start + leftTarget).update(from: scratch + lower, count: blockLeft)
                let rights = scratch + upper - 1
                let rightTarget = start + rightOffset
                for i in 0..<(upper - lower - blockLeft) { rightTarget[i] = rights[-i] }
                if let gather {
                    if gather.left {
                        Self.gather(gather, rows: start + leftTarget, count: blockLeft, at: leftTarget)
                    } else {
                        Self.gather(gather, rows: rightTarget, count: upper - lower - blockLeft,
                                    at: rightOffset - totalLeft)
                    }
                }
            }
            return totalLeft
        }
    }

    @inline(__always)
    private static func gather(_ gather: Gather, rows: UnsafePointer<Int32>, count: Int, at offset: Int) {
        let g = gather.gradients
        let out = gather.orderedGradients + offset
        for i in 0..<count { out[i] = g[Int(rows[i])] }
        if let h = gather.hessians {
            let outH = gather.orderedHessians + offset
            for i in 0..<count { outH[i] = h[Int(rows[i])] }
        }
    }
}
