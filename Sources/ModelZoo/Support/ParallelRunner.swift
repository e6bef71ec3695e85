import Dispatch
import Foundation

/// Runs independent jobs on up to `threads` threads.
///
/// Exists so that every parallel loop in ModelZoo honours one configurable thread count
/// (0 = all cores) and so that results never depend on the number of threads: each job
/// is done by exactly one thread, writes only its own output, and callers reduce
/// per-job results in job order. Jobs are claimed one at a time, so when a thread is
/// descheduled (a busy machine) the others take over its share instead of waiting.
/// Parallel loops run on the long-lived threads of `WorkerPool`; a loop nested in another
/// (or started while another thread's loop runs) uses `DispatchQueue.concurrentPerform`.
struct ParallelRunner: Sendable {
    let threads: Int

    init(threads: Int) {
        self.threads = threads > 0 ? threads : max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Calls `body(job)` for every job in `0..<count` and returns when all are done; in
    /// parallel only when `parallel` is true and there is more than one job.
    func forEachJob(count: Int, parallel: Bool = true, _ body: (Int) -> Void) {
        guard count > 0 else { return }
        let workers = parallel ? min(threads, count) : 1
        if workers <= 1 {
            for job in 0..<count { body(job) }
            return
        }
        if WorkerPool.shared.run(count: count, helpers: workers - 1, body) { return }
        let counter = JobCounter()
        withoutActuallyEscaping(body) { body in
            let work = JobBody(body: body)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    let job = counter.claim()
                    guard job < count else { return }
                    work.body(job)
                }
            }
        }
    }

    /// Calls `body(chunk, range)` for contiguous ranges covering `0..<count`, about
    /// `minimumPerChunk` long or more, in parallel when there is more than one. `chunk`
    /// numbers the ranges in order (0, 1, …), so it can index per-chunk results.
    func forEachChunk(count: Int, minimumPerChunk: Int = 1, _ body: (Int, Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threads * 4, max(1, count / max(1, minimumPerChunk)))
        forEachJob(count: chunks, parallel: chunks > 1) { chunk in
            let lower = count * chunk / chunks
            let upper = count * (chunk + 1) / chunks
            if lower < upper { body(chunk, lower..<upper) }
        }
    }
}

/// Hands out job numbers in increasing order to whichever thread asks next.
private final class JobCounter: @unchecked Sendable {
    // Sendable by construction: `next` is only read and written under `lock`.
    private let lock = NSLock()
    private var next = 0

    func claim() -> Int {
        lock.lock()
        defer { lock.unlock() }
        let job = next
        next += 1
        return job
    }
}

/// Carries a non-Sendable closure into `concurrentPerform`, which requires `@Sendable`.
///
/// Sound because `concurrentPerform` returns only after every iteration has finished (the
/// closure never outlives `forEachJob`) and because `forEachJob`'s contract gives each job
/// disjoint output; shared inputs are only read.
private struct JobBody: @unchecked Sendable {
    let body: (Int) -> Void
}
