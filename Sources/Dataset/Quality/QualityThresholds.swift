import Foundation

/// The limits of the data-quality rules; every one can be changed (cluster.yaml's `quality:`).
///
/// Exists so that the rules and the report that records which limits were applied share one
/// set of numbers. Defaults follow issue 5: near-zero variance below 0.01, correlated pairs
/// above 0.95, a binary target's positive share outside 20–80%.
public struct QualityThresholds: Codable, Sendable, Equatable {
    /// A column with a larger share of missing cells gets a warning…
    public var nullRateWarning: Double
    /// …and with a larger share than this, an error.
    public var nullRateError: Double
    /// A column whose variance is below this gets a warning.
    public var minVariance: Double
    /// A pair of numeric columns whose |Pearson r| exceeds this gets a warning.
    public var maxCorrelation: Double
    /// A binary target whose share of 1s is below this…
    public var minPositiveShare: Double
    /// …or above this gets a warning.
    public var maxPositiveShare: Double

    public init(nullRateWarning: Double = 0.05, nullRateError: Double = 0.5, minVariance: Double = 0.01,
                maxCorrelation: Double = 0.95, minPositiveShare: Double = 0.2, maxPositiveShare: Double = 0.8) {
        self.nullRateWarning = nullRateWarning
        self.nullRateError = nullRateError
        self.minVariance = minVariance
        self.maxCorrelation = maxCorrelation
        self.minPositiveShare = minPositiveShare
        self.maxPositiveShare = maxPositiveShare
    }

    /// Throws when a limit is out of its range or the pairs are out of order.
    public func validate() throws {
        func require(_ ok: Bool, _ name: String, _ value: Double, _ expected: String) throws {
            guard ok else { throw QualitySettingError(name: name, value: value, expected: expected) }
        }
        for (name, value) in [("null_rate_warning", nullRateWarning), ("null_rate_error", nullRateError),
                              ("min_positive_share", minPositiveShare), ("max_positive_share", maxPositiveShare),
                              ("max_correlation", maxCorrelation)] {
            try require(value >= 0 && value <= 1, name, value, "a number in [0, 1]")
        }
        try require(nullRateWarning <= nullRateError, "null_rate_warning", nullRateWarning, "at most null_rate_error (\(nullRateError))")
        try require(minPositiveShare <= maxPositiveShare, "min_positive_share", minPositiveShare, "at most max_positive_share (\(maxPositiveShare))")
        try require(minVariance >= 0 && minVariance.isFinite, "min_variance", minVariance, "a finite number ≥ 0")
    }
}

/// A data-quality limit out of range.
public struct QualitySettingError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public let name: String
    public let value: Double
    public let expected: String
    public var description: String { "quality.\(name) = \(value): expected \(expected)" }
    public var errorDescription: String? { description }
}
