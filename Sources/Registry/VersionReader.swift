import Foundation
import ModelZoo
import GRDB

/// Reads ``ModelVersion`` values: one query for the version rows (with their fairness
/// summary), one for their metrics and one for their aliases.
///
/// Columns are read by position from cursors, not by name from copied rows: listing
/// thousands of versions (`list --where` over a large registry) is dominated by this
/// decoding, and by-name lookups made it several times slower.
enum VersionReader {
    /// Positions in ``columns``.
    private enum C {
        static let id = 0, model = 1, version = 2, run = 3, kind = 4, created = 5, sha = 6, path = 7, bytes = 8
        static let dataset = 9, config = 10, shards = 11, parameters = 12, code = 13, worker = 14, seconds = 15
        static let status = 16, stage = 17, objective = 18, host = 19, started = 20, finished = 21, prohibited = 22
        static let verdict = 23, minImpact = 24
    }

    private static let columns = """
        SELECT v.id, v.model, v.version, v.run_id, v.kind, v.created_at, v.artifact_sha256, v.artifact_path, v.artifact_bytes,
            v.dataset_sha256, v.config_sha256, v.shard_ids, v.parameters, v.code_version, v.worker, v.train_seconds,
            v.status, v.stage, v.objective, v.host, v.started_at, v.finished_at, v.prohibited_features,
            f.verdict, f.min_disparate_impact
        FROM versions v LEFT JOIN fairness_summaries f ON f.version_id = v.id
        """

    /// The versions `clause` selects; it follows `FROM versions v LEFT JOIN fairness_summaries f …`
    /// and may add joins, a `WHERE`, an `ORDER BY` and a `LIMIT`.
    static func fetch(_ db: Database, _ clause: String, arguments: StatementArguments = StatementArguments()) throws -> [ModelVersion] {
        var versions: [ModelVersion] = []
        var positions: [Int64: Int] = [:]
        let cursor = try Row.fetchCursor(db, sql: columns + " " + clause, arguments: arguments)
        while let row = try cursor.next() {
            positions[row[C.id]] = versions.count
            versions.append(try version(row))
        }
        guard !versions.isEmpty else { return [] }
        let idList = positions.keys.map(String.init).joined(separator: ",")

        let metrics = try Row.fetchCursor(db, sql: "SELECT version_id, split, name, value FROM metrics WHERE version_id IN (\(idList)) ORDER BY rowid")
        while let row = try metrics.next() {
            let value: Double? = row[3]
            versions[positions[row[0]]!].metrics.append(MetricValue(split: row[1], name: row[2], value: value ?? .nan))
        }
        let aliases = try Row.fetchCursor(db, sql: """
            SELECT v.id, a.alias FROM aliases a JOIN versions v ON v.model = a.model AND v.version = a.version
            WHERE v.id IN (\(idList)) ORDER BY a.alias
            """)
        while let row = try aliases.next() {
            versions[positions[row[0]]!].aliases.append(row[1])
        }
        return versions
    }

    private static func version(_ row: Row) throws -> ModelVersion {
        let stageText: String = row[C.stage]
        guard let stage = Stage(rawValue: stageText) else {
            throw RegistryError.invalid("malformed stage '\(stageText)' in versions.stage")
        }
        let verdict: String? = row[C.verdict]
        return ModelVersion(
            model: row[C.model], version: row[C.version], runID: row[C.run], kind: try stored(ModelKind.self, row[C.kind], "versions.kind"),
            createdAt: try date(row[C.created], "versions.created_at"),
            artifactSHA256: row[C.sha], artifactPath: row[C.path], artifactBytes: row[C.bytes],
            datasetSHA256: row[C.dataset], configSHA256: row[C.config],
            shardIDs: try StringList.decode(row[C.shards], column: "versions.shard_ids"),
            parameters: row[C.parameters], codeVersion: row[C.code], worker: row[C.worker],
            trainSeconds: row[C.seconds], status: row[C.status], metrics: [], aliases: [], stage: stage,
            objective: try (row[C.objective] as String?).map { try stored(ModelObjective.self, $0, "versions.objective") }, host: row[C.host],
            startedAt: try (row[C.started] as String?).map { try date($0, "versions.started_at") },
            finishedAt: try (row[C.finished] as String?).map { try date($0, "versions.finished_at") },
            prohibitedFeatures: try StringList.decode(row[C.prohibited], column: "versions.prohibited_features"),
            fairnessVerdict: verdict.flatMap(FairnessVerdict.init(rawValue:)),
            minDisparateImpact: row[C.minImpact])
    }

    private static func stored<T: RawRepresentable>(_ type: T.Type, _ text: String, _ column: String) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: text) else { throw RegistryError.invalid("malformed value '\(text)' in column \(column)") }
        return value
    }

    private static func date(_ text: String, _ column: String) throws -> Date {
        guard let date = StoredDate.decode(text) else { throw RegistryError.invalid("malformed timestamp '\(text)' in column \(column)") }
        return date
    }
}

/// JSON arrays of strings (`["aa11","bb22"]`), as the registry writes shard ids and
/// prohibited features: read directly when no string holds an escape, by JSONDecoder otherwise.
enum StringList {
    static func decode(_ text: String, column: String) throws -> [String] {
        if let fast = scan(text) { return fast }
        return try JSON.decode([String].self, text, column: column)
    }

    static func scan(_ text: String) -> [String]? {
        text.utf8.withContiguousStorageIfAvailable { bytes -> [String]? in
            var i = 0
            func skipSpace() { while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x09 || bytes[i] == 0x0D { i += 1 } }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "[") else { return nil }
            i += 1
            skipSpace()
            var result: [String] = []
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                i += 1
                skipSpace()
                return i == bytes.count ? result : nil
            }
            while true {
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
                let start = i + 1
                i = start
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] == UInt8(ascii: "\\") || bytes[i] < 0x20 { return nil }
                    i += 1
                }
                guard i < bytes.count else { return nil }
                result.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
                i += 1
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == UInt8(ascii: "]") {
                    i += 1
                    skipSpace()
                    return i == bytes.count ? result : nil
                }
                guard bytes[i] == UInt8(ascii: ",") else { return nil }
                i += 1
                skipSpace()
            }
        } ?? nil
    }
}
