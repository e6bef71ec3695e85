import Foundation
import ModelZoo

/// The four-fifths verdict of a fairness report.
public enum FairnessVerdict: String, Codable, Sendable {
    case pass
    case fail
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
