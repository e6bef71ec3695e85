/// A regressor's predictions and errors for one group of one sensitive attribute (or all rows).
public struct RegressionGroupMetrics: Codable, Sendable, Equatable {
    public var group: String
    public var count: Int
    public var meanPrediction: Double
    public var meanLabel: Double
    /// scikit-learn's `mean_absolute_error` on the group's rows.
    public var mae: Double
    /// Rows among the top share of predictions (see `RegressionFairnessReport.topShare`).
    public var selected: Int
    public var selectionRate: Double
}

/// The between-group comparison of a regressor for one sensitive attribute.
public struct RegressionAttributeFairness: Codable, Sendable, Equatable {
    public var attribute: String
    public var groups: [RegressionGroupMetrics]
    /// max − min of the groups' mean predictions.
    public var meanPredictionDifference: Double
    /// max − min of the groups' MAE.
    public var maeDifference: Double
    /// min / max of the groups' rates of being selected into the top share; nil when no group is.
    public var disparateImpact: Double?
    public var verdict: FourFifthsVerdict
}

/// Fairness of a regressor (engagement, lifetime value) across every sensitive attribute.
public struct RegressionFairnessReport: Codable, Sendable, Equatable {
    /// The share of rows with the highest predictions that counts as selected (0.2: the top 20%).
    public var topShare: Double
    /// The smallest prediction that is selected: every row predicted at least this is selected,
    /// ties included, so slightly more than `topShare` may be.
    public var selectionCutoff: Double
    public var minDisparateImpact: Double
    public var overall: RegressionGroupMetrics
    public var attributes: [RegressionAttributeFairness]
    public var worstDisparateImpact: Double?
    public var verdict: FourFifthsVerdict
}

/// Computes a `RegressionFairnessReport`: per group mean prediction and MAE, and the disparate
/// impact of selecting the rows with the top share of predictions.
///
/// Exists because a regressor's output is used to pick people (the most valuable, the most
/// engaged), so the four-fifths screen applies to whoever the top of its ranking holds.
/// The top share is the `round(topShare · n)` highest predictions (at least one); rows tied
/// with the last of them are selected too, so the cut never depends on row order.
public struct RegressionFairness: Sendable {
    public var topShare: Double
    public var minDisparateImpact: Double

    public init(topShare: Double = 0.2, minDisparateImpact: Double = 0.8) {
        self.topShare = topShare
        self.minDisparateImpact = minDisparateImpact
    }

    public func report(labels: [Double], predictions: [Double], sensitive: [SensitiveAttribute],
                       labelName: String = "label", predictionName: String = "prediction") throws -> RegressionFairnessReport {
        guard topShare > 0, topShare <= 1 else {
            throw FairnessError.invalidSetting(name: "top_share", value: "\(topShare)", expected: "a share in (0, 1]")
        }
        guard minDisparateImpact.isFinite, minDisparateImpact >= 0, minDisparateImpact <= 1 else {
            throw FairnessError.invalidSetting(name: "min_disparate_impact", value: "\(minDisparateImpact)", expected: "a number in [0, 1]")
        }
        guard !labels.isEmpty else { throw FairnessError.empty }
        guard predictions.count == labels.count else {
            throw FairnessError.lengthMismatch(what: "predictions '\(predictionName)'", expected: labels.count, actual: predictions.count)
        }
        for attribute in sensitive where attribute.rowCount != labels.count {
            throw FairnessError.lengthMismatch(what: "sensitive attribute '\(attribute.name)'", expected: labels.count, actual: attribute.rowCount)
        }
        try FairnessInput.requireFinite(labels, column: labelName)
        try FairnessInput.requireFinite(predictions, column: predictionName)

        let cutoff = selectionCutoff(predictions)
        let overall = groupMetrics(group: "all", rows: Array(labels.indices), labels: labels, predictions: predictions, cutoff: cutoff)
        let attributes = sensitive.map { attribute in
            let groups = zip(attribute.groups, attribute.rowsByGroup()).map { name, rows in
                groupMetrics(group: name, rows: rows, labels: labels, predictions: predictions, cutoff: cutoff)
            }
            let impact = Disparity.ratio(groups.map(\.selectionRate))
            return RegressionAttributeFairness(
                attribute: attribute.name, groups: groups,
                meanPredictionDifference: Disparity.difference(groups.map(\.meanPrediction)),
                maeDifference: Disparity.difference(groups.map(\.mae)), disparateImpact: impact,
                verdict: FourFifthsVerdict(disparateImpact: impact, threshold: minDisparateImpact))
        }
        return RegressionFairnessReport(topShare: topShare, selectionCutoff: cutoff, minDisparateImpact: minDisparateImpact,
                                        overall: overall, attributes: attributes,
                                        worstDisparateImpact: attributes.compactMap(\.disparateImpact).min(),
                                        verdict: FourFifthsVerdict.combining(attributes.map(\.verdict)))
    }

    /// The `k`-th largest prediction, `k = round(topShare · n)` clamped to `1...n`.
    func selectionCutoff(_ predictions: [Double]) -> Double {
        let k = min(predictions.count, max(1, Int((topShare * Double(predictions.count)).rounded())))
        return predictions.sorted(by: >)[k - 1]
    }

    private func groupMetrics(group: String, rows: [Int], labels: [Double], predictions: [Double], cutoff: Double) -> RegressionGroupMetrics {
        var predictionSum = 0.0, labelSum = 0.0, absoluteErrors = 0.0
        var selected = 0
        labels.withUnsafeBufferPointer { y in
            predictions.withUnsafeBufferPointer { p in
                for row in rows {
                    predictionSum += p[row]
                    labelSum += y[row]
                    absoluteErrors += abs(y[row] - p[row])
                    if p[row] >= cutoff { selected += 1 }
                }
            }
        }
        let n = Double(rows.count)
        return RegressionGroupMetrics(group: group, count: rows.count, meanPrediction: predictionSum / n, meanLabel: labelSum / n,
                                      mae: absoluteErrors / n, selected: selected, selectionRate: Double(selected) / n)
    }
}
