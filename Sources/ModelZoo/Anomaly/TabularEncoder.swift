import Foundation

/// Turns feature rows into the dense, centred inputs a neural network needs: numeric features
/// standardised with the training mean and standard deviation (missing → 0, the mean),
/// categorical features one-hot over their most frequent training codes (missing or rare → all
/// zeros).
///
/// Exists because a network's loss weighs every input equally: unscaled counts in the
/// thousands would drown ratios in [0, 1], and category codes are not quantities.
public struct TabularEncoder: Sendable, Equatable {
    /// How one input feature becomes network inputs.
    public enum Feature: Sendable, Equatable {
        /// (x − mean) / sd, optionally after the signed log transform sign(x)·ln(1 + |x|).
        case numeric(mean: Double, sd: Double, logTransform: Bool)
        /// One input per listed code, 1 for the row's code.
        case categorical(codes: [Int])
    }

    public let featureNames: [String]
    public let features: [Feature]
    /// Network inputs per row.
    public let width: Int

    /// Most one-hot inputs a categorical feature gets; rarer codes encode as all zeros.
    public static let maximumCategoryInputs = 32

    public init(featureNames: [String], features: [Feature]) throws {
        guard featureNames.count == features.count else {
            throw AnomalyError.invalidModel("\(featureNames.count) feature names for \(features.count) encodings")
        }
        var width = 0
        for (name, feature) in zip(featureNames, features) {
            switch feature {
            case .numeric(let mean, let sd, _):
                guard mean.isFinite, sd.isFinite, sd > 0 else {
                    throw AnomalyError.invalidModel("feature '\(name)' has mean \(mean) and standard deviation \(sd)")
                }
                width += 1
            case .categorical(let codes):
                guard codes.count <= Self.maximumCategoryInputs, codes.allSatisfy({ $0 >= 0 && $0 <= Int(Int32.max) }),
                      Set(codes).count == codes.count else {
                    throw AnomalyError.invalidModel("feature '\(name)' has an invalid one-hot code list")
                }
                width += codes.count
            }
        }
        guard width >= 1 else { throw AnomalyError.invalidModel("the encoding has no inputs") }
        self.featureNames = featureNames
        self.features = features
        self.width = width
    }

    /// Fits the encoding to training data. `logTransform` applies the signed log to every
    /// numeric feature before standardising.
    public init(fitting x: FeatureMatrix, logTransform: Bool) throws {
        var features = [Feature]()
        for (index, column) in x.columns.enumerated() {
            if x.isCategorical[index] {
                var counts = [Int: Int]()
                for v in column where v >= 0 { counts[Int(v), default: 0] += 1 }
                let ranked = counts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
                features.append(.categorical(codes: ranked.prefix(Self.maximumCategoryInputs).map(\.key).sorted()))
            } else {
                var sum = 0.0, count = 0.0
                for v in column where v.isFinite { sum += Self.transform(v, logTransform); count += 1 }
                let mean = count > 0 ? sum / count : 0
                var squares = 0.0
                for v in column where v.isFinite { let d = Self.transform(v, logTransform) - mean; squares += d * d }
                let sd = count > 1 ? (squares / count).squareRoot() : 0
                features.append(.numeric(mean: mean, sd: sd > 1e-12 ? sd : 1, logTransform: logTransform))
            }
        }
        let widthCheck = features.reduce(0) { total, feature in
            if case .categorical(let codes) = feature { return total + codes.count }
            return total + 1
        }
        guard widthCheck > 0 else { throw AnomalyError.noFeatures }
        try self.init(featureNames: x.names, features: features)
    }

    @inline(__always)
    static func transform(_ v: Double, _ log: Bool) -> Double {
        log ? (v < 0 ? -Foundation.log1p(-v) : Foundation.log1p(v)) : v
    }

    /// Encodes every row of `x` (matched by feature name) into a row-major `rowCount × width` matrix.
    func encode(_ x: FeatureMatrix) throws -> [Float] {
        let indices = try x.columnIndices(for: featureNames)
        var out = [Float](repeating: 0, count: x.rowCount * width)
        out.withUnsafeMutableBufferPointer { out in
            var offset = 0
            for (f, feature) in features.enumerated() {
                let column = x.columns[indices[f]]
                switch feature {
                case .numeric(let mean, let sd, let log):
                    for row in 0..<x.rowCount {
                        let v = column[row]
                        out[row * width + offset] = v.isFinite ? Float((Self.transform(v, log) - mean) / sd) : 0
                    }
                    offset += 1
                case .categorical(let codes):
                    var slot = [Int: Int]()
                    for (k, code) in codes.enumerated() { slot[code] = k }
                    for row in 0..<x.rowCount {
                        let v = column[row]
                        if v >= 0, v <= FeatureMatrix.maximumCategoryCode, let k = slot[Int(v)] { out[row * width + offset + k] = 1 }
                    }
                    offset += codes.count
                }
            }
        }
        return out
    }
}
