/// A binary classifier's outcomes for one group of one sensitive attribute (or for all rows).
///
/// Rates follow Fairlearn's `selection_rate`, `true_positive_rate` and `false_positive_rate`:
/// a group without positives has a true positive rate of 0, and one without negatives a false
/// positive rate of 0 (scikit-learn's normalised confusion matrix turns 0/0 into 0).
public struct ClassifierGroupMetrics: Codable, Sendable, Equatable {
    public var group: String
    public var count: Int
    /// Rows labelled 1.
    public var positives: Int
    /// Rows predicted 1 (score above the threshold).
    public var selected: Int
    public var truePositives: Int
    public var falsePositives: Int
    public var selectionRate: Double
    public var truePositiveRate: Double
    public var falsePositiveRate: Double
    /// scikit-learn's `roc_auc_score` on the group's scores; nil when the group holds one class only.
    public var auc: Double?
    /// Calibration in the large: the mean score beside the observed positive rate.
    public var meanScore: Double
    public var observedRate: Double
    /// scikit-learn's `calibration_curve` (uniform bins); nil when scores are not in [0, 1].
    public var calibration: [CalibrationBin]?
}

/// The between-group comparison of a classifier for one sensitive attribute.
public struct ClassifierAttributeFairness: Codable, Sendable, Equatable {
    public var attribute: String
    public var groups: [ClassifierGroupMetrics]
    /// Fairlearn's `demographic_parity_difference`: max − min selection rate.
    public var demographicParityDifference: Double
    /// Fairlearn's `demographic_parity_ratio`: min / max selection rate; nil when nobody is selected.
    public var demographicParityRatio: Double?
    public var truePositiveRateDifference: Double
    public var falsePositiveRateDifference: Double
    /// Fairlearn's `equalized_odds_difference` (worst case): the larger of the TPR and FPR differences.
    public var equalizedOddsDifference: Double
    /// Fairlearn's `equalized_odds_ratio` (worst case): the smaller of the TPR and FPR ratios;
    /// nil when either ratio is 0/0.
    public var equalizedOddsRatio: Double?
    /// AIF360's disparate impact with the unprivileged/privileged pair generalised to the groups
    /// with the lowest and highest selection rate (so it equals the demographic parity ratio).
    public var disparateImpact: Double?
    public var verdict: FourFifthsVerdict
}

/// Fairness of a binary classifier across every sensitive attribute.
public struct ClassifierFairnessReport: Codable, Sendable, Equatable {
    /// A row is selected (predicted 1) when its score is strictly greater than this.
    public var threshold: Double
    /// The disparate impact at or above which an attribute passes (0.8: the four-fifths rule).
    public var minDisparateImpact: Double
    public var overall: ClassifierGroupMetrics
    public var attributes: [ClassifierAttributeFairness]
    /// The lowest disparate impact over the attributes; nil when none is defined.
    public var worstDisparateImpact: Double?
    /// `fail` when any attribute fails the four-fifths rule.
    public var verdict: FourFifthsVerdict

    public func attribute(_ name: String) -> ClassifierAttributeFairness? {
        attributes.first { $0.attribute == name }
    }
}
