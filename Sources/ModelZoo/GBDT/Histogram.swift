import Foundation

/// Fixed memory for per-leaf histograms, allocated once per training run.
///
/// A histogram holds, for every bin of every feature, three doubles: sum of gradients,
/// sum of hessians and row count (`HistogramBuilder.entryWidth`). Leaf-wise growth
/// never holds more live histograms than leaves, so `capacity = leaves` slots suffice
/// and no node allocates. One more histogram, `copy`, is the second half of a paired build
/// (`HistogramBuilder.Layout.copy`).
final class HistogramPool {
    let doublesPerHistogram: Int
    let capacity: Int
    private let storage: UnsafeMutablePointer<Double>
    private var free: [Int]

    init(totalBinCount: Int, capacity: Int) {
        doublesPerHistogram = totalBinCount * HistogramBuilder.entryWidth
        self.capacity = capacity
        storage = .allocate(capacity: max(1, doublesPerHistogram * (capacity + 1)))
        storage.initialize(repeating: 0, count: max(1, doublesPerHistogram * (capacity + 1)))
        free = Array((0..<capacity).reversed())
    }

    var copy: UnsafeMutablePointer<Double> {
        storage + capacity * doublesPerHistogram
    }

    deinit {
        storage.deallocate()
    }

    func histogram(_ slot: Int) -> UnsafeMutablePointer<Double> {
        storage + slot * doublesPerHistogram
    }

    func acquire() -> Int {
        guard let slot = free.popLast() else { preconditionFailure("histogram pool exhausted") }
        return slot
    }

    func release(_ slot: Int) {
        free.append(slot)
    }

    func releaseAll() {
        free = Array((0..<capacity).reversed())
    }
}

/// Builds and subtracts gradient histograms: the inner loop of tree learning.
///
/// Histograms are built column-wise, in blocks of rows, four features per pass over a
/// block: consecutive updates then go to different histograms, so a run of rows in one bin
/// does not chain each add on the previous store, and a block's gradients are read from
/// cache by every pass. Work is split into groups of features, so each feature's histogram
/// is still summed by one thread in row order and the result does not depend on the thread
/// count.
enum HistogramBuilder {
    static let entryWidth = 3
    /// Bin updates below which dispatching to threads costs more than it saves.
    static let minimumParallelWork = 16_384
    /// Split search on one feature of one leaf, in bin updates of about the same time.
    static let searchWork = 2_048
    /// Rows per block: a block's gradients stay in the core's cache while every feature of
    /// the group reads them.
    static let blockRows = 8_192

    /// Rows of one leaf and their gradients, position-aligned: `gradients[i]` belongs to
    /// row `rows[i]`, or to row `i` when `rows` is nil (the whole data set, in order).
    struct LeafInput {
        var rows: UnsafePointer<Int32>?
        var count: Int
        var gradients: UnsafePointer<Double>
        /// nil when every hessian equals `constantHessian`.
        var hessians: UnsafePointer<Double>?
        var constantHessian: Double
    }

    /// The column-major bins (feature `f`, row `r` at `f * rowCount + r`) and the histogram
    /// layout that building reads.
    struct Layout {
        var bins: UnsafePointer<UInt8>
        var rowCount: Int
        var offsets: UnsafePointer<Int>
        var rowBins: UnsafePointer<UInt8>? = nil
        var stride: Int = 0
        /// A second histogram of the same layout (`HistogramPool.copy`): a large leaf adds its odd
        /// rows there and its even rows into the target, then merges the two (`pairedRowsPerBin`).
        var copy: UnsafeMutablePointer<Double>? = nil
    }
    /// Rows per bin of a pass's features from which a leaf is built into two histograms at once.
    /// Rows of a leaf repeat bins (a yes/no column holds two), and each add to a bin waits for the
    /// previous one's store; alternating rows between two copies halves that chain.
    static let pairedRowsPerBin = 2
    /// A leaf with fewer than 1/sparseRatio of the rows gathers its rows' bins row-major instead
    /// of reading each feature's column.
    static let sparseRatio = 16
    static let gatherBlockRows = 256

