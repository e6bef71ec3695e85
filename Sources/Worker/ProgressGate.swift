import Foundation
import Wire

/// Bounds the PROGRESS a worker sends for its job: the training thread records a report at each
/// 5% step of the fraction done, and the I/O thread sends the latest one at most every 250 ms
/// (4 a second), so a model with thousands of tiny trees cannot flood the coordinator.
///
/// Reports between two sends are coalesced (the latest wins); a job's outcome discards what is
/// left, so no PROGRESS follows its RESULT. `@unchecked Sendable`: all state is guarded by `lock`.
final class ProgressGate: @unchecked Sendable {
    static let step = 0.05
    static let minInterval = Duration.milliseconds(250)

    private let lock = NSLock()
    private var pending: ProgressHeader?
    private var lastStep = -1
    private var lastSent: ContinuousClock.Instant?

    /// A new job starts: its first report goes out at once.
    func begin() {
        lock.withLock {
            pending = nil
            lastStep = -1
        }
    }

    /// Called on the training thread with each fraction the trainer reports.
    func report(jobID: String, attempt: Int, fraction: Double) {
        guard fraction.isFinite else { return }
        let step = Int((fraction / Self.step).rounded(.down))
        lock.withLock {
            guard step > lastStep else { return }
            lastStep = step
            pending = ProgressHeader(jobID: jobID, attempt: attempt, fraction: min(1, max(0, fraction)), message: "training")
        }
    }

    /// The report to send now, if one waits and the last send was at least ``minInterval`` ago.
    func take(now: ContinuousClock.Instant) -> ProgressHeader? {
        lock.withLock {
            guard let header = pending else { return nil }
            if let lastSent, now - lastSent < Self.minInterval { return nil }
            pending = nil
            lastSent = now
            return header
        }
    }

    /// The job's outcome is about to be sent: drop any report still waiting.
    func end(jobID: String) {
        lock.withLock { if pending?.jobID == jobID { pending = nil } }
    }
}
