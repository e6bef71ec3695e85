import Foundation

/// Several GBDTs trained for different quantiles of one target, stored as one artifact.
///
/// Predictions are made monotone in the quantile level (sorted per row), so P10 ≤ P50 ≤ P90 always.
public struct QuantileModelSet: Sendable, Equatable {
    public let alphas: [Double]
    public let models: [GBDTModel]

    public init(alphas: [Double], models: [GBDTModel]) throws {
        guard alphas.count == models.count, !alphas.isEmpty else { throw TaskError("a quantile set needs one model per quantile") }
        let order = alphas.indices.sorted { alphas[$0] < alphas[$1] }
        self.alphas = order.map { alphas[$0] }
        self.models = order.map { models[$0] }
    }

    /// Per quantile (in ascending order), one prediction per row; never crossing.
    public func predict(_ x: FeatureMatrix) throws -> [[Double]] {
        var columns = try models.map { try $0.predict(x) }
        for row in 0..<x.rowCount {
            let sorted = columns.map { $0[row] }.sorted()
            for q in columns.indices { columns[q][row] = sorted[q] }
        }
        return columns
    }

    static let magic: [UInt8] = Array("ENGQ".utf8)
    static let formatVersion: UInt16 = 1

    /// "ENGQ", format version (UInt16 LE), count (UInt32 LE), then per model: alpha (Float64 LE), length (UInt64 LE), GBDT artifact bytes.
    public func encode() -> Data {
        var out = Data(QuantileModelSet.magic)
        withUnsafeBytes(of: QuantileModelSet.formatVersion.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(models.count).littleEndian) { out.append(contentsOf: $0) }
        for (alpha, model) in zip(alphas, models) {
            let bytes = model.encode()
            withUnsafeBytes(of: alpha.bitPattern.littleEndian) { out.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { out.append(contentsOf: $0) }
            out.append(bytes)
        }
        return out
    }

    public static func decode(_ data: Data) throws -> QuantileModelSet {
        var reader = ByteReader(data)
        guard try reader.bytes(4) == magic else { throw TaskError("not a quantile model set (bad magic)") }
        let version = try reader.uint16()
        guard version == formatVersion else { throw TaskError("quantile model set format version \(version) is not supported (expected \(formatVersion))") }
        let count = Int(try reader.uint32())
        guard count > 0, count <= 99 else { throw TaskError("quantile model set holds \(count) models") }
        var alphas: [Double] = [], models: [GBDTModel] = []
        for _ in 0..<count {
            alphas.append(Double(bitPattern: try reader.uint64()))
            let length = try reader.uint64()
            guard length <= UInt64(reader.remaining) else { throw TaskError("quantile model set is truncated") }
            models.append(try GBDTModel.decode(Data(try reader.bytes(Int(length)))))
        }
        return try QuantileModelSet(alphas: alphas, models: models)
    }

    public static func isQuantileSet(_ data: Data) -> Bool { data.prefix(4).elementsEqual(magic) }
}

/// Little-endian reads from a byte buffer that throw, never trap, on truncation.
struct ByteReader {
    private let data: Data
    private var offset: Int

    init(_ data: Data) {
        self.data = data
        self.offset = data.startIndex
    }

    var remaining: Int { data.endIndex - offset }

    mutating func bytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= remaining else { throw TaskError("artifact is truncated") }
        defer { offset += count }
        return Array(data[offset..<offset + count])
    }

    mutating func uint16() throws -> UInt16 { try integer() }
    mutating func uint32() throws -> UInt32 { try integer() }
    mutating func uint64() throws -> UInt64 { try integer() }

    private mutating func integer<T: FixedWidthInteger>() throws -> T {
        let raw = try bytes(MemoryLayout<T>.size)
        return raw.reversed().reduce(T(0)) { ($0 << 8) | T($1) }
    }
}
