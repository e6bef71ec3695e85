import Foundation
import ModelZoo

/// Predicted against observed values of a regressor on its test rows, sampled for a scatter plot,
/// with the R² and MAE of all the rows (which match the registered test metrics when the rows are
/// the ones the model was evaluated on).
struct RegressionFit: Codable, Sendable, Equatable {
    var rows: Int
    /// Prediction on x, observed value on y; an evenly spaced sample of the rows.
    var points: [CurvePoint]
    var r2: Double
    var mae: Double

    init(labels: [Double], predictions: [Double], maxPoints: Int = 800) {
        precondition(labels.count == predictions.count, "one label per prediction")
        rows = labels.count
        let step = max(1, Int((Double(labels.count) / Double(max(maxPoints, 1))).rounded(.up)))
        points = stride(from: 0, to: labels.count, by: step).map { CurvePoint(x: predictions[$0], y: labels[$0]) }
        r2 = Metrics.r2(labels: labels, predictions: predictions)
        mae = Metrics.mae(labels: labels, predictions: predictions)
    }
}
