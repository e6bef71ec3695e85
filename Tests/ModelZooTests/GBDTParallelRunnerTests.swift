import Foundation
import XCTest
@testable import ModelZoo

/// Counts, per job, how often it ran; jobs write only their own slot.
private final class JobTally: @unchecked Sendable {
    // Sendable by construction: each job increments only its own element, and the tally is
    // read after the parallel loop has returned.
    let counts: UnsafeMutablePointer<Int>
    let size: Int

    init(size: Int) {
        self.size = size
        counts = .allocate(capacity: max(size, 1))
        counts.initialize(repeating: 0, count: max(size, 1))
    }

    deinit { counts.deallocate() }

    var all: [Int] { Array(UnsafeBufferPointer(start: counts, count: size)) }
}

/// The thread pool behind the GBDT's parallel passes: every job once, nested and concurrent loops.
final class GBDTParallelRunnerTests: XCTestCase {
    func testEveryJobRunsExactlyOnceOverManyRegions() {
        for threads in [2, 3, 4] {
            let runner = ParallelRunner(threads: threads)
            for region in 0..<300 {
                let count = 1 + region % 37
                let tally = JobTally(size: count)
                runner.forEachJob(count: count) { tally.counts[$0] += 1 }
                XCTAssertEqual(tally.all, [Int](repeating: 1, count: count), "threads \(threads) region \(region)")
            }
        }
    }

    func testChunksCoverTheRangeInOrder() {
        let tally = JobTally(size: 10_007)
        var firstOfChunk = [Int](repeating: -1, count: 64)
        firstOfChunk.withUnsafeMutableBufferPointer { first in
            ParallelRunner(threads: 3).forEachChunk(count: 10_007, minimumPerChunk: 100) { chunk, range in
                first[chunk] = range.lowerBound
                for i in range { tally.counts[i] += 1 }
            }
        }
        XCTAssertEqual(tally.all, [Int](repeating: 1, count: 10_007))
        let starts = firstOfChunk.filter { $0 >= 0 }
        XCTAssertEqual(starts, starts.sorted(), "chunk numbers follow the order of their ranges")
    }

    func testNestedLoopsRunEveryInnerJob() {
        let outer = 6, inner = 50
        let tally = JobTally(size: outer * inner)
        let runner = ParallelRunner(threads: 2)
        runner.forEachJob(count: outer) { o in
            runner.forEachJob(count: inner) { i in tally.counts[o * inner + i] += 1 }
        }
        XCTAssertEqual(tally.all, [Int](repeating: 1, count: outer * inner))
    }

    func testLoopsStartedFromSeveralThreadsAtOnceAllFinish() {
        let callers = 4, jobs = 2_000
        let tallies = (0..<callers).map { _ in JobTally(size: jobs) }
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for _ in 0..<20 {
                ParallelRunner(threads: 2).forEachJob(count: jobs / 20) { job in
                    tallies[caller].counts[job] += 1
                }
            }
        }
        for tally in tallies {
            XCTAssertEqual(Array(tally.all.prefix(jobs / 20)), [Int](repeating: 20, count: jobs / 20))
        }
    }
}
