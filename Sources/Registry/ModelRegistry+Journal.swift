import Foundation
import GRDB

/// The run journal: which runs started, how they ended, and where each job stands,
/// so that a restarted coordinator resumes instead of redoing finished jobs.
extension ModelRegistry {
    /// Records the start of a run with status `running`.
    ///
    /// Beginning a run that already exists with the same config and dataset hashes
    /// resumes it (status back to `running`, the original start time kept); with
    /// different hashes it is refused, since its journal describes other work.
    /// ``resumeRun(id:configSHA256:datasetSHA256:coordinatorHost:coordinatorPID:)`` is the
    /// stricter form a user's `--resume` goes through.
    public func beginRun(id: String, configSHA256: String, datasetSHA256: String, startedAt: Date,
                         coordinatorHost: String? = nil, coordinatorPID: Int? = nil) throws {
        try requireWritable()
        try Validation.nonEmpty(id, "run id")
        try pool.write { db in
            if let existing = try Row.fetchOne(db, sql: "SELECT config_sha256, dataset_sha256 FROM runs WHERE id = ?", arguments: [id]) {
                guard existing["config_sha256"] == configSHA256, existing["dataset_sha256"] == datasetSHA256 else {
                    throw RegistryError.invalid("run \(id) already exists with a different config or dataset; choose a new run id")
                }
                try db.execute(sql: """
                    UPDATE runs SET status = ?, finished_at = NULL,
                        coordinator_host = coalesce(?, coordinator_host), coordinator_pid = coalesce(?, coordinator_pid)
                    WHERE id = ?
                    """, arguments: [RunStatus.running.rawValue, coordinatorHost, coordinatorPID, id])
            } else {
                try db.execute(sql: """
                    INSERT INTO runs (id, config_sha256, dataset_sha256, started_at, finished_at, status, coordinator_host, coordinator_pid)
                    VALUES (?, ?, ?, ?, NULL, ?, ?, ?)
                    """, arguments: [id, configSHA256, datasetSHA256, StoredDate.encode(startedAt), RunStatus.running.rawValue,
                                     coordinatorHost, coordinatorPID])
            }
        }
    }

    /// Picks an unfinished run up again: checks, in one transaction, that the run exists, has
    /// not succeeded, and was started with the same config and dataset (else ``ResumeRefusal``),
    /// then sets it `running` under this coordinator and counts the resume.
    @discardableResult
    public func resumeRun(id: String, configSHA256: String, datasetSHA256: String,
                          coordinatorHost: String? = nil, coordinatorPID: Int? = nil) throws -> RunRecord {
        try requireWritable()
        return try pool.write { db in
            let existing = try Self.fetchRun(id, db)
            try ResumeRefusal.check(existing, id: id, configSHA256: configSHA256, datasetSHA256: datasetSHA256)
            try db.execute(sql: """
                UPDATE runs SET status = ?, finished_at = NULL, resumes = resumes + 1,
                    coordinator_host = ?, coordinator_pid = ?
                WHERE id = ?
                """, arguments: [RunStatus.running.rawValue, coordinatorHost, coordinatorPID, id])
            return try Self.fetchRun(id, db)!
        }
    }

    /// Records how a run ended: `succeeded` or `failed`.
    public func finishRun(id: String, status: RunStatus, finishedAt: Date) throws {
        try requireWritable()
        guard status.isOutcome else { throw RegistryError.invalid("run \(id): a run finishes succeeded or failed, not \(status.rawValue)") }
        try pool.write { db in
            try db.execute(sql: "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?",
                           arguments: [status.rawValue, StoredDate.encode(finishedAt), id])
            if db.changesCount == 0 { throw RegistryError.notFound("run \(id)") }
        }
    }

