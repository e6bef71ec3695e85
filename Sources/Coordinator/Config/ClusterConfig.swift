import Dataset
import Foundation
import Registry
import Wire
import Yams

/// Everything `cluster.yaml` says: where the coordinator listens, which hosts run workers,
/// where data comes from, where the registry lives and which models to train.
public struct ClusterConfig: Sendable, Equatable {
    /// The coordinator's socket and liveness settings.
    public struct CoordinatorSettings: Sendable, Equatable {
        public var bind = "tcp://127.0.0.1:5555"
        public var heartbeatMs = 1000
        public var liveness = 5
        public var maxAttempts = 3
    }

    /// One host and the workers `engage run` starts on it (only `localhost` is started locally).
    public struct HostSettings: Sendable, Equatable {
        public var host: String
        public var workers: Int
        /// Training threads per worker; 0 (`auto`) shares the host's cores among its workers.
        public var threads: Int
    }

    /// CURVE settings (the Ironhouse pattern): with `curve`, the coordinator admits only the
    /// workers whose public keys are in `keys/allowed/` and every message is encrypted.
    public struct SecuritySettings: Sendable, Equatable {
        public var curve = false
        /// The key folder `engage keys generate` writes (``Wire/CurveKeyDirectory``).
        public var keys = "keys/"

        /// The coordinator's key folder, checked: a missing folder or key file is an error naming
        /// the path and `cluster.security.keys`. Nil without CURVE.
        public func coordinatorKeys(file: String) throws -> CurveKeyDirectory? {
            guard curve else { return nil }
            let directory = CurveKeyDirectory(path: keys)
            for path in [keys, directory.coordinatorBase + ".key_secret", directory.allowedDirectory] where !FileManager.default.fileExists(atPath: path) {
                throw ConfigError(file: file, line: nil, column: nil, keyPath: "cluster.security.keys",
                                  message: "\(path) does not exist; `engage keys generate --out \(keys) --workers N` writes the key folder")
            }
            return directory
        }
    }

    /// Where the customer data comes from and how it is cut.
    public struct DataSettings: Sendable, Equatable {
        public enum Source: String, Sendable { case generate, csv }
        public var source = Source.generate
        public var rows = 100_000
        public var seed: UInt64 = 42
        public var shards = 10
        public var testFraction = 0.2
        public var folds = 5
        /// For `source: csv`: the customers file.
        public var path: String?
        /// For `source: csv`: the recommender's interaction log (user_id, item_id[, timestamp]) and item table.
        public var interactions: String?
        public var items: String?
        public var categorical: [String] = []
        public var ignore: [String] = []
        /// Sensitive attributes beside the generator's (age_group, gender, region): never features.
        public var sensitive: [String] = []
        /// `data.schema`: roles and types pinned per column.
        public var schema = ColumnPins()
        /// Drop rows whose target is missing instead of refusing them (`drop_missing_target`).
        public var dropMissingTarget = false
    }

    public var file: String
    public var coordinator = CoordinatorSettings()
    public var hosts: [HostSettings] = [HostSettings(host: "localhost", workers: 2, threads: 0)]
    public var security = SecuritySettings()
    public var data = DataSettings()
    public var registryPath = "registry/engage.sqlite"
    public var workDirectory = "work"
    public var models: [ModelConfig] = []
    /// The `drift:` section: `engage drift`'s thresholds.
    public var drift = DriftThresholds()
    /// The promotion gates `engage registry promote` applies.
    public var promotion = PromotionConfig()
    /// The `watch:` section (`engage watch`); nil when absent.
    public var watch: WatchConfig?
    /// The `metrics:` section: where the coordinator serves Prometheus text; nil serves none.
    public var metrics: MetricsSettings?
    /// The `serve:` section (`engage serve`); nil when absent.
    public var serve: ServeConfig?

    public init(file: String) { self.file = file }

    public static let defaultModels: [ModelConfig] = [
        ModelConfig(name: "engagement", kind: .gbdt, objective: .regression, target: "engagement_score"),
        ModelConfig(name: "churn", kind: .gbdt, objective: .binary, target: "churn_30_day"),
        ModelConfig(name: "lifetime_value", kind: .gbdt, objective: .quantile, target: "lifetime_value_usd", quantiles: [0.1, 0.5, 0.9]),
    ]

    /// The file's settings, or the defaults when there is no file at `path` (commands that only
    /// need the registry's location work without a cluster file).
    public static func loadIfPresent(path: String) throws -> ClusterConfig {
        FileManager.default.fileExists(atPath: path) ? try load(path: path) : ClusterConfig(file: path)
    }

