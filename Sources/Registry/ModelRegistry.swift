import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The model registry: versions, metrics, importance, reports, the audit log and
/// the run journal in one SQLite file, artifacts content-addressed beside it.
///
/// Thread-safe: it wraps a GRDB `DatabasePool` in WAL mode, so any number of
/// threads (and processes, such as the CLI) read while the coordinator writes.
/// Writes are serialized and each runs in one IMMEDIATE transaction.
public final class ModelRegistry: Sendable {
    /// The directory holding the database file and `artifacts/`.
    public let directory: String
    /// The path of the SQLite file.
    public let path: String
    /// True for registries opened with ``openReadOnly(path:)``; writes are refused.
    public let isReadOnly: Bool
    /// Who the audit log names as the author of this registry's writes.
    public let actor: String

    let pool: DatabasePool
    let store: ArtifactStore

    /// Opens (creating if needed) the registry database at `path` and brings its
    /// schema up to date. The parent directory is created too.
    public convenience init(path: String, actor: String = ModelRegistry.defaultActor) throws {
        try self.init(path: path, actor: actor, readOnly: false)
    }

    /// Opens an existing registry for queries only, as the CLI does while a run may
    /// be writing to it.
    public static func openReadOnly(path: String) throws -> ModelRegistry {
        try ModelRegistry(path: path, actor: defaultActor, readOnly: true)
    }