    /// How many feature groups to build in parallel for `work` bin updates over `features`.
    static func groupCount(features: Int, work: Int, threads: Int, minimumParallelWork: Int = minimumParallelWork) -> Int {
        guard threads > 1, work >= minimumParallelWork, features > 1 else { return 1 }
        return min(features, threads * 2)
    }

    /// The positions `range` of group `group` of `groups` over `count` features.
    @inline(__always)
    static func group(_ group: Int, of groups: Int, count: Int) -> Range<Int> {
        (count * group / groups)..<(count * (group + 1) / groups)
    }

    /// Writes the histograms of `features` for `input` into `histogram` (other features untouched).
    static func build(into histogram: UnsafeMutablePointer<Double>, features: UnsafeBufferPointer<Int32>,
                      layout: Layout, input: LeafInput, runner: ParallelRunner,
                      minimumParallelWork: Int = minimumParallelWork) {
        let groups = groupCount(features: features.count, work: features.count * input.count, threads: runner.threads,
                                minimumParallelWork: minimumParallelWork)
        runner.forEachJob(count: groups, parallel: groups > 1) { g in
            buildGroup(into: histogram, features: features, positions: group(g, of: groups, count: features.count),
                       layout: layout, input: input)
        }
    }

    /// Builds the histograms of `features[positions]`: zeroes their entries, then adds the rows.
    static func buildGroup(into histogram: UnsafeMutablePointer<Double>, features: UnsafeBufferPointer<Int32>,
                           positions: Range<Int>, layout: Layout, input: LeafInput) {
        guard !positions.isEmpty else { return }
        for position in positions {
            let f = Int(features[position])
            (histogram + layout.offsets[f] &* entryWidth)
                .update(repeating: 0, count: (layout.offsets[f + 1] &- layout.offsets[f]) &* entryWidth)
        }
        if let rows = input.rows, let rowBins = layout.rowBins, input.count &* sparseRatio < layout.rowCount {
            buildGathered(into: histogram, features: features, positions: positions, layout: layout, input: input,
                          rows: rows, rowBins: rowBins)
        } else {
            withQuads(features: features, positions: positions, histogram: histogram, layout: layout, rows: input.count,
                      column: { layout.bins + $0 &* layout.rowCount }) { quads in
                var start = 0
                while start < input.count {
                    let block = start..<min(input.count, start + blockRows)
                    for quad in quads {
                        if let rows = input.rows {
                            build(quad, IndexedRows(rows: rows), block, input)
                        } else {
                            build(quad, SequentialRows(), block, input)
                        }
                    }
                    start = block.upperBound
                }
            }
        }
        fillConstantHessians(histogram, features: features, positions: positions, layout: layout, input: input)
    }

    private static func fillConstantHessians(_ histogram: UnsafeMutablePointer<Double>, features: UnsafeBufferPointer<Int32>,
                                             positions: Range<Int>, layout: Layout, input: LeafInput) {
        if input.hessians == nil {
            let c = input.constantHessian
            for position in positions {
                let f = Int(features[position])
                let out = histogram + layout.offsets[f] &* entryWidth
                for e in 0..<(layout.offsets[f + 1] &- layout.offsets[f]) {
                    let count = out[e &* 3 &+ 1]
                    out[e &* 3 &+ 1] = count * c
                    out[e &* 3 &+ 2] = count
                }
            }
        }
    }

