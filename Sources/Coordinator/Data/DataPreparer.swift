import Dataset
import Foundation
import ModelZoo
import Synchronization
import Training

/// The dataset of one run, cut into content-addressed shards: train shards grouped by fold,
/// and test shards that no training job ever reads.
public struct PreparedData: Sendable {
    public var rows: Int
    public var columns: [String]
    /// Train shards of each fold, `foldShards[k]`.
    public var foldShards: [[ShardRef]]
    public var testShards: [ShardRef]
    /// Columns that are never features: the id, every target, the sensitive attributes, evaluation labels, ignored columns.
    public var excludedColumns: [String]
    /// SHA-256 over the ordered shard ids: the dataset's identity in lineage.
    public var datasetSHA256: String
    /// The recommender's interaction log and item table, when a model of kind `ncf` needs them.
    public var interactionShards: [ShardRef] = []
    public var itemShards: [ShardRef] = []
    /// Sensitive attributes present in the data (never features; fairness groups by them).
    public var sensitiveColumns: [String]

    public var trainShards: [ShardRef] { foldShards.flatMap { $0 } }

    /// The fold of each training row, in `trainShards` order.
    public var trainRowFolds: [Int] {
        foldShards.enumerated().flatMap { fold, shards in Array(repeating: fold, count: shards.reduce(0) { $0 + $1.rows }) }
    }
    public var allShardIDs: [String] { (trainShards + testShards).map(\.id) }
}

/// Why the data of a run was refused before any job started.
public struct DataPreparationError: Error, CustomStringConvertible, LocalizedError {
    public let message: String
    public var description: String { message }
    public var errorDescription: String? { message }
}

/// Loads (or generates) the customers table, checks it, splits train/test stratified on the
/// binary target, assigns folds and writes the shards.
public struct DataPreparer {
    public let config: ClusterConfig
    public let store: ShardStore

    public init(config: ClusterConfig, store: ShardStore) {
        self.config = config
        self.store = store
    }

    /// The tables of one run: customers, and the interactions and items when a recommender needs them.
    public struct Tables: Sendable {
        public var customers: Table
        public var interactions: Table?
        public var items: Table?
    }

    /// Reads (or generates) the tables, drops rows with a missing target when the config asks,
    /// and checks every supervised model's target with `TargetRule`.
    public func loadTables() throws -> Tables {
        var tables = try readTables()
        let source = config.data.source == .csv ? config.data.path ?? "" : "generated data"
        let absent = config.data.schema.absent(from: tables.customers)
        guard absent.isEmpty else {
            throw DataPreparationError(message: "\(config.file): data.schema names column\(absent.count > 1 ? "s" : "") \(absent.joined(separator: ", ")), "
                                       + "which \(source) lacks; its columns are \(tables.customers.names.joined(separator: ", "))")
        }
        if config.data.dropMissingTarget {
            for rule in targetRules {
                let (kept, dropped) = try rule.droppingMissing(tables.customers)
                guard dropped > 0 else { continue }
                tables.customers = kept
                FileHandle.standardError.write(Data("note: \(source): dropped \(dropped) rows with a missing target '\(rule.column)' (drop_missing_target)\n".utf8))
            }
        }
        for (model, rule) in zip(supervisedModels, targetRules) {
            do {
                _ = try rule.levels(in: tables.customers)
            } catch let error as TargetError {
                throw DataPreparationError(message: "\(source): model \(model.name): \(error.message)")
            }
        }
        return tables
    }

    private func readTables() throws -> Tables {
        let recommender = config.models.contains { $0.kind == .ncf }
        switch config.data.source {
        case .generate:
            let generated = CustomerGenerator(rows: config.data.rows, seed: config.data.seed).generate()
            return Tables(customers: generated.customers, interactions: recommender ? generated.interactions : nil,
                          items: recommender ? generated.items : nil)
        case .csv:
            let customers = try config.columnPins.read(path: config.data.path ?? "")
            guard recommender else { return Tables(customers: customers) }
            let interactions = try config.data.interactions.map { try CSV.read(path: $0, categorical: []) }
            let items = try config.data.items.map { try CSV.read(path: $0, categorical: []) }
            return Tables(customers: customers, interactions: interactions, items: items)
        }
    }

