import Foundation
import ModelZoo

/// Decides which running job deserves a backup copy (MapReduce's backup tasks), from how long
/// finished jobs of the same kind took per unit of estimated cost.
///
/// A job is a straggler once it has run at least ``minimumElapsed`` and more than ``factor``
/// times what it is expected to take: the median, over finished jobs of its kind, of their
/// duration scaled by the ratio of estimated costs. Without a finished job of its kind there is
/// no expectation, so no backup. Durations run from hand-out to accepted result, by the
/// coordinator's clock, so shard transfer counts.
public struct StragglerWatch: Sendable {
    public var minimumElapsed: Duration
    public var factor: Double

    private struct Finished: Sendable {
        var seconds: Double
        var cost: Double
    }

    private var started: [String: ContinuousClock.Instant] = [:]
    private var finished: [ModelKind: [Finished]] = [:]

    public init(minimumElapsed: Duration = .seconds(10), factor: Double = 2) {
        self.minimumElapsed = minimumElapsed
        self.factor = factor
    }

    /// A job's primary attempt was handed out at `now` (a retry restarts its clock).
    public mutating func started(_ id: String, at now: ContinuousClock.Instant) {
        started[id] = now
    }

    /// A job's result was accepted at `now`: its duration joins its kind's record.
    public mutating func finished(_ job: PlannedJob, at now: ContinuousClock.Instant) {
        guard let start = started.removeValue(forKey: job.id) else { return }
        finished[job.spec.kind, default: []].append(Finished(seconds: (now - start).seconds, cost: job.estimatedCost))
    }

    /// How long `job` should take, judged by the finished jobs of its kind; nil before any finished.
    public func expectedSeconds(_ job: PlannedJob) -> Double? {
        guard let record = finished[job.spec.kind], !record.isEmpty else { return nil }
        let scaled = record.map { done in
            done.cost > 0 && job.estimatedCost > 0 ? done.seconds * job.estimatedCost / done.cost : done.seconds
        }.sorted()
        let middle = scaled.count / 2
        return scaled.count % 2 == 1 ? scaled[middle] : (scaled[middle - 1] + scaled[middle]) / 2
    }

    /// The running job among `candidates` that is furthest behind its expectation, if any is a straggler.
    public func straggler(among candidates: [PlannedJob], now: ContinuousClock.Instant) -> PlannedJob? {
        let behind = candidates.compactMap { job -> (job: PlannedJob, ratio: Double)? in
            guard let start = started[job.id], let expected = expectedSeconds(job) else { return nil }
            let elapsed = now - start
            guard elapsed >= minimumElapsed, elapsed.seconds > factor * expected else { return nil }
            return (job, elapsed.seconds / max(expected, 1e-9))
        }
        return behind.max { $0.ratio < $1.ratio }?.job
    }
}
