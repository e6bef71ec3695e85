import Dataset
import Foundation

/// Keeps each finished job's predictions on disk as a content-addressed shard, so that a
/// coordinator restarted after a crash can still build the ensemble's inputs.
///
/// A job's predictions are one `prediction` column: its evaluation rows, then its scored rows,
/// shard by shard in plan order. The shard's SHA-256 is its name, so a truncated or altered
/// file is caught on load, and a file of the wrong length is refused.
struct PredictionStore {
    static let column = "prediction"
    let store: ShardStore

    /// Stores the predictions durably (temporary file, fsync, rename) and returns their shard.
    func save(_ predictions: [Double]) throws -> ShardRef {
        try store.write(try Table(names: [Self.column], columns: [.numeric(predictions)]))
    }

    /// Reads back the predictions `shardID` holds for `job` and splits them over its shards;
    /// throws ``PredictionLoadError`` when the journal names none, or the file is gone, corrupt
    /// or of another length.
    func load(_ shardID: String?, job: PlannedJob) throws -> [String: ArraySlice<Double>] {
        guard let shardID else { throw PredictionLoadError(job: job.id, reason: "the journal names no predictions file (written by an older engage)") }
        let table: Table
        do {
            table = try store.read(shardID, verify: true)
        } catch let error as ShardError where error.kind == .notFound || error.kind == .invalidID {
            throw PredictionLoadError(job: job.id, reason: "its predictions file \(store.path(for: shardID)) is missing")
        } catch {
            throw PredictionLoadError(job: job.id, reason: "its predictions file is unreadable: \(error)")
        }
        guard table.names == [Self.column], case .numeric(let values) = table.columns[0] else {
            throw PredictionLoadError(job: job.id, reason: "\(store.path(for: shardID)) is not a predictions file (columns \(table.names))")
        }
        do {
            return try Self.split(values, over: job.spec.evalShards + job.spec.scoreShards, job: job.id)
        } catch let error as PredictionLoadError {
            throw PredictionLoadError(job: job.id, reason: "its predictions file \(error.reason)")
        }
    }

    /// One slice per shard, in order; the counts must add up exactly.
    static func split(_ values: [Double], over shards: [ShardRef], job: String) throws -> [String: ArraySlice<Double>] {
        let expected = shards.reduce(0) { $0 + $1.rows }
        guard values.count == expected else {
            throw PredictionLoadError(job: job, reason: "holds \(values.count) predictions for \(expected) evaluated and scored rows")
        }
        var byShard: [String: ArraySlice<Double>] = [:]
        var offset = 0
        for shard in shards {
            byShard[shard.id] = values[offset..<(offset + shard.rows)]
            offset += shard.rows
        }
        return byShard
    }
}

/// A finished job's stored predictions could not be used; the job runs again.
struct PredictionLoadError: Error, CustomStringConvertible {
    let job: String
    let reason: String
    var description: String { "predictions of \(job): \(reason)" }
}
