import Foundation

/// What a run looks like now, rebuilt from its events alone: the workers and what each trains,
/// every running job's fraction done and ETA, and how many jobs are done, waiting or failed.
///
/// Built only from ``RunEvent``s so that anything holding the event stream (the coordinator,
/// `engage watch` reading `--events FILE`) draws the same view.
public struct RunState: Sendable, Equatable {
    public struct Worker: Sendable, Equatable {
        public var name: String
        public var host: String
        public var threads: Int
        public var job: String?
    }

    public struct RunningJob: Sendable, Equatable {
        public var id: String
        public var model: String
        public var worker: String?
        public var attempt: Int
        public var startedAt: Date
        public var fraction: Double = 0
        /// Seconds left at the rate so far; nil until the job has reported some progress.
        public var etaSeconds: Double?
    }

    public var run: String?
    public var startedAt: Date?
    public var totalJobs = 0
    public var done = 0
    public var failed = 0
    public var retries = 0
    public var workers: [String: Worker] = [:]
    public var running: [String: RunningJob] = [:]
    public var finished = false
    public var failure: String?

    public init() {}

    public var waiting: Int { max(0, totalJobs - done - failed - running.count) }

    /// Workers by name, each with its running job if it has one.
    public var sortedWorkers: [Worker] { workers.values.sorted { $0.name < $1.name } }

    /// Applies `event` and returns it completed with what the state knows (a progress event's ETA).
    @discardableResult
    public mutating func apply(_ event: RunEvent) -> RunEvent {
        var event = event
        switch event.type {
        case .runStarted:
            run = event.run
            startedAt = event.time
            totalJobs = event.jobs ?? 0
            done = event.done ?? 0
        case .workerJoined:
            guard let name = event.worker else { break }
            workers[name] = Worker(name: name, host: event.host ?? "", threads: event.threads ?? 0, job: workers[name]?.job)
        case .workerLost:
            if let name = event.worker { workers[name] = nil }
        case .jobStarted:
            guard let id = event.job else { break }
            running[id] = RunningJob(id: id, model: event.model ?? "", worker: event.worker, attempt: event.attempt ?? 1, startedAt: event.time)
            if let worker = event.worker { workers[worker]?.job = id }
        case .jobProgress:
            // A report that arrives after its job's outcome (or for an attempt given up) is stale.
            guard let id = event.job, let fraction = event.fraction, var job = running[id], job.attempt == event.attempt ?? job.attempt else { break }
            job.fraction = max(job.fraction, fraction)
            job.etaSeconds = Self.eta(fraction: job.fraction, elapsed: event.time.timeIntervalSince(job.startedAt))
            running[id] = job
            event.etaSeconds = job.etaSeconds
        case .jobDone, .jobRetried, .jobFailed:
            guard let id = event.job else { break }
            if let worker = running.removeValue(forKey: id)?.worker ?? event.worker, workers[worker]?.job == id { workers[worker]?.job = nil }
            switch event.type {
            case .jobDone: done += 1
            case .jobFailed: failed += 1
            default: retries += 1
            }
        case .runFinished:
            finished = true
            failure = event.reason
        }
        return event
    }

    /// Seconds left if the job keeps the rate it had so far; nil before any measurable progress.
    static func eta(fraction: Double, elapsed: Double) -> Double? {
        guard fraction > 0.001, elapsed > 0 else { return nil }
        return RunEvent.finite(elapsed / fraction * (1 - fraction)).map { max(0, $0) }
    }
}
