import Foundation

/// Model quality measures, defined exactly as scikit-learn defines them.
///
/// Reports and promotion gates compare numbers across tools, so each function states the
/// scikit-learn function it matches. Labels and predictions must have equal length
/// (a mismatch is a programming error and traps); empty input gives NaN where
/// scikit-learn would raise.
public enum Metrics {
    /// `roc_auc_score`: the trapezoidal area under the ROC curve, so tied scores count
    /// one half (equal to the Mann–Whitney statistic with average ranks). Labels are 0/1
    /// (a label ≥ 0.5 is positive). NaN when only one class is present.
    public static func auc(labels: [Double], scores: [Double]) -> Double {
        precondition(labels.count == scores.count, "auc: \(labels.count) labels for \(scores.count) scores")
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (!scores[$0].isNaN && scores[$1].isNaN) }
        var positives = 0.0, negatives = 0.0
        var area = 0.0
        var i = 0
        while i < order.count {
            var groupPositives = 0.0, groupNegatives = 0.0
            let score = scores[order[i]]
            repeat {
                if labels[order[i]] >= 0.5 { groupPositives += 1 } else { groupNegatives += 1 }
                i += 1
            } while i < order.count && scores[order[i]] == score
            area += groupNegatives * (positives + groupPositives / 2)
            positives += groupPositives
            negatives += groupNegatives
        }
        guard positives > 0, negatives > 0 else { return .nan }
        return area / (positives * negatives)
    }

    /// `r2_score`: 1 − SS_res / SS_tot; for constant labels 1 when the fit is perfect, else 0.
    public static func r2(labels: [Double], predictions: [Double]) -> Double {
        precondition(labels.count == predictions.count, "r2: \(labels.count) labels for \(predictions.count) predictions")
        guard !labels.isEmpty else { return .nan }
        let mean = labels.reduce(0, +) / Double(labels.count)
        var residual = 0.0, total = 0.0
        for (y, p) in zip(labels, predictions) {
            residual += (y - p) * (y - p)
            total += (y - mean) * (y - mean)
        }
        if total == 0 { return residual == 0 ? 1 : 0 }
        return 1 - residual / total
    }

    /// `root_mean_squared_error`.
    public static func rmse(labels: [Double], predictions: [Double]) -> Double {
        precondition(labels.count == predictions.count, "rmse: \(labels.count) labels for \(predictions.count) predictions")
        guard !labels.isEmpty else { return .nan }
        var sum = 0.0
        for (y, p) in zip(labels, predictions) { sum += (y - p) * (y - p) }
        return (sum / Double(labels.count)).squareRoot()
    }

    /// `mean_absolute_error`.
    public static func mae(labels: [Double], predictions: [Double]) -> Double {
        precondition(labels.count == predictions.count, "mae: \(labels.count) labels for \(predictions.count) predictions")
        guard !labels.isEmpty else { return .nan }
        var sum = 0.0
        for (y, p) in zip(labels, predictions) { sum += abs(y - p) }
        return sum / Double(labels.count)
    }

    /// The clipping of `logLoss`: float64 machine epsilon, as scikit-learn ≥ 1.5 uses
    /// (`np.finfo(float64).eps`, 2.22e-16), not the older fixed 1e-15.
    public static let logLossEpsilon = Double.ulpOfOne

    /// Log loss (`logloss`) for 0/1 labels and positive-class probabilities: both p and 1 − p are
    /// clipped to [ε, 1 − ε] before taking logs.
    public static func logLoss(labels: [Double], probabilities: [Double]) -> Double {
        precondition(labels.count == probabilities.count,
                     "logLoss: \(labels.count) labels for \(probabilities.count) probabilities")
        guard !labels.isEmpty else { return .nan }
        let eps = logLossEpsilon
        var sum = 0.0
        for (y, p) in zip(labels, probabilities) {
            let positive = min(max(p, eps), 1 - eps)
            let negative = min(max(1 - p, eps), 1 - eps)
            sum -= y >= 0.5 ? log(positive) : log(negative)
        }
        return sum / Double(labels.count)
    }

    /// `mean_pinball_loss`: mean of alpha·(y − p) when y ≥ p, else (1 − alpha)·(p − y).
    public static func pinball(labels: [Double], predictions: [Double], alpha: Double) -> Double {
        precondition(labels.count == predictions.count, "pinball: \(labels.count) labels for \(predictions.count) predictions")
        guard !labels.isEmpty else { return .nan }
        var sum = 0.0
        for (y, p) in zip(labels, predictions) {
            let diff = y - p
            sum += diff >= 0 ? alpha * diff : (alpha - 1) * diff
        }
        return sum / Double(labels.count)
    }

    /// `accuracy_score` of the classes `probability > threshold` (so 0.5 exactly is class 0,
    /// as scikit-learn's classifiers decide) against 0/1 labels.
    public static func accuracy(labels: [Double], probabilities: [Double], threshold: Double = 0.5) -> Double {
        precondition(labels.count == probabilities.count,
                     "accuracy: \(labels.count) labels for \(probabilities.count) probabilities")
        guard !labels.isEmpty else { return .nan }
        var correct = 0
        for (y, p) in zip(labels, probabilities) where (p > threshold) == (y >= 0.5) { correct += 1 }
        return Double(correct) / Double(labels.count)
    }
}
