import Foundation

/// The state of every job of a run: which are waiting, running where, done or failed, and
/// how many attempts each has used. The scheduler's only source of truth.
public struct JobBook: Sendable {
    public enum State: Sendable, Equatable {
        case pending
        case running(worker: String, attempt: Int)
        case done(worker: String, attempt: Int)
        case failed(String)
    }

    /// What happened to a job that failed or lost its worker.
    public enum Requeue: Sendable, Equatable {
        case retried(attempt: Int)
        case gaveUp(String)
        /// The primary attempt is gone but the job's backup copy still runs: it becomes the primary.
        case continuesOnBackup(worker: String, attempt: Int)
        /// A backup copy failed or lost its worker; the primary attempt still runs.
        case backupDropped
    }

    /// Where a second copy of a running job runs (see ``startBackup(_:worker:)``).
    public struct Placement: Sendable, Equatable {
        public var worker: String
        public var attempt: Int
    }

    public private(set) var jobs: [PlannedJob]
    public private(set) var states: [String: State]
    public private(set) var attempts: [String: Int]
    public let maxAttempts: Int
    /// Attempts a resumed run's journal records per job: numbering continues after them, and
    /// only attempts made by this coordinator count against `maxAttempts`.
    public let priorAttempts: [String: Int]
    /// Running jobs that also run as a backup copy elsewhere; at most one per job.
    public private(set) var backups: [String: Placement] = [:]
    /// Backup copies started, whatever became of them: the run's extra work.
    public private(set) var backupsStarted = 0

    public init(jobs: [PlannedJob], maxAttempts: Int, alreadyDone: Set<String> = [], priorAttempts: [String: Int] = [:]) {
        self.jobs = jobs
        self.maxAttempts = maxAttempts
        self.priorAttempts = priorAttempts
        self.states = Dictionary(uniqueKeysWithValues: jobs.map { job in
            (job.id, alreadyDone.contains(job.id) ? State.done(worker: "journal", attempt: priorAttempts[job.id] ?? 0) : .pending)
        })
        self.attempts = Dictionary(uniqueKeysWithValues: jobs.map { ($0.id, max(0, priorAttempts[$0.id] ?? 0)) })
    }

    public func job(_ id: String) -> PlannedJob? { jobs.first { $0.id == id } }

    public var isFinished: Bool {
        states.values.allSatisfy { if case .done = $0 { return true } else { return false } } || firstFailure != nil
    }

    public var firstFailure: (job: String, error: String)? {
        for job in jobs { if case .failed(let error) = states[job.id] { return (job.id, error) } }
        return nil
    }

    /// Jobs not started yet, ready or waiting on others.
    public var pendingCount: Int { states.values.filter { $0 == .pending }.count }

    public var doneCount: Int { states.values.filter { if case .done = $0 { return true } else { return false } }.count }

    /// How far below the longest ready critical path a job whose shards the worker holds may be
    /// and still go first: saving a transfer is worth a little of the packing, not more.
    public static let cacheSlack = 0.1

    /// The ready job this worker should run next: longest critical path first (longest processing
    /// time first, with dependencies), so that the workers finish together; among the jobs within
    /// ``cacheSlack`` of that, one whose shards the worker already holds.
    public func next(cachedShards: Set<String>) -> PlannedJob? {
        let ready = jobs.filter { job in
            states[job.id] == .pending && job.dependsOn.allSatisfy { if case .done = states[$0] { return true } else { return false } }
        }.sorted { $0.criticalPath != $1.criticalPath ? $0.criticalPath > $1.criticalPath : $0.id < $1.id }
        guard let top = ready.first else { return nil }
        let near = ready.prefix { $0.criticalPath >= top.criticalPath * (1 - Self.cacheSlack) }
        return near.first { Set($0.shardIDs).isSubset(of: cachedShards) } ?? top
    }

    /// Replaces a job's plan (same id) with a completed one, e.g. with inputs built from earlier results.
    public mutating func replace(_ job: PlannedJob) {
        guard let index = jobs.firstIndex(where: { $0.id == job.id }) else { return }
        jobs[index] = job
    }

    /// Marks a job as handed to a worker; returns the attempt number (1-based).
    public mutating func start(_ id: String, worker: String) -> Int {
        let attempt = (attempts[id] ?? 0) + 1
        attempts[id] = attempt
        states[id] = .running(worker: worker, attempt: attempt)
        return attempt
    }

    /// Starts a second copy of a running job on another worker, unless it has one already, the
    /// worker runs it already, or another attempt would exceed `maxAttempts`. Returns the
    /// backup's attempt number; whichever copy reports first completes the job.
    public mutating func startBackup(_ id: String, worker: String) -> Int? {
        guard case .running(let primary, _) = states[id], primary != worker, backups[id] == nil else { return nil }
        let attempt = (attempts[id] ?? 0) + 1
        guard attempt - (priorAttempts[id] ?? 0) <= maxAttempts else { return nil }
        attempts[id] = attempt
        backups[id] = Placement(worker: worker, attempt: attempt)
        backupsStarted += 1
        return attempt
    }

    /// True when `worker` runs the job, as its primary attempt or as its backup.
    public func isRunning(_ id: String, on worker: String) -> Bool {
        if case .running(let holder, _) = states[id], holder == worker { return true }
        return backups[id]?.worker == worker
    }

    /// Records a result. Returns false for a duplicate or a job that is not running anywhere
    /// (a late result of an attempt that was given up on is still accepted if the job is not done).
    /// The first result of a backed-up job wins; the other copy's result is a duplicate.
    public mutating func complete(_ id: String, attempt: Int, worker: String) -> Bool {
        guard let state = states[id] else { return false }
        switch state {
        case .done, .failed: return false
        case .pending, .running:
            states[id] = .done(worker: worker, attempt: attempt)
            backups[id] = nil
            return true
        }
    }

    /// A job's attempt failed (its own error) or its worker died: retry, or give up after `maxAttempts`.
    /// With a backup copy, losing either copy leaves the job running on the other.
    public mutating func requeue(_ id: String, attempt: Int, error: String) -> Requeue? {
        if let backup = backups[id], backup.attempt == attempt {
            backups[id] = nil
            return .backupDropped
        }
        guard case .running(_, let current) = states[id], current == attempt else { return nil }
        if let backup = backups.removeValue(forKey: id) {
            states[id] = .running(worker: backup.worker, attempt: backup.attempt)
            return .continuesOnBackup(worker: backup.worker, attempt: backup.attempt)
        }
        let tries = attempt - (priorAttempts[id] ?? 0)
        if tries >= maxAttempts {
            let message = "job \(id) failed \(tries) time\(tries == 1 ? "" : "s"); last error: \(error)"
            states[id] = .failed(message)
            return .gaveUp(message)
        }
        states[id] = .pending
        return .retried(attempt: attempt + 1)
    }

    /// Jobs running on a worker (primary attempts and backup copies), with their attempt numbers.
    public func running(on worker: String) -> [(id: String, attempt: Int)] {
        jobs.compactMap { job in
            if case .running(let w, let attempt) = states[job.id], w == worker { return (job.id, attempt) }
            if let backup = backups[job.id], backup.worker == worker { return (job.id, backup.attempt) }
            return nil
        }
    }
}
