import Foundation
import ModelZoo
import GRDB

extension ModelRegistry {
    /// All versions, or those of one model, ordered by model then version.
    public func versions(model: String? = nil) throws -> [ModelVersion] {
        try versions(model: model, matching: nil)
    }

    /// The versions an expression such as `auc > 0.85 and created > 2026-11-01` selects
    /// (see ``WhereExpression``), optionally of one model, ordered by model then version.
    ///
    /// The expression becomes one parameterized SQL query: values are bound, never spliced in.
    public func versions(model: String? = nil, where expression: String) throws -> [ModelVersion] {
        try versions(model: model, matching: try WhereExpression.parse(expression))
    }

    /// The versions a parsed expression selects; nil selects all.
    public func versions(model: String? = nil, matching expression: WhereExpression?) throws -> [ModelVersion] {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let model {
            conditions.append("v.model = ?")
            arguments.append(model)
        }
        if let expression {
            let compiled = WhereCompiler.compile(expression)
            conditions.append(compiled.sql)
            arguments += compiled.arguments
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try pool.read { db in
            try VersionReader.fetch(db, filter + " ORDER BY v.model, v.version", arguments: StatementArguments(arguments))
        }
    }

    /// One version, or the latest of the model when `version` is nil.
    public func version(model: String, version: Int? = nil) throws -> ModelVersion {
        try pool.read { db in try Self.fetchVersion(model: model, version: version, db) }
    }

    /// The version a reference names: `churn` (latest), `churn@3`, `churn@production`,
    /// `churn@staging`, `churn@latest` or `churn@champion` (any alias).
    public func version(_ reference: VersionReference) throws -> ModelVersion {
        try pool.read { db in try Self.resolve(reference, db) }
    }

    /// Parses and resolves a reference such as `churn@champion`.
    public func version(reference text: String) throws -> ModelVersion {
        try version(try VersionReference(parsing: text))
    }

    static func resolve(_ reference: VersionReference, _ db: Database) throws -> ModelVersion {
        switch reference.selector {
        case .latest:
            return try fetchVersion(model: reference.model, version: nil, db)
        case .number(let number):
            return try fetchVersion(model: reference.model, version: number, db)
        case .stage(let stage):
            guard let found = try holder(of: stage, model: reference.model, db) else {
                try requireModel(reference.model, db)
                throw RegistryError.notFound("\(reference) (\(reference.model) has no \(stage.rawValue) version)")
            }
            return found
        case .alias(let alias):
            guard let found = try VersionReader.fetch(db, """
                JOIN aliases a ON a.model = v.model AND a.version = v.version WHERE a.model = ? AND a.alias = ?
                """, arguments: [reference.model, alias]).first else {
                try requireModel(reference.model, db)
                throw RegistryError.notFound("\(reference) (no alias '\(alias)' on \(reference.model))")
            }
            return found
        }
    }

    static func fetchVersion(model: String, version: Int?, _ db: Database) throws -> ModelVersion {
        let found = try version.map {
            try VersionReader.fetch(db, "WHERE v.model = ? AND v.version = ?", arguments: [model, $0])
        } ?? VersionReader.fetch(db, "WHERE v.model = ? ORDER BY v.version DESC LIMIT 1", arguments: [model])
        guard let first = found.first else { throw RegistryError.notFound(version.map { "\(model)@\($0)" } ?? model) }
        return first
    }

    static func requireModel(_ model: String, _ db: Database) throws {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM models WHERE name = ?)", arguments: [model]) == true else {
            throw RegistryError.notFound(model)
        }
    }

    /// The fairness report of a version, nil when it was registered without one.
    public func fairness(model: String, version: Int) throws -> FairnessRecord? {
        try pool.read { db in
            let id = try Self.versionID(model: model, version: version, db)
            return try Self.fairness(versionID: id, db)
        }
    }

    static func fairness(versionID: Int64, _ db: Database) throws -> FairnessRecord? {
        guard let summary = try Row.fetchOne(db, sql: "SELECT verdict, body FROM fairness_summaries WHERE version_id = ?",
                                             arguments: [versionID]) else { return nil }
        let verdictText: String = summary["verdict"]
        guard let verdict = FairnessVerdict(rawValue: verdictText) else {
            throw RegistryError.invalid("malformed fairness verdict '\(verdictText)' in fairness_summaries.verdict")
        }
        let measures = try Row.fetchAll(db, sql: """
            SELECT attribute, group_name, metric, value FROM fairness WHERE version_id = ? ORDER BY rowid
            """, arguments: [versionID]).map { row in
            let group: String = row["group_name"]
            return FairnessMeasure(attribute: row["attribute"], group: group.isEmpty ? nil : group,
                                   metric: row["metric"], value: measure(row["value"]))
        }
        return FairnessRecord(measures: measures, verdict: verdict, body: summary["body"])
    }

    /// Feature importance of a version, in the order the trainer reported it.
    public func importance(model: String, version: Int) throws -> [ImportanceRecord] {
        try pool.read { db in
            try Self.importance(versionID: try Self.versionID(model: model, version: version, db), db)
        }
    }

    static func importance(versionID: Int64, _ db: Database) throws -> [ImportanceRecord] {
        try Row.fetchAll(db, sql: """
            SELECT feature, gain, splits, permutation, mean_abs_shap FROM feature_importance
            WHERE version_id = ? ORDER BY rank
            """, arguments: [versionID]).map { row in
            ImportanceRecord(feature: row["feature"], gain: measure(row["gain"]), splits: row["splits"],
                             permutation: measure(row["permutation"]), meanAbsSHAP: measure(row["mean_abs_shap"]))
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
                              actor: row["actor"], at: try Self.date(row, "at"), from: row["from_value"], to: row["to_value"],
                              reason: row["reason"], detail: row["detail"])
            }
        }
    }

    /// The audit log of one model, oldest first; `notFound` for a model the registry never saw.
    public func history(model: String) throws -> [RegistryEvent] {
        try pool.read { db in try Self.requireModel(model, db) }
        return try events(model: model)
    }

    static func versionID(model: String, version: Int, _ db: Database) throws -> Int64 {
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM versions WHERE model = ? AND version = ?",
                                          arguments: [model, version])
        else { throw RegistryError.notFound("\(model)@\(version)") }
        return id
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
