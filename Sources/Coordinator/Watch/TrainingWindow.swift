import Dataset
import Foundation

/// The rows a retraining run reads: the original data of the cluster file and the accepted
/// batches, cut by `watch.window`, written once as one CSV that the run's data section points at.
///
/// A batch row whose id (`user_id`) occurs again later (in a later batch) is the older
/// observation of that customer and is left out, so the combined table has one row per id.
struct TrainingWindow {
    let config: ClusterConfig
    let window: WatchConfig.Window

    /// The original table: generated as `engage run` would (and read back as CSV, so that its
    /// column kinds are those of a batch file), or read from `data.path`.
    func original() throws -> Table {
        switch config.data.source {
        case .generate:
            let generated = CustomerGenerator(rows: config.data.rows, seed: config.data.seed).generate().customers
            return try CSV.parse(CSV.render(generated), source: "generated data", categorical: Set(config.data.categorical))
        case .csv: return try CSV.read(path: config.data.path ?? "", categorical: Set(config.data.categorical))
        }
    }

    /// A batch's table in the original's columns; a batch missing one of them is refused.
    static func conform(_ batch: Table, to names: [String], file: String) throws -> Table {
        let missing = names.filter { batch.index(of: $0) == nil }
        guard missing.isEmpty else {
            throw WatchError("\(file) lacks column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) of the training data")
        }
        return try batch.selecting(names)
    }

    /// The batches of `accepted` (oldest first) that the window keeps.
    func selected<T>(_ accepted: [T]) -> [T] {
        if case .lastBatches(let n) = window { return Array(accepted.suffix(n)) }
        return accepted
    }

    /// The combined table of the original data (its last N rows under `last_rows`) and `batches`
    /// (paths, oldest first, already cut by ``selected(_:)``).
    func table(batches: [String]) throws -> Table {
        var base = try original()
        if case .lastRows(let n) = window { base = base.rows(Array(max(0, base.rowCount - n)..<base.rowCount)) }
        let parts = try [base] + batches.map { path in
            try Self.conform(try CSV.read(path: path, categorical: Set(config.data.categorical)), to: base.names, file: (path as NSString).lastPathComponent)
        }
        return Self.latestPerID(try Table.concatenated(parts))
    }

    static func latestPerID(_ table: Table) -> Table {
        guard let id = table.index(of: CustomerSchema.idColumn) else { return table }
        let keys: [String]
        switch table.columns[id] {
        case .numeric(let values): keys = values.map { "\($0)" }
        case .categorical(let codes, _): keys = codes.map { "\($0)" }
        }
        var seen = Set<String>()
        var rows: [Int] = []
        for row in stride(from: keys.count - 1, through: 0, by: -1) where seen.insert(keys[row]).inserted { rows.append(row) }
        return table.rows(rows.reversed())
    }

    /// Writes the combined CSV at `path` unless it is already there (a resumed run must read the same rows).
    func write(batches: [String], to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let temporary = (path as NSString).deletingLastPathComponent + "/." + (path as NSString).lastPathComponent + ".tmp"
        try DurableFile.write(Data(CSV.render(try table(batches: batches)).utf8), to: temporary)
        try DurableFile.rename(temporary, to: path)
    }
}

/// A watch step that cannot go on: a batch it refuses, a registry without versions to judge by.
public struct WatchError: Error, CustomStringConvertible, LocalizedError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