    /// `user@host` of this process.
    public static var defaultActor: String {
        let environment = ProcessInfo.processInfo.environment
        let user = environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count - 1) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : "localhost"
        return "\(user)@\(host)"
    }

    private init(path: String, actor: String, readOnly: Bool) throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let directory = (absolute as NSString).deletingLastPathComponent
        if readOnly {
            guard FileManager.default.fileExists(atPath: absolute) else { throw RegistryError.databaseMissing(absolute) }
        } else {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }

        var configuration = Configuration()
        configuration.label = "engage.registry"
        configuration.foreignKeysEnabled = true
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            // WAL defaults to NORMAL in some builds; a registered version must survive power loss.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let pool = try DatabasePool(path: absolute, configuration: configuration)

        if readOnly {
            let migrated = try pool.read { db in try Schema.migrator.hasCompletedMigrations(db) }
            guard migrated else {
                throw RegistryError.invalid("\(absolute) is not an up-to-date engage registry; open it once read-write (any `engage run`) to migrate it")
            }
        } else {
            try Schema.migrator.migrate(pool)
        }

        self.path = absolute
        self.directory = directory
        self.isReadOnly = readOnly
        self.actor = actor
        self.pool = pool
        self.store = ArtifactStore(root: directory)
    }

    /// Opens an existing registry for changes (promotion, aliases, archiving) without
    /// creating one where none is: a mistyped path is an error, not an empty registry.
    public static func openExisting(path: String, actor: String = ModelRegistry.defaultActor) throws -> ModelRegistry {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: absolute) else { throw RegistryError.databaseMissing(absolute) }
        return try ModelRegistry(path: absolute, actor: actor, readOnly: false)
    }

    /// Stores the artifact, then records the next version of `v.model` with its
    /// metrics, importance, reports, fairness and a `registered` event in one transaction.
    ///
    /// A crash before the commit leaves no trace in the database; at worst an
    /// artifact file that no version refers to, which is harmless and reused by
    /// the next registration of the same bytes.
    @discardableResult
    public func register(_ v: NewVersion) throws -> ModelVersion {
        try register(v, completing: nil)
    }

    /// Registers `v` and, in the same transaction, journals `job` done with the new version,
    /// so that a coordinator killed at any instant leaves either both or neither: a resumed
    /// run never registers a second version for a job whose first one is in the registry.
    @discardableResult
    public func register(_ v: NewVersion, completing job: JobCompletion) throws -> ModelVersion {
        guard job.model == v.model else {
            throw RegistryError.invalid("job \(job.jobID) is of model \(job.model), not \(v.model)")
        }
        return try register(v, completing: Optional(job))
    }

    private func register(_ v: NewVersion, completing job: JobCompletion?) throws -> ModelVersion {
        try requireWritable()
        try Validation.check(v)
        let (sha, relative) = try store.store(v.artifact)
        let createdAt = StoredDate.normalized(Date())
        let shardJSON = try JSON.text(v.shardIDs)
        let prohibitedJSON = try JSON.text(v.prohibitedFeatures)
        let actor = self.actor

        return try pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO models (name, created_at) VALUES (?, ?)",
                           arguments: [v.model, StoredDate.encode(createdAt)])
            let latest = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM versions WHERE model = ?", arguments: [v.model])
            let number = (latest ?? 0) + 1
            try db.execute(sql: """
                INSERT INTO versions (model, version, run_id, kind, created_at, artifact_sha256, artifact_path,
                    artifact_bytes, dataset_sha256, config_sha256, shard_ids, parameters, code_version, worker,
                    train_seconds, status, stage, objective, host, started_at, finished_at, prohibited_features)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'registered', 'none', ?, ?, ?, ?, ?)
                """, arguments: [
                    v.model, number, v.runID, v.kind.rawValue, StoredDate.encode(createdAt), sha, relative,
                    v.artifact.count, v.datasetSHA256, v.configSHA256, shardJSON, v.parameters,
                    v.codeVersion, v.worker, v.trainSeconds, v.objective?.rawValue, v.host,
                    v.startedAt.map(StoredDate.encode), v.finishedAt.map(StoredDate.encode), prohibitedJSON,
                ])
            let versionID = db.lastInsertedRowID

            for metric in v.metrics {
                try db.execute(sql: "INSERT INTO metrics (version_id, split, name, value) VALUES (?, ?, ?, ?)",
                               arguments: [versionID, metric.split, metric.name, Self.storable(metric.value)])
            }
            for (rank, item) in v.importance.enumerated() {
                try db.execute(sql: """
                    INSERT INTO feature_importance (version_id, rank, feature, gain, splits, permutation, mean_abs_shap)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [versionID, rank, item.feature, Self.storable(item.gain), item.splits,
                                     Self.storable(item.permutation), Self.storable(item.meanAbsSHAP)])
            }
            for name in v.reports.keys.sorted() {
                try db.execute(sql: "INSERT INTO reports (version_id, name, body) VALUES (?, ?, ?)",
                               arguments: [versionID, name, v.reports[name]])
            }
            if let fairness = v.fairness {
                for measure in fairness.measures {
                    try db.execute(sql: """
                        INSERT INTO fairness (version_id, attribute, group_name, metric, value) VALUES (?, ?, ?, ?, ?)
                        """, arguments: [versionID, measure.attribute, measure.group ?? "", measure.metric, Self.storable(measure.value)])
                }
                try db.execute(sql: """
                    INSERT INTO fairness_summaries (version_id, verdict, min_disparate_impact, body) VALUES (?, ?, ?, ?)
                    """, arguments: [versionID, fairness.verdict.rawValue, fairness.minDisparateImpact, fairness.body])
            }
            let detail = try JSON.text(RegisteredDetail(
                runID: v.runID, artifactSHA256: sha, datasetSHA256: v.datasetSHA256,
                configSHA256: v.configSHA256, worker: v.worker))
            try db.execute(sql: """
                INSERT INTO events (model, version, action, actor, at, to_value, detail) VALUES (?, ?, 'registered', ?, ?, 'none', ?)
                """, arguments: [v.model, number, actor, StoredDate.encode(createdAt), detail])

            if let job { try Self.complete(job, version: number, db) }
            return ModelVersion(
                model: v.model, version: number, runID: v.runID, kind: v.kind, createdAt: createdAt,
                artifactSHA256: sha, artifactPath: relative, artifactBytes: v.artifact.count,
                datasetSHA256: v.datasetSHA256, configSHA256: v.configSHA256, shardIDs: v.shardIDs,
                parameters: v.parameters, codeVersion: v.codeVersion, worker: v.worker,
                trainSeconds: v.trainSeconds, status: "registered", metrics: v.metrics, aliases: [], stage: .none,
                objective: v.objective, host: v.host, startedAt: v.startedAt.map(StoredDate.normalized),
                finishedAt: v.finishedAt.map(StoredDate.normalized), prohibitedFeatures: v.prohibitedFeatures,
                fairnessVerdict: v.fairness?.verdict, minDisparateImpact: v.fairness?.minDisparateImpact)
        }
    }

    func requireWritable() throws {
        if isReadOnly {
            throw RegistryError.invalid("the registry at \(path) was opened read-only")
        }
    }

    /// SQLite has no NaN: an undefined measure is stored as NULL and read back as NaN.
    static func storable(_ value: Double) -> Double? { value.isNaN ? nil : value }
}

/// The `detail` of a `registered` event.
private struct RegisteredDetail: Encodable {
    var runID: String
    var artifactSHA256: String
    var datasetSHA256: String
    var configSHA256: String
    var worker: String

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", artifactSHA256 = "artifact_sha256", datasetSHA256 = "dataset_sha256"
        case configSHA256 = "config_sha256", worker
    }
}
