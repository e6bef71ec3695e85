/// One number of a fairness report, by attribute, group and snake_case metric name:
/// `gender` / `female` / `selection_rate` = 0.31, or `gender` / nil / `disparate_impact` = 0.86.
///
/// Exists so that the registry can store a report as rows it can query and compare version by
/// version, without knowing the report's shape. Undefined values are left out.
public struct FairnessMeasure: Codable, Sendable, Equatable {
    public var attribute: String
    /// nil for numbers that compare the groups of an attribute.
    public var group: String?
    public var metric: String
    public var value: Double

    public init(attribute: String, group: String?, metric: String, value: Double) {
        self.attribute = attribute
        self.group = group
        self.metric = metric
        self.value = value
    }

    /// The attribute-level metric the promotion gate and `--where disparate_impact` read.
    public static let disparateImpact = "disparate_impact"
}

extension FairnessReport {
    /// Every per-group and per-attribute number of every section, in report order.
    public func numbers() -> [FairnessMeasure] {
        var out: [FairnessMeasure] = []
        func add(_ attribute: String, _ group: String?, _ metric: String, _ value: Double?) {
            if let value { out.append(FairnessMeasure(attribute: attribute, group: group, metric: metric, value: value)) }
        }
        for attribute in classifier?.attributes ?? [] {
            let name = attribute.attribute
            for g in attribute.groups {
                add(name, g.group, "count", Double(g.count))
                add(name, g.group, "selection_rate", g.selectionRate)
                add(name, g.group, "true_positive_rate", g.truePositiveRate)
                add(name, g.group, "false_positive_rate", g.falsePositiveRate)
                add(name, g.group, "auc", g.auc)
                add(name, g.group, "mean_score", g.meanScore)
                add(name, g.group, "observed_rate", g.observedRate)
            }
            add(name, nil, "demographic_parity_difference", attribute.demographicParityDifference)
            add(name, nil, "demographic_parity_ratio", attribute.demographicParityRatio)
            add(name, nil, "equalized_odds_difference", attribute.equalizedOddsDifference)
            add(name, nil, "equalized_odds_ratio", attribute.equalizedOddsRatio)
            add(name, nil, "disparate_impact", attribute.disparateImpact)
        }
        for attribute in regressor?.attributes ?? [] {
            let name = attribute.attribute
            for g in attribute.groups {
                add(name, g.group, "count", Double(g.count))
                add(name, g.group, "mean_prediction", g.meanPrediction)
                add(name, g.group, "mae", g.mae)
                add(name, g.group, "selection_rate", g.selectionRate)
            }
            add(name, nil, "mean_prediction_difference", attribute.meanPredictionDifference)
            add(name, nil, "mae_difference", attribute.maeDifference)
            add(name, nil, "disparate_impact", attribute.disparateImpact)
        }
        for attribute in recommender?.attributes ?? [] {
            let name = attribute.attribute
            for g in attribute.groups {
                add(name, g.group, "count", Double(g.users))
                add(name, g.group, "hit_rate", g.hitRate)
            }
            add(name, nil, "hit_rate_difference", attribute.hitRateDifference)
            add(name, nil, "hit_rate_ratio", attribute.hitRateRatio)
        }
        for proxy in proxies {
            add(proxy.attribute, nil, "proxy_\(proxy.measure.rawValue):\(proxy.feature)", proxy.value)
        }
        return out
    }
}
