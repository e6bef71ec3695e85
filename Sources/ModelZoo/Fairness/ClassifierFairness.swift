/// Computes a `ClassifierFairnessReport` from labels, scores and sensitive attributes.
///
/// Exists so that the models engage trains and any file of predictions (`engage fairness`) are
/// audited by the same code, with numbers that equal Fairlearn's on the same predictions.
public struct ClassifierFairness: Sendable {
    public var threshold: Double
    public var minDisparateImpact: Double
    public var calibrationBins: Int

    public init(threshold: Double = 0.5, minDisparateImpact: Double = 0.8, calibrationBins: Int = 10) {
        self.threshold = threshold
        self.minDisparateImpact = minDisparateImpact
        self.calibrationBins = calibrationBins
    }

    /// `labels` are 0/1; `scores` are finite (probabilities, for calibration). `labelName` and
    /// `scoreName` name the inputs in errors.
    public func report(labels: [Double], scores: [Double], sensitive: [SensitiveAttribute],
                       labelName: String = "label", scoreName: String = "score") throws -> ClassifierFairnessReport {
        try validateSettings()
        guard !labels.isEmpty else { throw FairnessError.empty }
        guard scores.count == labels.count else {
            throw FairnessError.lengthMismatch(what: "scores '\(scoreName)'", expected: labels.count, actual: scores.count)
        }
        for attribute in sensitive where attribute.rowCount != labels.count {
            throw FairnessError.lengthMismatch(what: "sensitive attribute '\(attribute.name)'", expected: labels.count, actual: attribute.rowCount)
        }
        try FairnessInput.requireBinary(labels, column: labelName)
        try FairnessInput.requireFinite(scores, column: scoreName)

        let curve = CalibrationCurve(bins: calibrationBins)
        let overall = groupMetrics(group: "all", rows: Array(labels.indices), labels: labels, scores: scores, curve: curve)
        let attributes = sensitive.map { attribute in
            let groups = zip(attribute.groups, attribute.rowsByGroup()).map { name, rows in
                groupMetrics(group: name, rows: rows, labels: labels, scores: scores, curve: curve)
            }
            return compare(attribute: attribute.name, groups: groups)
        }
        let impacts = attributes.compactMap(\.disparateImpact)
        return ClassifierFairnessReport(threshold: threshold, minDisparateImpact: minDisparateImpact, overall: overall,
                                        attributes: attributes, worstDisparateImpact: impacts.min(),
                                        verdict: FourFifthsVerdict.combining(attributes.map(\.verdict)))
    }

    private func validateSettings() throws {
        guard threshold.isFinite else { throw FairnessError.invalidSetting(name: "threshold", value: "\(threshold)", expected: "a finite number") }
        guard minDisparateImpact.isFinite, minDisparateImpact >= 0, minDisparateImpact <= 1 else {
            throw FairnessError.invalidSetting(name: "min_disparate_impact", value: "\(minDisparateImpact)", expected: "a number in [0, 1]")
        }
        guard calibrationBins > 0 else {
            throw FairnessError.invalidSetting(name: "calibration_bins", value: "\(calibrationBins)", expected: "at least 1")
        }
    }

    private func groupMetrics(group: String, rows: [Int], labels: [Double], scores: [Double], curve: CalibrationCurve) -> ClassifierGroupMetrics {
        var positives = 0, selected = 0, truePositives = 0, falsePositives = 0
        var scoreSum = 0.0
        var groupLabels = [Double](repeating: 0, count: rows.count)
        var groupScores = [Double](repeating: 0, count: rows.count)
        let threshold = self.threshold
        labels.withUnsafeBufferPointer { y in
            scores.withUnsafeBufferPointer { s in
                groupLabels.withUnsafeMutableBufferPointer { gy in
                    groupScores.withUnsafeMutableBufferPointer { gs in
                        for (i, row) in rows.enumerated() {
                            let positive = y[row] == 1
                            let chosen = s[row] > threshold
                            if positive { positives += 1 }
                            if chosen {
                                selected += 1
                                if positive { truePositives += 1 } else { falsePositives += 1 }
                            }
                            scoreSum += s[row]
                            gy[i] = y[row]
                            gs[i] = s[row]
                        }
                    }
                }
            }
        }
        let count = rows.count
        let negatives = count - positives
        let auc = Metrics.auc(labels: groupLabels, scores: groupScores)
        return ClassifierGroupMetrics(
            group: group, count: count, positives: positives, selected: selected,
            truePositives: truePositives, falsePositives: falsePositives,
            selectionRate: Double(selected) / Double(count),
            truePositiveRate: positives == 0 ? 0 : Double(truePositives) / Double(positives),
            falsePositiveRate: negatives == 0 ? 0 : Double(falsePositives) / Double(negatives),
            auc: auc.isNaN ? nil : auc,
            meanScore: scoreSum / Double(count), observedRate: Double(positives) / Double(count),
            calibration: curve.curve(labels: labels, scores: scores, rows: rows))
    }

    private func compare(attribute: String, groups: [ClassifierGroupMetrics]) -> ClassifierAttributeFairness {
        let selection = groups.map(\.selectionRate)
        let tpr = groups.map(\.truePositiveRate)
        let fpr = groups.map(\.falsePositiveRate)
        let tprDifference = Disparity.difference(tpr), fprDifference = Disparity.difference(fpr)
        var oddsRatio: Double?
        if let tprRatio = Disparity.ratio(tpr), let fprRatio = Disparity.ratio(fpr) { oddsRatio = min(tprRatio, fprRatio) }
        let parityRatio = Disparity.ratio(selection)
        return ClassifierAttributeFairness(
            attribute: attribute, groups: groups,
            demographicParityDifference: Disparity.difference(selection), demographicParityRatio: parityRatio,
            truePositiveRateDifference: tprDifference, falsePositiveRateDifference: fprDifference,
            equalizedOddsDifference: max(tprDifference, fprDifference), equalizedOddsRatio: oddsRatio,
            disparateImpact: parityRatio,
            verdict: FourFifthsVerdict(disparateImpact: parityRatio, threshold: minDisparateImpact))
    }
}

/// Checks on the numbers a fairness report is computed from.
enum FairnessInput {
    static func requireBinary(_ values: [Double], column: String) throws {
        try values.withUnsafeBufferPointer { v in
            for row in 0..<v.count where v[row] != 0 && v[row] != 1 {
                throw FairnessError.invalidValue(column: column, row: row, value: v[row], expected: "a 0/1 label")
            }
        }
    }

    static func requireFinite(_ values: [Double], column: String) throws {
        try values.withUnsafeBufferPointer { v in
            for row in 0..<v.count where !v[row].isFinite {
                throw FairnessError.invalidValue(column: column, row: row, value: v[row], expected: "a finite number")
            }
        }
    }
}
