import Foundation

/// What a SHAP explanation of many rows says in aggregate: per feature the mean |φ| (global
/// importance), the mean φ, and a sample of (feature value, φ) points for a summary plot.
public struct SHAPSummary: Codable, Sendable, Equatable {
    /// One feature's share of the explanation.
    public struct Feature: Codable, Sendable, Equatable {
        public var feature: String
        public var meanAbsSHAP: Double
        public var meanSHAP: Double
        /// Pairs of (feature value, SHAP value); missing feature values are left out.
        public var points: [[Double]]
    }

    public var expectedValue: Double
    public var rows: Int
    /// Sorted by mean |φ|, largest first.
    public var features: [Feature]

    public static let registryName = "shap_summary"

    public init(explainer: TreeSHAP, x: FeatureMatrix, values: [Double], pointsPerFeature: Int = 200) {
        let count = explainer.model.featureNames.count
        let rows = count == 0 ? 0 : values.count / count
        let stride = max(1, rows / max(pointsPerFeature, 1))
        var features: [Feature] = []
        for (f, name) in explainer.model.featureNames.enumerated() {
            var sumAbs = 0.0, sum = 0.0
            for r in 0..<rows {
                let phi = values[r * count + f]
                sumAbs += abs(phi)
                sum += phi
            }
            let column = x.index(of: name).map { x.columns[$0] }
            var points: [[Double]] = []
            if let column {
                for r in Swift.stride(from: 0, to: rows, by: stride) where column[r].isFinite {
                    points.append([column[r], values[r * count + f]])
                }
            }
            features.append(Feature(feature: name, meanAbsSHAP: rows == 0 ? 0 : sumAbs / Double(rows),
                                    meanSHAP: rows == 0 ? 0 : sum / Double(rows), points: points))
        }
        expectedValue = explainer.expectedValue
        self.rows = rows
        self.features = features.sorted { $0.meanAbsSHAP > $1.meanAbsSHAP }
    }
}
