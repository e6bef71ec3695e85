import Dataset
import Foundation
import ModelZoo

/// A run's training rows binned once for every GBDT job that reads them: the feature schema, the
/// training shards whose rows it holds (in order) and the `BinnedDataset`.
///
/// Exists so that the full job and the fold jobs of a model, and the models that share a feature
/// set, stop binning the same columns again: the coordinator writes it as one more
/// content-addressed shard, and workers fetch and cache it like any other. A fold job takes the
/// rows of its training shards, with the edges of all training rows (LightGBM's `reference=`),
/// which no test row ever touches.
///
/// Bytes: magic `ENGB`, UInt16 version 1, UInt32 length of a JSON header (`sources`, `schema`),
/// the header, then the `BinnedDataset` bytes (with their own CRC-32).
public struct BinnedShard: Sendable, Equatable {
    public let sources: [ShardRef]
    public let schema: FeatureSchema
    public let dataset: BinnedDataset

    public static let magic: [UInt8] = Array("ENGB".utf8)
    public static let version: UInt16 = 1

    public init(sources: [ShardRef], schema: FeatureSchema, dataset: BinnedDataset) throws {
        guard sources.reduce(0, { $0 + $1.rows }) == dataset.rowCount else {
            throw JobError("binned rows: \(dataset.rowCount) rows but the source shards hold \(sources.reduce(0) { $0 + $1.rows })")
        }
        guard schema.names == dataset.names, schema.features.map(\.categorical) == dataset.isCategorical else {
            throw JobError("binned rows: the schema's features are not the binned features")
        }
        guard Set(sources.map(\.id)).count == sources.count else { throw JobError("binned rows: a source shard is listed twice") }
        self.sources = sources
        self.schema = schema
        self.dataset = dataset
    }

    /// Bins `train` (the rows of `sources`, concatenated in order) for the features of `spec`, with
    /// the binning settings of its parameters.
    public static func make(train: Table, sources: [ShardRef], spec: TrainingJobSpec, threads: Int) throws -> BinnedShard {
        let schema = try FeatureSchema(job: spec, train: train)
        let dataset = BinnedDataset(try schema.matrix(from: train), settings: .init(spec.parameters), threads: threads)
        return try BinnedShard(sources: sources, schema: schema, dataset: dataset)
    }

    /// What decides a binned shard: jobs with equal keys share one.
    public struct Key: Hashable, Sendable {
        public var features: [String]
        public var settings: BinnedDataset.Settings
    }

    /// The key of `spec`'s binned rows, given the training table's column names.
    public static func key(of spec: TrainingJobSpec, columns: [String]) -> Key {
        let skip = Set(spec.excludedColumns).union([spec.target])
        let settings = BinnedDataset.Settings(spec.parameters)
        return Key(features: columns.filter { !skip.contains($0) }, settings: settings)
    }

    /// The dataset rows of `shards` (each one of `sources`), in the order given; nil when one is not a source.
    public func rows(of shards: [ShardRef]) -> [Int]? {
        var start: [String: (offset: Int, rows: Int)] = [:]
        var offset = 0
        for source in sources {
            start[source.id] = (offset, source.rows)
            offset += source.rows
        }
        var rows: [Int] = []
        rows.reserveCapacity(shards.reduce(0) { $0 + $1.rows })
        for shard in shards {
            guard let range = start[shard.id], range.rows == shard.rows else { return nil }
            rows.append(contentsOf: range.offset..<(range.offset + range.rows))
        }
        return rows
    }

    private struct Header: Codable {
        var sources: [ShardRef]
        var schema: FeatureSchema
    }

    public func encode() throws -> Data {
        let header = try JSONEncoder.sortedKeys.encode(Header(sources: sources, schema: schema))
        var data = Data(Self.magic)
        withUnsafeBytes(of: Self.version.littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(header)
        data.append(dataset.encode())
        return data
    }

    /// Decodes `encode()` bytes; `source` names them in errors.
    public init(decoding data: Data, source: String) throws {
        let bytes = [UInt8](data)
        func fail(_ message: String) -> ShardError { ShardError(.malformed, source: source, "not a binned shard: \(message)") }
        guard bytes.count >= 10, Array(bytes[0..<4]) == Self.magic else { throw fail("bad magic") }
        let version = UInt16(bytes[4]) | UInt16(bytes[5]) << 8
        guard version == Self.version else { throw fail("format version \(version), this build reads \(Self.version)") }
        let length = Int(UInt32(bytes[6]) | UInt32(bytes[7]) << 8 | UInt32(bytes[8]) << 16 | UInt32(bytes[9]) << 24)
        guard length <= bytes.count - 10 else { throw fail("header length \(length) exceeds the \(bytes.count) bytes") }
        do {
            let header = try JSONDecoder().decode(Header.self, from: Data(bytes[10..<(10 + length)]))
            let dataset = try BinnedDataset(decoding: Data(bytes[(10 + length)...]))
            try self.init(sources: header.sources, schema: header.schema, dataset: dataset)
        } catch let error as ShardError {
            throw error
        } catch {
            throw fail("\(error)")
        }
    }
}
