import Foundation

/// One thing that happened in a run, as the live view, the plain log, `--events FILE` and the
/// metrics see it.
///
/// A flat record rather than an enum with payloads so that its JSON line is one plain object
/// (`{"time":…,"type":"job_done",…}`) that other tools read without knowing Swift's enum coding.
/// Every number is finite: the initialisers drop a NaN or infinite value instead of storing it.
public struct RunEvent: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case runStarted = "run_started"
        case workerJoined = "worker_joined"
        case workerLost = "worker_lost"
        case jobStarted = "job_started"
        case jobProgress = "job_progress"
        case jobDone = "job_done"
        case jobRetried = "job_retried"
        case jobFailed = "job_failed"
        case runFinished = "run_finished"
    }

    public var time: Date
    public var type: Kind
    public var run: String?
    public var worker: String?
    public var host: String?
    public var threads: Int?
    public var job: String?
    public var model: String?
    public var attempt: Int?
    /// Trees (GBDT) or epochs (NeuMF, autoencoder) done out of the total, 0…1.
    public var fraction: Double?
    public var etaSeconds: Double?
    /// A finished job's training seconds, or a finished run's wall seconds.
    public var seconds: Double?
    /// The registered version (`churn@3`) or what a fold job produced.
    public var result: String?
    /// Why a job was retried or failed, a worker lost, or a run failed.
    public var reason: String?
    /// For `run_started`: the run's jobs, and those already done (a resumed run).
    public var jobs: Int?
    public var done: Int?

    public init(type: Kind, time: Date = Date(), run: String? = nil, worker: String? = nil, host: String? = nil, threads: Int? = nil,
                job: String? = nil, model: String? = nil, attempt: Int? = nil, fraction: Double? = nil, seconds: Double? = nil,
                result: String? = nil, reason: String? = nil, jobs: Int? = nil, done: Int? = nil) {
        self.type = type
        self.time = time
        self.run = run
        self.worker = worker
        self.host = host
        self.threads = threads
        self.job = job
        self.model = model
        self.attempt = attempt
        self.fraction = Self.finite(fraction).map { min(1, max(0, $0)) }
        self.seconds = Self.finite(seconds)
        self.result = result
        self.reason = reason
        self.jobs = jobs
        self.done = done
    }

    public static func runStarted(_ run: String, jobs: Int, alreadyDone: Int) -> RunEvent {
        RunEvent(type: .runStarted, run: run, jobs: jobs, done: alreadyDone)
    }

    public static func workerJoined(_ worker: String, host: String, threads: Int) -> RunEvent {
        RunEvent(type: .workerJoined, worker: worker, host: host, threads: threads)
    }

    public static func workerLost(_ worker: String, reason: String) -> RunEvent {
        RunEvent(type: .workerLost, worker: worker, reason: reason)
    }

    public static func job(_ type: Kind, _ job: String, model: String, attempt: Int, worker: String?) -> RunEvent {
        RunEvent(type: type, worker: worker, job: job, model: model, attempt: attempt)
    }

    public static func jobProgress(_ job: String, model: String, attempt: Int, worker: String, fraction: Double) -> RunEvent {
        RunEvent(type: .jobProgress, worker: worker, job: job, model: model, attempt: attempt, fraction: fraction)
    }

    public static func jobDone(_ job: String, model: String, attempt: Int, worker: String, seconds: Double, result: String) -> RunEvent {
        RunEvent(type: .jobDone, worker: worker, job: job, model: model, attempt: attempt, seconds: seconds, result: result)
    }

    public static func jobEnded(_ type: Kind, _ job: String, model: String, attempt: Int, worker: String?, reason: String) -> RunEvent {
        RunEvent(type: type, worker: worker, job: job, model: model, attempt: attempt, reason: reason)
    }

    public static func runFinished(_ run: String, seconds: Double, failure: String?) -> RunEvent {
        RunEvent(type: .runFinished, run: run, seconds: seconds, reason: failure)
    }

    static func finite(_ value: Double?) -> Double? {
        guard let value, value.isFinite else { return nil }
        return value
    }
}