    /// Reads and validates a cluster file; errors name the file, line, column and key.
    public static func load(path: String) throws -> ClusterConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: nil, column: nil, keyPath: "", message: "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String = "cluster.yaml") throws -> ClusterConfig {
        var config = ClusterConfig(file: file)
        let root = try YAMLNodeReader.root(file: file, text: text,
            allowedKeys: ["cluster", "data", "registry", "models", "fairness", "promotion", "drift", "work_dir", "watch", "metrics", "serve"])
        if let cluster = try root.mapping("cluster", allowedKeys: ["coordinator", "hosts", "security"]) {
            try config.readCluster(cluster)
        }
        if let data = try root.mapping("data", allowedKeys: ["source", "rows", "seed", "shards", "test_fraction", "folds", "path", "interactions", "items", "categorical", "ignore", "sensitive", "schema", "drop_missing_target"]) {
            try config.readData(data)
        }
        if let registry = try root.mapping("registry", allowedKeys: ["path"]) {
            config.registryPath = try registry.string("path") ?? config.registryPath
        }
        config.workDirectory = try root.string("work_dir") ?? config.workDirectory
        if let models = try root.mapping("models", allowedKeys: root.customModelNames()) {
            config.models = try models.keys.map { name in
                try ModelConfig.read(name: name, from: models)
            }
            try ModelConfig.checkStackingInputs(&config.models, in: models)
            if config.data.source == .csv, config.data.interactions == nil, let ncf = config.models.first(where: { $0.kind == .ncf }) {
                throw ConfigError(file: file, line: nil, column: nil, keyPath: "data.interactions",
                                  message: "missing; model '\(ncf.name)' (kind ncf) with 'source: csv' needs the path of the interactions CSV")
            }
        } else {
            config.models = defaultModels
        }
        try config.readDrift(root)
        try config.readWatch(root)
        config.metrics = try MetricsSettings.read(root)
        config.serve = try ServeConfig.read(root)
        // Sections owned by later features are still checked for shape so a typo cannot hide.
        for section in ["fairness", "promotion", "drift"] where root.has(section) {
            if let node = root.child(section), node.mapping == nil {
                throw root.fail(section, node, "expected a mapping, found \(YAMLNodeReader.describe(node))")
            }
        }
        config.promotion = try readPromotion(root.node.mapping!, file: file)
        return config
    }

    private mutating func readCluster(_ cluster: YAMLNodeReader) throws {
        if let c = try cluster.mapping("coordinator", allowedKeys: ["bind", "heartbeat_ms", "liveness", "max_attempts"]) {
            coordinator.bind = try c.string("bind") ?? coordinator.bind
            coordinator.heartbeatMs = try c.int("heartbeat_ms", min: 10) ?? coordinator.heartbeatMs
            coordinator.liveness = try c.int("liveness", min: 1) ?? coordinator.liveness
            coordinator.maxAttempts = try c.int("max_attempts", min: 1) ?? coordinator.maxAttempts
            if !coordinator.bind.hasPrefix("tcp://"), !coordinator.bind.hasPrefix("ipc://"), let node = c.child("bind") {
                throw c.fail("bind", node, "expected an endpoint such as tcp://127.0.0.1:5555, found '\(coordinator.bind)'")
            }
        }
        if let items = try cluster.sequence("hosts") {
            hosts = try items.enumerated().map { index, node in
                let host = try YAMLNodeReader(file: file, path: "cluster.hosts[\(index)]", node: node, allowedKeys: ["host", "workers", "threads"])
                guard let name = try host.string("host") else {
                    throw YAMLNodeReader.error(file, node, "cluster.hosts[\(index)].host", "missing; expected a host name")
                }
                return HostSettings(host: name, workers: try host.int("workers", min: 0) ?? 1, threads: try host.intOrAuto("threads") ?? 0)
            }
        }
        if let s = try cluster.mapping("security", allowedKeys: ["curve", "keys"]) {
            security.curve = try s.bool("curve") ?? false
            security.keys = try s.string("keys") ?? security.keys
        }
    }

    private mutating func readData(_ d: YAMLNodeReader) throws {
        if let source = try d.string("source", oneOf: ["generate", "csv"]) { data.source = DataSettings.Source(rawValue: source)! }
        data.rows = try d.int("rows", min: 100) ?? data.rows
        data.seed = UInt64(try d.int("seed", min: 0) ?? Int(data.seed))
        data.shards = try d.int("shards", min: 1) ?? data.shards
        data.testFraction = try d.double("test_fraction", range: 0.01...0.9) ?? data.testFraction
        data.folds = try d.int("folds", min: 2) ?? data.folds
        data.path = try d.string("path")
        data.interactions = try d.string("interactions")
        data.items = try d.string("items")
        data.categorical = try d.strings("categorical") ?? []
        data.ignore = try d.strings("ignore") ?? []
        data.sensitive = try d.strings("sensitive") ?? []
        data.schema = try readSchema(d)
        data.dropMissingTarget = try d.bool("drop_missing_target") ?? false
        if data.source == .csv, data.path == nil {
            throw ConfigError(file: file, line: d.node.mark?.line, column: d.node.mark?.column, keyPath: "data.path",
                              message: "missing; 'source: csv' needs the path of the customers CSV")
        }
    }

    /// The workers `engage run` starts on this machine.
    public var localWorkers: (count: Int, threads: Int) {
        let local = hosts.filter { ["localhost", "127.0.0.1", "::1"].contains($0.host) }
        return (local.reduce(0) { $0 + $1.workers }, local.first?.threads ?? 0)
    }

    /// The training threads of each of `workers` local workers: `requested`, or for 0 (`auto`)
    /// the machine's cores shared among them (at least 1). Measured on 2 cores with the shipped
    /// config: 2 workers × 1 thread finished `engage run` in 45.6–48.3 s, 2 × 2 threads
    /// (oversubscribed) in 53.4–56.3 s.
    public static func threadsPerLocalWorker(requested: Int, workers: Int,
                                             cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Int {
        requested > 0 ? requested : max(1, cores / max(1, workers))
    }

    /// SHA-256 of the file's text, recorded as lineage of every version it produced.
    public static func fingerprint(path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "none" }
        return SHA256.hex(data)
    }
}

extension YAMLNodeReader {
    /// Model sections may use any name as long as they say their `kind`.
    func customModelNames() -> [String] {
        guard let node = child("models"), let mapping = node.mapping else { return [] }
        return mapping.compactMap { $0.key.string }
    }
}
