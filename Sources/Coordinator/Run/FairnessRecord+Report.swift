import ModelZoo
import Registry

extension FairnessRecord {
    /// The registry's queryable form of a fairness report: per attribute its disparate impact and
    /// parity measures, per group its rates, and the four-fifths verdict.
    init(report: FairnessReport, json: String) {
        var measures: [FairnessMeasure] = []
        func add(_ attribute: String, _ group: String?, _ metric: String, _ value: Double?) {
            if let value { measures.append(FairnessMeasure(attribute: attribute, group: group, metric: metric, value: value)) }
        }
        for attribute in report.classifier?.attributes ?? [] {
            add(attribute.attribute, nil, FairnessMeasure.disparateImpact, attribute.disparateImpact)
            add(attribute.attribute, nil, "demographic_parity_difference", attribute.demographicParityDifference)
            add(attribute.attribute, nil, "demographic_parity_ratio", attribute.demographicParityRatio)
            add(attribute.attribute, nil, "equalized_odds_difference", attribute.equalizedOddsDifference)
            add(attribute.attribute, nil, "equalized_odds_ratio", attribute.equalizedOddsRatio)
            for group in attribute.groups {
                add(attribute.attribute, group.group, "selection_rate", group.selectionRate)
                add(attribute.attribute, group.group, "true_positive_rate", group.truePositiveRate)
                add(attribute.attribute, group.group, "false_positive_rate", group.falsePositiveRate)
                add(attribute.attribute, group.group, "auc", group.auc)
                add(attribute.attribute, group.group, "count", Double(group.count))
            }
        }
        for attribute in report.regressor?.attributes ?? [] {
            add(attribute.attribute, nil, FairnessMeasure.disparateImpact, attribute.disparateImpact)
            add(attribute.attribute, nil, "mean_prediction_difference", attribute.meanPredictionDifference)
            add(attribute.attribute, nil, "mae_difference", attribute.maeDifference)
            for group in attribute.groups {
                add(attribute.attribute, group.group, "mean_prediction", group.meanPrediction)
                add(attribute.attribute, group.group, "mae", group.mae)
                add(attribute.attribute, group.group, "selection_rate", group.selectionRate)
                add(attribute.attribute, group.group, "count", Double(group.count))
            }
        }
        self.init(measures: measures, verdict: report.verdict == .fail ? .fail : .pass, body: json)
    }
}
