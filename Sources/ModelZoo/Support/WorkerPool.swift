import Foundation
import Synchronization

/// Long-lived worker threads that join parallel regions of `ParallelRunner`.
///
/// Exists because tree learning opens a parallel region per split (thousands per model),
/// each a few hundred microseconds long: waking a thread per region (as
/// `DispatchQueue.concurrentPerform` does) costs about as much as the work. Workers here
/// spin briefly after a region, yielding the core to other processes on every turn, and
/// only then sleep, so back-to-back regions start without a wake-up.
///
/// Workers join a region while it is open and claim jobs from a shared counter; the
/// caller claims jobs too, so a region never waits for a thread that is slow to start: it
/// closes once every job is claimed and returns when the workers inside it are done.
/// One region runs at a time; `run` returns false when the pool is busy (a nested or
/// concurrent caller), and the caller runs its jobs another way.
final class WorkerPool: @unchecked Sendable {
    // Sendable by construction: the region fields (`body`, `jobCount`) are written only by
    // the thread holding `region`, while no worker is inside (the state's active count is zero
    // and the region is closed), and read by workers only after they joined through an
    // acquiring compare-and-swap on `state`, which the opening store released. `workers` is
    // guarded by `region`.

    static let shared = WorkerPool()

    /// Most worker threads ever started: one per core besides the caller's (more threads than
    /// cores only take turns), and at most 63.
    static let maximumWorkers = min(63, max(1, ProcessInfo.processInfo.activeProcessorCount - 1))
    /// How long an idle worker keeps polling for the next region before it sleeps.
    static let spinNanoseconds: UInt64 = 200_000

    private static let activeMask: UInt64 = 0xFFFF
    private static let openBit: UInt64 = 1 << 16
    private static let limitShift: UInt64 = 17
    private static let generationShift: UInt64 = 32

    /// Bits 0–15: workers inside the current region; bit 16: the region accepts workers;
    /// bits 17–31: how many workers it accepts; bits 32–63: the region's generation.
    private let state = Atomic<UInt64>(0)
    private let nextJob = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let region = NSLock()
    private let sleep = NSCondition()
    private var workers = 0
    private var body: ((Int) -> Void)?
    private var jobCount = 0

    private init() {}

    /// Runs `body(job)` for every job in `0..<count` on the calling thread and up to
    /// `helpers` workers; returns false, having run nothing, when another region is open.
    func run(count: Int, helpers: Int, _ body: (Int) -> Void) -> Bool {
        guard region.try() else { return false }
        defer { region.unlock() }
        let helpers = min(helpers, Self.maximumWorkers)
        while workers < helpers { startWorker() }
        withoutActuallyEscaping(body) { body in
            self.body = body
            jobCount = count
            nextJob.store(0, ordering: .relaxed)
            let generation = (state.load(ordering: .relaxed) >> Self.generationShift) &+ 1
            state.store(generation << Self.generationShift | UInt64(helpers) << Self.limitShift | Self.openBit,
                        ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                sleep.lock()
                sleep.broadcast()
                sleep.unlock()
            }
            claimJobs(body)
            close()
            self.body = nil
        }
        return true
    }

    private func claimJobs(_ body: (Int) -> Void) {
        while true {
            let job = nextJob.wrappingAdd(1, ordering: .relaxed).oldValue
            guard job < jobCount else { return }
            body(job)
        }
    }

    /// Stops workers from joining, then waits for those inside to finish their jobs.
    private func close() {
        var current = state.load(ordering: .relaxed)
        while true {
            let (exchanged, original) = state.compareExchange(expected: current, desired: current & ~Self.openBit,
                                                              ordering: .acquiringAndReleasing)
            if exchanged { break }
            current = original
        }
        var turns = 0
        while state.load(ordering: .acquiring) & Self.activeMask != 0 {
            turns &+= 1
            if turns & 63 == 0 { sched_yield() }
        }
    }

    private func startWorker() {
        workers += 1
        let thread = Thread { [self] in workerLoop() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func workerLoop() {
        var seen: UInt64 = 0
        while true {
            let generation = waitForRegion(after: seen)
            seen = generation
            guard join(generation) else { continue }
            runJoinedRegion()
            state.wrappingSubtract(1, ordering: .releasing)
        }
    }

    /// Not inlined, so that the worker's reference to `body` is gone when it returns: the
    /// caller's `withoutActuallyEscaping` checks that no reference outlives the region.
    @inline(never)
    private func runJoinedRegion() {
        guard let body else { return }
        claimJobs(body)
    }

    /// Enters region `generation` if it is still open and has room.
    private func join(_ generation: UInt64) -> Bool {
        var current = state.load(ordering: .relaxed)
        while true {
            guard current >> Self.generationShift == generation, current & Self.openBit != 0,
                  current & Self.activeMask < (current >> Self.limitShift) & 0x7FFF else { return false }
            let (exchanged, original) = state.compareExchange(expected: current, desired: current &+ 1,
                                                              ordering: .acquiring)
            if exchanged { return true }
            current = original
        }
    }

    /// The generation of the next region after `seen`: polls for a while, then sleeps.
    private func waitForRegion(after seen: UInt64) -> UInt64 {
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        var turns = 0
        while true {
            let generation = state.load(ordering: .acquiring) >> Self.generationShift
            if generation != seen { return generation }
            turns &+= 1
            sched_yield()
            if turns & 15 == 0 {
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                let elapsed = UInt64(now.tv_sec - start.tv_sec) &* 1_000_000_000 &+ UInt64(bitPattern: Int64(now.tv_nsec - start.tv_nsec))
                if elapsed > Self.spinNanoseconds { break }
            }
        }
        sleep.lock()
        defer { sleep.unlock() }
        sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
        defer { sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
        while true {
            let generation = state.load(ordering: .sequentiallyConsistent) >> Self.generationShift
            if generation != seen { return generation }
            sleep.wait()
        }
    }
}