    /// The models that learn from a target: GBDTs and stacking ensembles.
    private var supervisedModels: [ModelConfig] {
        config.models.filter { ($0.kind == .gbdt || $0.kind == .stacking) && $0.target != nil }
    }

    private var targetRules: [TargetRule] {
        supervisedModels.map { TargetRule(column: $0.target!, objective: $0.objective ?? .regression, positive: $0.positive) }
    }

    /// Data-quality rules over the whole table; error-level findings stop the run before any shard is written.
    public func qualityReport(_ table: Table) throws -> DataQualityReport {
        // A text binary target's classes are checked by `TargetRule` in `loadTables()`.
        let binaryTargets = config.models.filter { $0.objective == .binary }.compactMap(\.target)
            .filter { (try? table.column($0).isCategorical) != true }
        let id = table.names.first { (try? config.roleRules.role(of: $0, in: table)) == .id }
        let context = QualityContext(idColumn: id,
                                     binaryTargets: binaryTargets,
                                     ignored: Set(config.data.ignore + [CustomerSchema.anomalyLabel]))
        return try DataQualityChecker().report(table, context: context)
    }

    /// Shards the customers (`prepare(_:)`) and, when present, the interactions and items.
    public func prepare(_ tables: Tables) throws -> PreparedData {
        var data = try prepare(tables.customers)
        if let interactions = tables.interactions {
            let count = max(1, config.data.shards)
            data.interactionShards = try Sharding.split(interactions, rows: Array(0..<interactions.rowCount), into: count).map { try store.write($0) }
        }
        if let items = tables.items {
            data.itemShards = [try store.write(items)]
        }
        return data
    }

    public func prepare(_ table: Table) throws -> PreparedData {
        let excluded = try excludedColumns(in: table)
        try ProhibitedAttributes.check(features: table.names.filter { !excluded.contains($0) })
        let stratifyColumn = config.models.first { $0.objective == .binary }?.target ?? config.models.first?.target
        let labels: [Double]
        if let stratifyColumn, table.index(of: stratifyColumn) != nil {
            labels = try table.numeric(stratifyColumn).map { $0.isFinite ? $0 : -1 }
        } else {
            labels = Array(repeating: 0, count: table.rowCount)
        }
        let split = Splitter.stratified(labels: labels, testFraction: config.data.testFraction, seed: config.data.seed)
        let folds = Splitter.folds(labels: split.train.map { labels[$0] }, k: config.data.folds, seed: config.data.seed &+ 1)
        var rowsByFold = Array(repeating: [Int](), count: config.data.folds)
        for (position, row) in split.train.enumerated() { rowsByFold[folds[position]].append(row) }

        let shardsPerFold = max(1, config.data.shards / config.data.folds)
        let testShardCount = max(1, Int((Double(config.data.shards) * config.data.testFraction).rounded()))
        var written = try writeShards(table, groups: rowsByFold.map { ($0, shardsPerFold) } + [(split.test, testShardCount)])
        let testShards = written.removeLast()
        let foldShards = written
        let ids = (foldShards.flatMap { $0 } + testShards).map(\.id)
        return PreparedData(rows: table.rowCount, columns: table.names, foldShards: foldShards, testShards: testShards,
                            excludedColumns: excluded, datasetSHA256: SHA256.hex(ids.joined(separator: "\n")),
                            sensitiveColumns: try sensitiveColumns(in: table))
    }

    /// Each group's rows split into `count` shards and written, the groups side by side on the
    /// host's cores (encoding and hashing are most of the data phase); shards in group order.
    private func writeShards(_ table: Table, groups: [(rows: [Int], count: Int)]) throws -> [[ShardRef]] {
        let written = Mutex([Result<[ShardRef], any Error>](repeating: .success([]), count: groups.count))
        let store = self.store
        DispatchQueue.concurrentPerform(iterations: groups.count) { g in
            let shards = Result { try Sharding.split(table, rows: groups[g].rows, into: groups[g].count).map { try store.write($0) } }
            written.withLock { $0[g] = shards }
        }
        return try written.withLock { $0 }.map { try $0.get() }
    }

    func sensitiveColumns(in table: Table) throws -> [String] { try config.roleRules.sensitiveColumns(in: table) }

    func excludedColumns(in table: Table) throws -> [String] { try config.roleRules.excludedColumns(in: table) }

}
