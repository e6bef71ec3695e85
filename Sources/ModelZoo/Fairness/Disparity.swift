/// Between-group summaries of one per-group rate, as Fairlearn's `MetricFrame` computes them
/// with `method="between_groups"`.
///
/// Exists so that every report turns per-group numbers into differences, ratios and the
/// four-fifths verdict by one definition.
public enum Disparity {
    /// `group_max() - group_min()`; 0 for fewer than two groups.
    public static func difference(_ values: [Double]) -> Double {
        guard let low = values.min(), let high = values.max() else { return 0 }
        return high - low
    }

    /// `group_min() / group_max()`; nil when the largest value is 0 (the ratio is 0/0),
    /// where Fairlearn answers NaN.
    public static func ratio(_ values: [Double]) -> Double? {
        guard let low = values.min(), let high = values.max(), high != 0 else { return nil }
        return low / high
    }
}

/// The four-fifths (80%) rule as a screening verdict on a disparate impact ratio.
public enum FourFifthsVerdict: String, Codable, Sendable, Equatable {
    /// The lowest group's rate is at least `threshold` times the highest group's.
    case pass
    /// It is below.
    case fail
    /// No group was selected at all, so there is no ratio to judge.
    case undefined

    public init(disparateImpact: Double?, threshold: Double) {
        guard let disparateImpact else {
            self = .undefined
            return
        }
        self = disparateImpact >= threshold ? .pass : .fail
    }

    /// `fail` if any part fails; otherwise `pass` if any passes; `undefined` when nothing was judged.
    public static func combining(_ verdicts: [FourFifthsVerdict]) -> FourFifthsVerdict {
        if verdicts.contains(.fail) { return .fail }
        return verdicts.contains(.pass) ? .pass : .undefined
    }
}
