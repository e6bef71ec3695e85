import Foundation
import ModelZoo

/// A point of a curve: `x` then `y` (false/true positive rate for ROC, recall/precision for PR).
struct CurvePoint: Codable, Sendable, Equatable {
    var x: Double
    var y: Double
}

/// One non-empty score bin of a calibration curve.
struct CalibrationPoint: Codable, Sendable, Equatable {
    var meanScore: Double
    var observedRate: Double
    var count: Int
}

/// The ROC and precision-recall curves and the calibration of a binary classifier on its test rows.
///
/// Exists so the report draws the curves a reader would get from scikit-learn: the ROC curve is
/// `roc_curve(y, s)` (intermediate collinear points dropped), the PR curve
/// `precision_recall_curve(y, s)`, the calibration `calibration_curve(y, s, n_bins=10)`, and the
/// summary numbers are `auc(fpr, tpr)` and `average_precision_score(y, s)`.
struct ClassifierCurves: Codable, Sendable, Equatable {
    /// Test rows the curves were computed on; nil when the curves were stored without it.
    var rows: Int?
    var positives: Int?
    /// From (0, 0) to (1, 1), false positive rate on x, true positive rate on y.
    var roc: [CurvePoint]
    /// Recall on x, precision on y, recall decreasing (scikit-learn's order, ending at recall 0, precision 1).
    var precisionRecall: [CurvePoint]
    var calibration: [CalibrationPoint]
    /// The trapezoidal area under ``roc``; nil when the ROC curve is undefined (one class only).
    var auc: Double?
    /// Σ (Rₙ − Rₙ₋₁) Pₙ over ``precisionRecall``; nil when undefined.
    var averagePrecision: Double?

    /// The share of positive rows, the precision of a classifier that guesses; nil when unknown.
    var prevalence: Double? {
        guard let rows, let positives, rows > 0 else { return nil }
        return Double(positives) / Double(rows)
    }
}

extension ClassifierCurves {
    /// The curves of `scores` against 0/1 `labels` (same length; rows with a non-finite score or
    /// label are left out by the caller). `calibrationBins` nil leaves calibration out, for scores
    /// that are not probabilities (an anomaly score).
    init(labels: [Double], scores: [Double], calibrationBins: Int? = 10) {
        precondition(labels.count == scores.count, "one label per score")
        let counts = ThresholdCounts(labels: labels, scores: scores)
        rows = labels.count
        positives = Int(counts.totalPositives)
        roc = counts.roc()
        precisionRecall = counts.precisionRecall()
        calibration = (calibrationBins.flatMap { CalibrationCurve(bins: $0).curve(labels: labels, scores: scores, rows: Array(labels.indices)) } ?? [])
            .map { CalibrationPoint(meanScore: $0.meanScore, observedRate: $0.observedRate, count: $0.count) }
        auc = ClassifierCurves.trapezoidArea(roc)
        averagePrecision = ClassifierCurves.averagePrecision(precisionRecall)
    }

    /// Area under a curve whose x never decreases (NaN coordinates make it nil).
    static func trapezoidArea(_ points: [CurvePoint]) -> Double? {
        guard points.count >= 2, points.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else { return nil }
        var area = 0.0
        for i in 1..<points.count {
            area += (points[i].x - points[i - 1].x) * (points[i].y + points[i - 1].y) / 2
        }
        return area
    }

    /// scikit-learn's step-wise average precision over a PR curve in its own order (recall decreasing).
    static func averagePrecision(_ points: [CurvePoint]) -> Double? {
        guard points.count >= 2, points.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else { return nil }
        var sum = 0.0
        for i in 0..<(points.count - 1) {
            sum -= (points[i + 1].x - points[i].x) * points[i].y
        }
        return sum
    }
}

/// True and false positive counts at each distinct score threshold, highest score first:
/// scikit-learn's `_binary_clf_curve`.
private struct ThresholdCounts {
    var truePositives: [Double] = []
    var falsePositives: [Double] = []

    var totalPositives: Double { truePositives.last ?? 0 }
    var totalNegatives: Double { falsePositives.last ?? 0 }

    init(labels: [Double], scores: [Double]) {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        truePositives.reserveCapacity(order.count)
        falsePositives.reserveCapacity(order.count)
        var tp = 0.0
        labels.withUnsafeBufferPointer { y in
            scores.withUnsafeBufferPointer { s in
                for (position, row) in order.enumerated() {
                    tp += y[row]
                    let isLastOfThreshold = position == order.count - 1 || s[order[position + 1]] != s[row]
                    if isLastOfThreshold {
                        truePositives.append(tp)
                        falsePositives.append(Double(position + 1) - tp)
                    }
                }
            }
        }
    }

    /// `roc_curve(drop_intermediate=True)`: a point is kept where the curve bends, then (0, 0) is prepended.
    func roc() -> [CurvePoint] {
        var kept: [Int] = []
        let n = truePositives.count
        for i in 0..<n {
            if i == 0 || i == n - 1 || n <= 2 {
                kept.append(i)
                continue
            }
            let fpBend = falsePositives[i + 1] - 2 * falsePositives[i] + falsePositives[i - 1]
            let tpBend = truePositives[i + 1] - 2 * truePositives[i] + truePositives[i - 1]
            if fpBend != 0 || tpBend != 0 { kept.append(i) }
        }
        let negatives = totalNegatives, positives = totalPositives
        return [CurvePoint(x: 0, y: 0)] + kept.map {
            CurvePoint(x: falsePositives[$0] / negatives, y: truePositives[$0] / positives)
        }
    }

    /// `precision_recall_curve`: one point per threshold, recall decreasing, then (recall 0, precision 1).
    func precisionRecall() -> [CurvePoint] {
        let positives = totalPositives
        var points: [CurvePoint] = []
        points.reserveCapacity(truePositives.count + 1)
        for i in truePositives.indices.reversed() {
            let predicted = truePositives[i] + falsePositives[i]
            let precision = predicted == 0 ? 0 : truePositives[i] / predicted
            let recall = positives == 0 ? 1 : truePositives[i] / positives
            points.append(CurvePoint(x: recall, y: precision))
        }
        points.append(CurvePoint(x: 0, y: 1))
        return points
    }
}
