import Foundation
import GRDB

extension ModelRegistry {
    /// All versions, or those of one model, ordered by model then version.
    public func versions(model: String? = nil) throws -> [ModelVersion] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM versions WHERE (?1 IS NULL OR model = ?1) ORDER BY model, version
                """, arguments: [model])
            return try Self.assemble(rows, db)
        }
    }

    /// One version, or the latest of the model when `version` is nil.
    public func version(model: String, version: Int? = nil) throws -> ModelVersion {
        try pool.read { db in
            let row: Row?
            if let version {
                row = try Row.fetchOne(db, sql: "SELECT * FROM versions WHERE model = ? AND version = ?", arguments: [model, version])
            } else {
                row = try Row.fetchOne(db, sql: "SELECT * FROM versions WHERE model = ? ORDER BY version DESC LIMIT 1", arguments: [model])
            }
            guard let row else { throw RegistryError.notFound(version.map { "\(model)@\($0)" } ?? model) }
            return try Self.assemble([row], db)[0]
        }
    }

    /// Feature importance of a version, in the order the trainer reported it.
    public func importance(model: String, version: Int) throws -> [ImportanceRecord] {
        try pool.read { db in
            let id = try Self.versionID(model: model, version: version, db)
            return try Row.fetchAll(db, sql: """
                SELECT feature, gain, splits, permutation, mean_abs_shap FROM feature_importance
                WHERE version_id = ? ORDER BY rank
                """, arguments: [id]).map { row in
                ImportanceRecord(feature: row["feature"], gain: Self.measure(row["gain"]), splits: row["splits"],
                                 permutation: Self.measure(row["permutation"]), meanAbsSHAP: Self.measure(row["mean_abs_shap"]))
            }
        }
    }

    /// The named JSON reports of a version.
    public func reports(model: String, version: Int) throws -> [String: String] {
        try pool.read { db in
            let id = try Self.versionID(model: model, version: version, db)
            var reports: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, body FROM reports WHERE version_id = ?", arguments: [id]) {
                reports[row["name"]] = row["body"] as String
            }
            return reports
        }
    }

    /// The artifact bytes of a version, verified against the SHA-256 they were registered under.
    public func artifact(model: String, version: Int) throws -> Data {
        let entry = try self.version(model: model, version: version)
        return try store.load(entry.artifactPath, sha256: entry.artifactSHA256)
    }

    /// The absolute path of a version's artifact file (for tools that stream it).
    public func artifactURL(of version: ModelVersion) -> URL {
        URL(fileURLWithPath: store.absolutePath(version.artifactPath))
    }

    /// The names of all models that have at least one version, sorted.
    public func models() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM models ORDER BY name") }
    }

    /// The audit log, oldest first, optionally for one model only.
    public func events(model: String? = nil) throws -> [RegistryEvent] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM events WHERE (?1 IS NULL OR model = ?1) ORDER BY id",
                             arguments: [model]).map { row in
                RegistryEvent(id: row["id"], model: row["model"], version: row["version"], action: row["action"],
                              actor: row["actor"], at: try Self.date(row, "at"), detail: row["detail"])
            }
        }
    }

    static func versionID(model: String, version: Int, _ db: Database) throws -> Int64 {
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM versions WHERE model = ? AND version = ?",
                                          arguments: [model, version])
        else { throw RegistryError.notFound("\(model)@\(version)") }
        return id
    }

    /// Builds ``ModelVersion`` values from `versions` rows, fetching their metrics
    /// and aliases with one query each.
    private static func assemble(_ rows: [Row], _ db: Database) throws -> [ModelVersion] {
        guard !rows.isEmpty else { return [] }
        let ids: [Int64] = rows.map { $0["id"] }
        let idList = ids.map(String.init).joined(separator: ",")

        var metrics: [Int64: [MetricRecord]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT version_id, split, name, value FROM metrics WHERE version_id IN (\(idList)) ORDER BY rowid") {
            metrics[row["version_id"], default: []].append(
                MetricRecord(split: row["split"], name: row["name"], value: measure(row["value"])))
        }

        var aliases: [Int64: [String]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT versions.id, aliases.alias FROM aliases
            JOIN versions ON versions.model = aliases.model AND versions.version = aliases.version
            WHERE versions.id IN (\(idList)) ORDER BY aliases.alias
            """) {
            aliases[row["id"], default: []].append(row["alias"])
        }

        return try rows.map { row in
            let id: Int64 = row["id"]
            return ModelVersion(
                model: row["model"], version: row["version"], runID: row["run_id"], kind: row["kind"],
                createdAt: try date(row, "created_at"),
                artifactSHA256: row["artifact_sha256"], artifactPath: row["artifact_path"], artifactBytes: row["artifact_bytes"],
                datasetSHA256: row["dataset_sha256"], configSHA256: row["config_sha256"],
                shardIDs: try JSON.decode([String].self, row["shard_ids"], column: "versions.shard_ids"),
                parameters: row["parameters"], codeVersion: row["code_version"], worker: row["worker"],
                trainSeconds: row["train_seconds"], status: row["status"],
                metrics: metrics[id] ?? [], aliases: aliases[id] ?? [])
        }
    }

    static func measure(_ stored: Double?) -> Double { stored ?? .nan }

    static func date(_ row: Row, _ column: String) throws -> Date {
        let text: String = row[column]
        guard let date = StoredDate.decode(text) else {
            throw RegistryError.invalid("malformed timestamp '\(text)' in column \(column)")
        }
        return date
    }

    static func optionalDate(_ row: Row, _ column: String) throws -> Date? {
        let text: String? = row[column]
        return try text.map { _ in try date(row, column) }
    }
}
