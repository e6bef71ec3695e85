/// Fixed memory for per-leaf histograms, allocated once per training run.
///
/// A histogram holds, for every bin of every feature, three doubles: sum of gradients,
/// sum of hessians and row count (`HistogramBuilder.entryWidth`). Leaf-wise growth
/// never holds more live histograms than leaves, so `capacity = leaves` slots suffice
/// and no node allocates.
final class HistogramPool {
    let doublesPerHistogram: Int
    let capacity: Int
    private let storage: UnsafeMutablePointer<Double>
    private var free: [Int]

    init(totalBinCount: Int, capacity: Int) {
        doublesPerHistogram = totalBinCount * HistogramBuilder.entryWidth
        self.capacity = capacity
        storage = .allocate(capacity: max(1, doublesPerHistogram * capacity))
        storage.initialize(repeating: 0, count: max(1, doublesPerHistogram * capacity))
        free = Array((0..<capacity).reversed())
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
/// Work is split over features, so each feature's histogram is summed by one thread in
/// row order and the result does not depend on the thread count.
enum HistogramBuilder {
    static let entryWidth = 3
    /// Bin updates below which dispatching to threads costs more than it saves.
    static let minimumParallelWork = 65_536

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

    /// Writes the histograms of `features` for `input` into `histogram` (other features untouched).
    static func build(into histogram: UnsafeMutablePointer<Double>, features: UnsafeBufferPointer<Int32>,
                      bins: UnsafePointer<UInt8>, rowCount: Int, offsets: UnsafePointer<Int>,
                      input: LeafInput, runner: ParallelRunner, minimumParallelWork: Int = minimumParallelWork) {
        runner.forEachJob(count: features.count, parallel: features.count * input.count >= minimumParallelWork) { position in
            let f = Int(features[position])
            let begin = offsets[f]
            buildFeature(into: histogram + begin &* entryWidth, binCount: offsets[f + 1] &- begin,
                         column: bins + f &* rowCount, input: input)
        }
    }

    @inline(__always)
    static func buildFeature(into out: UnsafeMutablePointer<Double>, binCount: Int,
                             column: UnsafePointer<UInt8>, input: LeafInput) {
        out.update(repeating: 0, count: binCount &* entryWidth)
        let g = input.gradients
        let n = input.count
        switch (input.rows, input.hessians) {
        case (let rows?, let h?):
            for i in 0..<n {
                let b = Int(column[Int(rows[i])]) &* 3
                out[b] += g[i]
                out[b &+ 1] += h[i]
                out[b &+ 2] += 1
            }
        case (let rows?, nil):
            for i in 0..<n {
                let b = Int(column[Int(rows[i])]) &* 3
                out[b] += g[i]
                out[b &+ 2] += 1
            }
        case (nil, let h?):
            for i in 0..<n {
                let b = Int(column[i]) &* 3
                out[b] += g[i]
                out[b &+ 1] += h[i]
                out[b &+ 2] += 1
            }
        case (nil, nil):
            for i in 0..<n {
                let b = Int(column[i]) &* 3
                out[b] += g[i]
                out[b &+ 2] += 1
            }
        }
        if input.hessians == nil {
            let c = input.constantHessian
            var b = 0
            while b < binCount &* 3 {
                out[b &+ 1] = out[b &+ 2] * c
                b &+= 3
            }
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
