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
    public func beginRun(id: String, configSHA256: String, datasetSHA256: String, startedAt: Date) throws {
        try requireWritable()
        try Validation.nonEmpty(id, "run id")
        try pool.write { db in
            if let existing = try Row.fetchOne(db, sql: "SELECT config_sha256, dataset_sha256 FROM runs WHERE id = ?", arguments: [id]) {
                guard existing["config_sha256"] == configSHA256, existing["dataset_sha256"] == datasetSHA256 else {
                    throw RegistryError.invalid("run \(id) already exists with a different config or dataset; choose a new run id")
                }
                try db.execute(sql: "UPDATE runs SET status = 'running', finished_at = NULL WHERE id = ?", arguments: [id])
            } else {
                try db.execute(sql: """
                    INSERT INTO runs (id, config_sha256, dataset_sha256, started_at, finished_at, status)
                    VALUES (?, ?, ?, ?, NULL, 'running')
                    """, arguments: [id, configSHA256, datasetSHA256, StoredDate.encode(startedAt)])
            }
        }
    }

    /// Records how a run ended (`succeeded`, `failed`, `cancelled`, …).
    public func finishRun(id: String, status: String, finishedAt: Date) throws {
        try requireWritable()
        try Validation.nonEmpty(status, "run status")
        try pool.write { db in
            try db.execute(sql: "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?",
                           arguments: [status, StoredDate.encode(finishedAt), id])
            if db.changesCount == 0 { throw RegistryError.notFound("run \(id)") }
        }
    }

    /// All runs, oldest first.
    public func runs() throws -> [RunRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY started_at, id").map { row in
                RunRecord(id: row["id"], configSHA256: row["config_sha256"], datasetSHA256: row["dataset_sha256"],
                          startedAt: try Self.date(row, "started_at"), finishedAt: try Self.optionalDate(row, "finished_at"),
                          status: row["status"])
            }
        }
    }

    /// Inserts or replaces the state of one job of a run.
    public func recordJob(runID: String, jobID: String, model: String, status: String, attempt: Int,
                          worker: String?, version: Int?, error: String?) throws {
        try requireWritable()
        try Validation.nonEmpty(jobID, "job id")
        try Validation.nonEmpty(status, "job status")
        guard attempt >= 0 else { throw RegistryError.invalid("job \(jobID): attempt must not be negative, not \(attempt)") }
        let now = StoredDate.encode(Date())
        try pool.write { db in
            try Self.requireRun(runID, db)
            try db.execute(sql: """
                INSERT INTO jobs (run_id, job_id, model, status, attempt, worker, version, error, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id, job_id) DO UPDATE SET
                    model = excluded.model, status = excluded.status, attempt = excluded.attempt,
                    worker = excluded.worker, version = excluded.version, error = excluded.error,
                    updated_at = excluded.updated_at
                """, arguments: [runID, jobID, model, status, attempt, worker, version, error, now])
        }
    }

    /// The jobs of a run, in the order they were first recorded.
    public func jobs(runID: String) throws -> [JobRecord] {
        try pool.read { db in
            try Self.requireRun(runID, db)
            return try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE run_id = ? ORDER BY rowid", arguments: [runID]).map { row in
                JobRecord(runID: row["run_id"], jobID: row["job_id"], model: row["model"], status: row["status"],
                          attempt: row["attempt"], worker: row["worker"], version: row["version"], error: row["error"],
                          updatedAt: try Self.date(row, "updated_at"))
            }
        }
    }

    static func requireRun(_ id: String, _ db: Database) throws {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?)", arguments: [id]) == true else {
            throw RegistryError.notFound("run \(id)")
        }
    }
}