    private static func buildGathered(into histogram: UnsafeMutablePointer<Double>, features: UnsafeBufferPointer<Int32>,
                                      positions: Range<Int>, layout: Layout, input: LeafInput,
                                      rows: UnsafePointer<Int32>, rowBins: UnsafePointer<UInt8>) {
        var first = Int.max, last = 0
        for position in positions {
            first = min(first, Int(features[position]))
            last = max(last, Int(features[position]))
        }
        let words = (last - first) / 8 + 1
        let width = words * 8
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: gatherBlockRows * words) { buffer in
            let words64 = buffer.baseAddress!
            let bytes = UnsafeRawPointer(words64).assumingMemoryBound(to: UInt8.self)
            let source = UnsafeRawPointer(rowBins + first)
            let stride = layout.stride
            withQuads(features: features, positions: positions, histogram: histogram, layout: layout, rows: input.count,
                      column: { bytes + ($0 - first) }) { quads in
                var start = 0
                while start < input.count {
                    let block = start..<min(input.count, start + gatherBlockRows)
                    var target = words64
                    for i in block {
                        let row = source + Int(rows[i]) &* stride
                        for w in 0..<words { target[w] = row.loadUnaligned(fromByteOffset: w &* 8, as: UInt64.self) }
                        target += words
                    }
                    for quad in quads {
                        build(quad, BufferedRows(first: block.lowerBound, width: width), block, input)
                    }
                    start = block.upperBound
                }
            }
        }
    }

    /// Features in the next pass when `remaining` are left: as few passes as four lanes allow,
    /// of even widths (9 features as 3 + 3 + 3, not 4 + 4 + 1: a lone lane chains each add on
    /// the previous store whenever rows repeat a bin, and took a fifth of the build's time).
    @inline(__always)
    static func laneCount(remaining: Int) -> Int {
        let passes = (remaining + 3) / 4
        return (remaining + passes - 1) / passes
    }

    /// Calls `body` with the features of `positions` up to four at a time (`laneCount`), `column(f)`
    /// being where feature `f`'s bins are read. A feature with few bins for `rows` (`pairedRowsPerBin`)
    /// also gets its histogram in `Layout.copy`, zeroed before `body` and added into the target
    /// after it; the other lanes of its pass have their target as their copy, so each feature's sums
    /// depend on the feature and the rows alone, never on which features share its pass.
    @inline(__always)
    private static func withQuads(features: UnsafeBufferPointer<Int32>, positions: Range<Int>,
                                  histogram: UnsafeMutablePointer<Double>, layout: Layout, rows: Int,
                                  column: (Int) -> UnsafePointer<UInt8>, _ body: (UnsafeBufferPointer<Quad>) -> Void) {
        withUnsafeTemporaryAllocation(of: Quad.self, capacity: (positions.count + 3) / 4) { buffer in
            var count = 0
            var j = positions.lowerBound
            while j < positions.upperBound {
                let width = laneCount(remaining: positions.upperBound - j)
                @inline(__always) func lane(_ lane: Int) -> (UnsafePointer<UInt8>, UnsafeMutablePointer<Double>, Int) {
                    let f = Int(features[j + min(lane, width - 1)])
                    return (column(f), histogram + layout.offsets[f] &* entryWidth, (layout.offsets[f + 1] &- layout.offsets[f]) &* entryWidth)
                }
                let (l0, l1, l2, l3) = (lane(0), lane(1), lane(2), lane(3))
                @inline(__always) func copy(_ lane: (UnsafePointer<UInt8>, UnsafeMutablePointer<Double>, Int)) -> UnsafeMutablePointer<Double> {
                    guard let copy = layout.copy, rows >= lane.2 / entryWidth &* pairedRowsPerBin else { return lane.1 }
                    return copy + (lane.1 - histogram)
                }
                let copies = (copy(l0), copy(l1), copy(l2), copy(l3))
                let paired = copies.0 != l0.1 || (width > 1 && copies.1 != l1.1) || (width > 2 && copies.2 != l2.1)
                    || (width > 3 && copies.3 != l3.1)
                let quad = Quad(column: (l0.0, l1.0, l2.0, l3.0), out: (l0.1, l1.1, l2.1, l3.1), copy: paired ? copies : nil,
                                sizes: (l0.2, l1.2, l2.2, l3.2), width: width)
                quad.clearCopies()
                (buffer.baseAddress! + count).initialize(to: quad)
                count += 1
                j += width
            }
            let quads = UnsafeBufferPointer(rebasing: buffer[0..<count])
            body(quads)
            for quad in quads { quad.mergeCopies() }
        }
    }

    /// Up to four features built in one pass over the rows: their columns and histograms;
    /// lanes past `width` repeat the last feature and are never written.
    private struct Quad {
        typealias Outputs = (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>,
                             UnsafeMutablePointer<Double>)
        let column: (UnsafePointer<UInt8>, UnsafePointer<UInt8>, UnsafePointer<UInt8>, UnsafePointer<UInt8>)
        let out: Outputs
        /// Where each lane adds its odd rows: its histogram in `Layout.copy`, or its target when the
        /// lane is not paired; nil when no lane is.
        let copy: Outputs?
        /// Doubles in each lane's histogram.
        let sizes: (Int, Int, Int, Int)
        let width: Int

        @inline(__always)
        private func forEachLane(_ body: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, Int) -> Void) {
            guard let copy else { return }
            if copy.0 != out.0 { body(out.0, copy.0, sizes.0) }
            if width > 1, copy.1 != out.1 { body(out.1, copy.1, sizes.1) }
            if width > 2, copy.2 != out.2 { body(out.2, copy.2, sizes.2) }
            if width > 3, copy.3 != out.3 { body(out.3, copy.3, sizes.3) }
        }

        func clearCopies() {
            forEachLane { _, copy, size in copy.update(repeating: 0, count: size) }
        }

        func mergeCopies() {
            forEachLane { out, copy, size in
                for j in 0..<size { out[j] += copy[j] }
            }
        }
    }

    @inline(__always)
    private static func build<Rows: RowIndex>(_ quad: Quad, _ rows: Rows, _ block: Range<Int>, _ input: LeafInput) {
        if let h = input.hessians {
            build(quad, rows, block, input.gradients, VaryingHessians(h: h))
        } else {
            build(quad, rows, block, input.gradients, NoHessians())
        }
    }

    @inline(__always)
    private static func build<Rows: RowIndex, Hessians: HessianSource>(
        _ quad: Quad, _ rows: Rows, _ block: Range<Int>, _ g: UnsafePointer<Double>, _ hessians: Hessians
    ) {
        if let copy = quad.copy {
            switch quad.width {
            case 4: accumulatePaired(quad, copy, Lanes4(), rows, block, g, hessians)
            case 3: accumulatePaired(quad, copy, Lanes3(), rows, block, g, hessians)
            case 2: accumulatePaired(quad, copy, Lanes2(), rows, block, g, hessians)
            default: accumulatePaired(quad, copy, Lanes1(), rows, block, g, hessians)
            }
            return
        }
        switch quad.width {
        case 4: accumulate(quad, Lanes4(), rows, block, g, hessians)
        case 3: accumulate(quad, Lanes3(), rows, block, g, hessians)
        case 2: accumulate(quad, Lanes2(), rows, block, g, hessians)
        default: accumulate(quad, Lanes1(), rows, block, g, hessians)
        }
    }

    /// `accumulate` with the block's odd rows added into the copies: two rows in one bin no
    /// longer wait on each other. Blocks start at even rows, so a row's histogram depends only on
    /// its position in the leaf.
    @inline(__always)
    private static func accumulatePaired<L: Lanes, Rows: RowIndex, Hessians: HessianSource>(
        _ quad: Quad, _ copy: Quad.Outputs,
        _ lanes: L, _ rows: Rows, _ block: Range<Int>, _ g: UnsafePointer<Double>, _ hessians: Hessians
    ) {
        let (c0, c1, c2, c3) = quad.column
        let (o0, o1, o2, o3) = quad.out
        let (p0, p1, p2, p3) = copy
        var i = block.lowerBound
        let pairsEnd = block.lowerBound &+ (block.count & ~1)
        while i < pairsEnd {
            let r = rows.index(i), s = rows.index(i &+ 1)
            let gi = g[i], gj = g[i &+ 1]
            let hi = hessians.value(i), hj = hessians.value(i &+ 1)
            add(o0 + Int(c0[r]) &* 3, gi, hi, hessians)
            add(p0 + Int(c0[s]) &* 3, gj, hj, hessians)
            if L.count > 1 { add(o1 + Int(c1[r]) &* 3, gi, hi, hessians); add(p1 + Int(c1[s]) &* 3, gj, hj, hessians) }
            if L.count > 2 { add(o2 + Int(c2[r]) &* 3, gi, hi, hessians); add(p2 + Int(c2[s]) &* 3, gj, hj, hessians) }
            if L.count > 3 { add(o3 + Int(c3[r]) &* 3, gi, hi, hessians); add(p3 + Int(c3[s]) &* 3, gj, hj, hessians) }
            i &+= 2
        }
        if i < block.upperBound {
            accumulate(quad, lanes, rows, i..<block.upperBound, g, hessians)
        }
    }

    /// The inner loop. Interleaving up to four features keeps consecutive updates on different
    /// histograms, so a run of rows in one bin does not chain each add on the previous store.
    @inline(__always)
    private static func accumulate<L: Lanes, Rows: RowIndex, Hessians: HessianSource>(
        _ quad: Quad, _ lanes: L, _ rows: Rows, _ block: Range<Int>, _ g: UnsafePointer<Double>, _ hessians: Hessians
    ) {
        let (c0, c1, c2, c3) = quad.column
        let (o0, o1, o2, o3) = quad.out
        for i in block {
            let r = rows.index(i)
            let gi = g[i]
            let hi = hessians.value(i)
            add(o0 + Int(c0[r]) &* 3, gi, hi, hessians)
            if L.count > 1 { add(o1 + Int(c1[r]) &* 3, gi, hi, hessians) }
            if L.count > 2 { add(o2 + Int(c2[r]) &* 3, gi, hi, hessians) }
            if L.count > 3 { add(o3 + Int(c3[r]) &* 3, gi, hi, hessians) }
        }
    }

    /// Adds one row to one entry. Without hessians the count goes next to the gradient (one
    /// 16-byte update); `buildGroup` then moves it to its slot and fills in the hessian.
    @inline(__always)
    private static func add<Hessians: HessianSource>(_ entry: UnsafeMutablePointer<Double>, _ g: Double, _ h: Double,
                                                      _ hessians: Hessians) {
        if Hessians.varies {
            entry[0] += g
            entry[1] += h
            entry[2] += 1
        } else {
            entry[0] += g
            entry[1] += 1
        }
    }

    /// `parent -= child` over the bins of `features`: turns a parent's histogram into the
    /// histogram of the sibling of `child`.
    static func subtract(_ child: UnsafePointer<Double>, from parent: UnsafeMutablePointer<Double>,
                         features: UnsafeBufferPointer<Int32>, offsets: UnsafePointer<Int>) {
        for f32 in features {
            let f = Int(f32)
            let begin = offsets[f] &* entryWidth
            let end = offsets[f + 1] &* entryWidth
            for j in begin..<end { parent[j] -= child[j] }
        }
    }
}

