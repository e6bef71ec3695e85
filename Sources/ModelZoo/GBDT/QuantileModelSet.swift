import Foundation

/// Several GBDTs trained for different quantiles of one target, stored as one artifact.
///
/// Predictions are made monotone in the quantile level (sorted per row), so P10 ≤ P50 ≤ P90
/// always; an optional conformal offset widens the outer quantiles to a calibrated coverage.
public struct QuantileModelSet: Sendable, Equatable {
    public let alphas: [Double]
    public let models: [GBDTModel]
    /// Conformalized quantile regression: subtracted from the lowest and added to the highest quantile.
    public var conformalOffset: Double

    public static let artifactKind = "gbdt-quantiles"

    public init(alphas: [Double], models: [GBDTModel], conformalOffset: Double = 0) throws {
        guard alphas.count == models.count, !alphas.isEmpty else { throw ModelInputError("a quantile set needs one model per quantile") }
        let order = Self.ascending(alphas)
        self.alphas = order.map { alphas[$0] }
        self.models = order.map { models[$0] }
        self.conformalOffset = conformalOffset
    }

    /// Positions of `alphas` in ascending order: the order the set keeps its models (and their outputs) in.
    public static func ascending(_ alphas: [Double]) -> [Int] {
        alphas.indices.sorted { alphas[$0] < alphas[$1] }
    }

    /// Per quantile (in ascending order), one prediction per row; never crossing.
    public func predict(_ x: FeatureMatrix, calibrated: Bool = true) throws -> [[Double]] {
        let columns = try models.map { try $0.predict(x) }
        return calibrated ? self.calibrated(columns) : ordered(columns, offset: 0)
    }

    /// Raw model outputs (`predict(_:calibrated: false)`) as `predict` returns them calibrated.
    public func calibrated(_ raw: [[Double]]) -> [[Double]] {
        ordered(raw, offset: alphas.count > 1 ? conformalOffset : 0)
    }

    private func ordered(_ raw: [[Double]], offset: Double) -> [[Double]] {
        var columns = raw
        let rowCount = columns.first?.count ?? 0
        var row = [Double](repeating: 0, count: columns.count)
        for r in 0..<rowCount {
            for q in columns.indices { row[q] = columns[q][r] }
            row.sort()
            row[0] -= offset
            row[row.count - 1] += offset
            row.sort()
            for q in columns.indices { columns[q][r] = row[q] }
        }
        return columns
    }

    /// Body: count (UInt32), conformal offset (Float64), then per model its alpha (Float64) and
    /// its GBDT artifact (UInt64 length + bytes).
    public func encode() -> Data {
        var writer = ModelArtifact.writer(kind: QuantileModelSet.artifactKind)
        writer.write(UInt32(models.count))
        writer.write(conformalOffset)
        for (alpha, model) in zip(alphas, models) {
            let bytes = [UInt8](model.encode())
            writer.write(alpha)
            writer.write(UInt64(bytes.count))
            writer.writeBytes(bytes)
        }
        return ModelArtifact.seal(writer)
    }

    public static func decode(_ data: Data) throws -> QuantileModelSet {
        var reader = try ModelArtifact.reader(for: data, kind: artifactKind)
        let count = Int(try reader.read(UInt32.self, "quantile model count"))
        guard (1...99).contains(count) else { throw ModelArtifactError.corrupt("a quantile set of \(count) models") }
        let offset = try reader.readDouble("conformal offset")
        guard offset.isFinite else { throw ModelArtifactError.corrupt("conformal offset \(offset)") }
        var alphas: [Double] = [], models: [GBDTModel] = []
        for index in 0..<count {
            let alpha = try reader.readDouble("alpha of quantile model \(index)")
            guard alpha > 0, alpha < 1 else { throw ModelArtifactError.corrupt("quantile level \(alpha)") }
            let length = try reader.read(UInt64.self, "length of quantile model \(index)")
            guard length <= UInt64(reader.remaining) else { throw ModelArtifactError.truncated("quantile model \(index)") }
            alphas.append(alpha)
            models.append(try GBDTModel.decode(Data(try reader.readBytes(Int(length), "quantile model \(index)"))))
        }
        try reader.finish("the quantile models")
        return try QuantileModelSet(alphas: alphas, models: models, conformalOffset: offset)
    }
}

/// Conformalized quantile regression (Romano, Patterson & Candès 2019): on held-out rows, the
/// conformity score is how far each label falls outside [low, high]; the offset is the
/// ⌈(n+1)·coverage⌉-th smallest score (negative when the raw interval is too wide), which makes [low − offset, high + offset] cover at least
/// `coverage` of exchangeable new rows.
public enum ConformalCalibration {
    public static func offset(labels: [Double], low: [Double], high: [Double], coverage: Double) -> Double {
        let n = labels.count
        guard n > 0 else { return 0 }
        var scores = [Double](repeating: 0, count: n)
        for i in 0..<n { scores[i] = max(low[i] - labels[i], labels[i] - high[i]) }
        scores.sort()
        let rank = min(n, Int((Double(n + 1) * coverage).rounded(.up)))
        return scores[max(0, rank - 1)]
    }
}
