import Foundation
import Registry
import Training

/// A ``ResultSink`` that passes everything on to `inner` and turns each job state change into a
/// ``RunEvent`` (started, done with its seconds and version, retried, failed).
///
/// The server already reports every job change to its result sink; wrapping that sink keeps the
/// job events out of the server's loop.
public final class EventingResultSink: ResultSink {
    private let inner: ResultSink
    private let events: RunEventHub
    private var accepted: [String: (seconds: Double, label: String)] = [:]

    public init(_ inner: ResultSink, events: RunEventHub) {
        self.inner = inner
        self.events = events
    }

    public func accept(job: PlannedJob, attempt: Int, worker: String, report: JobReport, result: ResultPayload) throws -> String {
        let label = try inner.accept(job: job, attempt: attempt, worker: worker, report: report, result: result)
        accepted[job.id] = (report.trainSeconds, label)
        return label
    }

    public func jobChanged(job: PlannedJob, status: JobStatus, attempt: Int, worker: String?, error: String?) {
        inner.jobChanged(job: job, status: status, attempt: attempt, worker: worker, error: error)
        let model = job.spec.model
        switch status {
        case .running:
            events.emit(.job(.jobStarted, job.id, model: model, attempt: attempt, worker: worker))
        case .done:
            let done = accepted.removeValue(forKey: job.id)
            events.emit(.jobDone(job.id, model: model, attempt: attempt, worker: worker ?? "?", seconds: done?.seconds ?? 0, result: done?.label ?? ""))
        case .retrying:
            events.emit(.jobEnded(.jobRetried, job.id, model: model, attempt: attempt, worker: worker, reason: error ?? ""))
        case .failed:
            events.emit(.jobEnded(.jobFailed, job.id, model: model, attempt: attempt, worker: worker, reason: error ?? ""))
        case .pending:
            break
        }
    }

    public func materialize(_ job: PlannedJob) throws -> PlannedJob {
        try inner.materialize(job)
    }
}
