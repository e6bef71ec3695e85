import Foundation

/// The four-fifths verdict of a fairness report.
public enum FairnessVerdict: String, Codable, Sendable {
    case pass
    case fail
}

/// One fairness number of a version: `gender`/`female`/`selection_rate` = 0.31.
///
/// `group` is nil for attribute-level numbers such as `disparate_impact` or
/// `demographic_parity_ratio`, which compare the groups of an attribute.
public struct FairnessMeasure: Codable, Sendable, Equatable {
    public var attribute: String
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

/// A version's fairness report as the registry keeps it: the numbers, queryable
/// one by one, the verdict, and the full report document.
///
/// Exists so that promotion can refuse an unfair model from stored facts, and
/// `compare` can show how fairness moved between two versions, without
/// recomputing anything from predictions.
public struct FairnessRecord: Codable, Sendable, Equatable {
    public var measures: [FairnessMeasure]
    public var verdict: FairnessVerdict
    /// The full report as JSON text (per-group tables, proxies, thresholds used).
    public var body: String

    public init(measures: [FairnessMeasure], verdict: FairnessVerdict, body: String = "{}") {
        self.measures = measures
        self.verdict = verdict
        self.body = body
    }

    /// The disparate impact of each attribute that has one, by attribute name.
    public var disparateImpact: [String: Double] {
        var result: [String: Double] = [:]
        for measure in measures where measure.group == nil && measure.metric == FairnessMeasure.disparateImpact {
            result[measure.attribute] = measure.value
        }
        return result
    }

    /// The smallest disparate impact over all attributes (NaN values ignored), nil when none is reported.
    public var minDisparateImpact: Double? {
        disparateImpact.values.filter { !$0.isNaN }.min()
    }
}
