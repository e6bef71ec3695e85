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
        /// One attribute of a section: each group's numbers by name, then the attribute's own.
        func add<Group>(_ attribute: String, _ groups: [Group], name: (Group) -> String,
                        _ perGroup: [(String, (Group) -> Double?)], _ perAttribute: [(String, Double?)]) {
            for group in groups {
                for (metric, value) in perGroup {
                    if let value = value(group) { out.append(FairnessMeasure(attribute: attribute, group: name(group), metric: metric, value: value)) }
                }
            }
            for case let (metric, value?) in perAttribute {
                out.append(FairnessMeasure(attribute: attribute, group: nil, metric: metric, value: value))
            }
        }
        for a in classifier?.attributes ?? [] {
            add(a.attribute, a.groups, name: \.group, [
                ("count", { Double($0.count) }), ("selection_rate", \.selectionRate), ("true_positive_rate", \.truePositiveRate),
                ("false_positive_rate", \.falsePositiveRate), ("auc", \.auc), ("mean_score", \.meanScore), ("observed_rate", \.observedRate),
            ], [
                ("demographic_parity_difference", a.demographicParityDifference), ("demographic_parity_ratio", a.demographicParityRatio),
                ("equalized_odds_difference", a.equalizedOddsDifference), ("equalized_odds_ratio", a.equalizedOddsRatio),
                (FairnessMeasure.disparateImpact, a.disparateImpact),
            ])
        }
        for a in regressor?.attributes ?? [] {
            add(a.attribute, a.groups, name: \.group, [
                ("count", { Double($0.count) }), ("mean_prediction", \.meanPrediction), ("mae", \.mae), ("selection_rate", \.selectionRate),
            ], [
                ("mean_prediction_difference", a.meanPredictionDifference), ("mae_difference", a.maeDifference),
                (FairnessMeasure.disparateImpact, a.disparateImpact),
            ])
        }
        for a in recommender?.attributes ?? [] {
            add(a.attribute, a.groups, name: \.group, [("count", { Double($0.users) }), ("hit_rate", \.hitRate)],
                [("hit_rate_difference", a.hitRateDifference), ("hit_rate_ratio", a.hitRateRatio)])
        }
        for proxy in proxies {
            out.append(FairnessMeasure(attribute: proxy.attribute, group: nil, metric: "proxy_\(proxy.measure.rawValue):\(proxy.feature)", value: proxy.value))
        }
        return out
    }
}