/// How many features one pass over the rows builds (a compile-time constant per type).
private protocol Lanes { static var count: Int { get } }
private struct Lanes1: Lanes { static var count: Int { 1 } }
private struct Lanes2: Lanes { static var count: Int { 2 } }
private struct Lanes3: Lanes { static var count: Int { 3 } }
private struct Lanes4: Lanes { static var count: Int { 4 } }

/// The row number of a leaf's `i`-th row.
private protocol RowIndex {
    func index(_ i: Int) -> Int
}

/// Rows listed by number (a leaf's segment of the partition).
private struct IndexedRows: RowIndex {
    let rows: UnsafePointer<Int32>

    @inline(__always)
    func index(_ i: Int) -> Int { Int(rows[i]) }
}

private struct BufferedRows: RowIndex {
    let first: Int
    let width: Int

    @inline(__always)
    func index(_ i: Int) -> Int { (i &- first) &* width }
}

/// Every row, in order (the root without bagging).
private struct SequentialRows: RowIndex {
    @inline(__always)
    func index(_ i: Int) -> Int { i }
}


/// Per-row hessians, or none (a constant hessian is filled in from the counts afterwards).
private protocol HessianSource {
    static var varies: Bool { get }
    func value(_ i: Int) -> Double
}

private struct VaryingHessians: HessianSource {
    let h: UnsafePointer<Double>
    static var varies: Bool { true }

    @inline(__always)
    func value(_ i: Int) -> Double { h[i] }
}

private struct NoHessians: HessianSource {
    static var varies: Bool { false }

    @inline(__always)
    func value(_ i: Int) -> Double { 0 }
}
