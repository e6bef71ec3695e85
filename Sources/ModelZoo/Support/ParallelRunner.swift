import Dispatch
import Foundation

/// Splits a range of independent work items across threads.
///
/// Exists so that every parallel loop in ModelZoo honours one configurable thread count
/// (0 = all cores) and so that results never depend on the number of threads: each item
/// is processed by exactly one thread and callers reduce per-item results in item order.
struct ParallelRunner: Sendable {
    let threads: Int

    init(threads: Int) {
        self.threads = threads > 0 ? threads : max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Calls `body(chunk, range)` for contiguous chunks covering `0..<count`, in parallel when
    /// there is enough work, and returns when all are done. `chunk` is in `0..<threads` and
    /// unique per concurrent call, so it can index per-thread scratch space. Chunks must
    /// write disjoint memory.
    func forEachChunk(count: Int, minimumPerChunk: Int = 1, _ body: (Int, Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threads, max(1, count / max(1, minimumPerChunk)))
        if chunks <= 1 {
            body(0, 0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            let work = ChunkBody(body: body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let lower = count * chunk / chunks
                let upper = count * (chunk + 1) / chunks
                if lower < upper { work.body(chunk, lower..<upper) }
            }
        }
    }
}

/// Carries a non-Sendable closure into `concurrentPerform`, which requires `@Sendable`.
///
/// Sound because `concurrentPerform` returns only after every iteration has finished (the
/// closure never outlives `forEachChunk`) and because `forEachChunk`'s contract gives each
/// chunk disjoint output; shared inputs are only read.
private struct ChunkBody: @unchecked Sendable {
    let body: (Int, Range<Int>) -> Void
}
