import Foundation
import GRDB

/// Per-run documents: the data-quality report and the per-feature reference
/// profiles that drift detection compares new data against.
extension ModelRegistry {
    /// Stores (or replaces) the data-quality report of a run.
    public func recordQuality(runID: String, errors: Int, warnings: Int, body: String) throws {
        try requireWritable()
        guard errors >= 0, warnings >= 0 else {
            throw RegistryError.invalid("run \(runID): quality counts must not be negative (errors \(errors), warnings \(warnings))")
        }
        guard JSON.isValid(body) else { throw RegistryError.invalid("run \(runID): the quality report is not valid JSON") }
        try pool.write { db in
            try Self.requireRun(runID, db)
            try db.execute(sql: """
                INSERT INTO quality_reports (run_id, errors, warnings, body, recorded_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (run_id) DO UPDATE SET errors = excluded.errors, warnings = excluded.warnings,
                    body = excluded.body, recorded_at = excluded.recorded_at
                """, arguments: [runID, errors, warnings, body, StoredDate.encode(Date())])
        }
    }

    /// The data-quality report of a run, nil when none was recorded.
    public func quality(runID: String) throws -> RunQuality? {
        try pool.read { db in
            try Self.requireRun(runID, db)
            return try Row.fetchOne(db, sql: "SELECT * FROM quality_reports WHERE run_id = ?", arguments: [runID]).map { row in
                RunQuality(runID: row["run_id"], errors: row["errors"], warnings: row["warnings"], body: row["body"],
                           recordedAt: try Self.date(row, "recorded_at"))
            }
        }
    }

    /// Stores the reference distribution of each feature (JSON per feature) for a run,
    /// replacing the run's earlier profiles in one transaction.
    public func recordProfiles(runID: String, _ profiles: [String: String]) throws {
        try requireWritable()
        for (feature, body) in profiles {
            try Validation.nonEmpty(feature, "profile feature")
            guard JSON.isValid(body) else { throw RegistryError.invalid("run \(runID): the profile of '\(feature)' is not valid JSON") }
        }
        try pool.write { db in
            try Self.requireRun(runID, db)
            try db.execute(sql: "DELETE FROM profiles WHERE run_id = ?", arguments: [runID])
            for feature in profiles.keys.sorted() {
                try db.execute(sql: "INSERT INTO profiles (run_id, feature, body) VALUES (?, ?, ?)",
                               arguments: [runID, feature, profiles[feature]])
            }
        }
    }

    /// The feature profiles of a run, by feature name (empty when none were recorded).
    public func profiles(runID: String) throws -> [String: String] {
        try pool.read { db in
            try Self.requireRun(runID, db)
            var result: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT feature, body FROM profiles WHERE run_id = ?", arguments: [runID]) {
                result[row["feature"]] = row["body"] as String
            }
            return result
        }
    }
}