    /// All runs, oldest first.
    public func runs() throws -> [RunRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY started_at, id").map(Self.runRecord)
        }
    }

    /// One run, or nil when the registry holds no run of that id.
    public func run(id: String) throws -> RunRecord? {
        try pool.read { db in try Self.fetchRun(id, db) }
    }

    /// Inserts or replaces the state of one job of a run. `predictions`, when nil, keeps the
    /// shard the job's row already names (a later status change does not forget it).
    public func recordJob(runID: String, jobID: String, model: String, status: JobStatus, attempt: Int,
                          worker: String?, version: Int?, error: String?, predictions: String? = nil) throws {
        try requireWritable()
        try Validation.nonEmpty(jobID, "job id")
        guard attempt >= 0 else { throw RegistryError.invalid("job \(jobID): attempt must not be negative, not \(attempt)") }
        try pool.write { db in
            try Self.upsertJob(runID: runID, jobID: jobID, model: model, status: status, attempt: attempt, worker: worker,
                               version: version, error: error, predictions: predictions, db)
        }
    }

    /// Journals a job done with its predictions shard and, for a job whose version was
    /// registered earlier (a re-run after its predictions were lost), that version.
    public func completeJob(_ job: JobCompletion, version: Int?) throws {
        try requireWritable()
        try pool.write { db in try Self.complete(job, version: version, db) }
    }

    /// The jobs of a run, in the order they were first recorded.
    public func jobs(runID: String) throws -> [JobRecord] {
        try pool.read { db in
            try Self.requireRun(runID, db)
            return try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE run_id = ? ORDER BY rowid", arguments: [runID]).map { row in
                try Self.jobRecord(row)
            }
        }
    }

    /// The done jobs with measured seconds of the latest `runs` runs that have any, newest run first.
    public func timedJobs(runs: Int) throws -> [JobRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT jobs.* FROM jobs JOIN runs ON runs.id = jobs.run_id
                WHERE jobs.run_id IN (
                    SELECT DISTINCT r.id FROM runs r JOIN jobs j ON j.run_id = r.id
                    WHERE j.seconds IS NOT NULL AND j.units IS NOT NULL AND j.status = 'done'
                    ORDER BY r.started_at DESC, r.id DESC LIMIT ?)
                AND jobs.seconds IS NOT NULL AND jobs.units IS NOT NULL AND jobs.status = 'done'
                ORDER BY runs.started_at DESC, jobs.rowid
                """, arguments: [runs]).map(Self.jobRecord)
        }
    }

    private static func jobRecord(_ row: Row) throws -> JobRecord {
        JobRecord(runID: row["run_id"], jobID: row["job_id"], model: row["model"], status: try status(row),
                  attempt: row["attempt"], worker: row["worker"], version: row["version"], error: row["error"],
                  updatedAt: try date(row, "updated_at"), predictions: row["predictions"], seconds: row["seconds"], units: row["units"])
    }

    static func complete(_ job: JobCompletion, version: Int?, _ db: Database) throws {
        try Validation.nonEmpty(job.jobID, "job id")
        guard job.attempt >= 0 else { throw RegistryError.invalid("job \(job.jobID): attempt must not be negative, not \(job.attempt)") }
        try Validation.nonEmpty(job.predictions, "predictions shard of job \(job.jobID)")
        if let seconds = job.seconds, !(seconds.isFinite && seconds >= 0) {
            throw RegistryError.invalid("job \(job.jobID): seconds must be a finite, non-negative number, not \(seconds)")
        }
        if let units = job.units, !(units.isFinite && units >= 0) {
            throw RegistryError.invalid("job \(job.jobID): units must be a finite, non-negative number, not \(units)")
        }
        try upsertJob(runID: job.runID, jobID: job.jobID, model: job.model, status: .done, attempt: job.attempt,
                      worker: job.worker, version: version, error: nil, predictions: job.predictions, db)
        try db.execute(sql: "UPDATE jobs SET seconds = ?, units = ? WHERE run_id = ? AND job_id = ?",
                       arguments: [job.seconds, job.units, job.runID, job.jobID])
    }

    private static func upsertJob(runID: String, jobID: String, model: String, status: JobStatus, attempt: Int, worker: String?,
                                  version: Int?, error: String?, predictions: String?, _ db: Database) throws {
        try requireRun(runID, db)
        try db.execute(sql: """
            INSERT INTO jobs (run_id, job_id, model, status, attempt, worker, version, error, updated_at, predictions)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, job_id) DO UPDATE SET
                model = excluded.model, status = excluded.status, attempt = excluded.attempt,
                worker = excluded.worker, version = coalesce(excluded.version, jobs.version), error = excluded.error,
                updated_at = excluded.updated_at, predictions = coalesce(excluded.predictions, jobs.predictions)
            """, arguments: [runID, jobID, model, status.rawValue, attempt, worker, version, error, StoredDate.encode(Date()), predictions])
    }

    private static func fetchRun(_ id: String, _ db: Database) throws -> RunRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(runRecord)
    }

    private static func runRecord(_ row: Row) throws -> RunRecord {
        RunRecord(id: row["id"], configSHA256: row["config_sha256"], datasetSHA256: row["dataset_sha256"],
                  startedAt: try date(row, "started_at"), finishedAt: try optionalDate(row, "finished_at"),
                  status: try status(row), resumes: row["resumes"], coordinatorHost: row["coordinator_host"],
                  coordinatorPID: row["coordinator_pid"])
    }

    /// The `status` column of a `runs` or `jobs` row, as the status type it was written from.
    private static func status<Status: RawRepresentable<String>>(_ row: Row) throws -> Status {
        let stored: String = row["status"]
        guard let status = Status(rawValue: stored) else { throw RegistryError.invalid("unknown \(Status.self) '\(stored)' in the journal") }
        return status
    }

    static func requireRun(_ id: String, _ db: Database) throws {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?)", arguments: [id]) == true else {
            throw RegistryError.notFound("run \(id)")
        }
    }
}

/// A job finished with its predictions stored: what the journal records when it marks the job done.
public struct JobCompletion: Sendable, Equatable {
    public var runID: String
    public var jobID: String
    public var model: String
    public var attempt: Int
    public var worker: String
    /// The id of the content-addressed shard holding the job's predictions.
    public var predictions: String
    /// The seconds the worker reported and the work units the scheduler estimated (`JobCostModel`).
    public var seconds: Double?
    public var units: Double?

    public init(runID: String, jobID: String, model: String, attempt: Int, worker: String, predictions: String,
                seconds: Double? = nil, units: Double? = nil) {
        self.runID = runID
        self.jobID = jobID
        self.model = model
        self.attempt = attempt
        self.worker = worker
        self.predictions = predictions
        self.seconds = seconds
        self.units = units
    }
}
