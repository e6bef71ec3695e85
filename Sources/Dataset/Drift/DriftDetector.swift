import Foundation

/// How one feature moved between the reference and the current data.
///
/// Every number that can be undefined is optional and encodes as JSON `null`, never NaN.
public struct FeatureDrift: Codable, Sendable, Equatable {
    public enum Test: String, Codable, Sendable {
        /// Two-sample Kolmogorov–Smirnov (numeric features).
        case kolmogorovSmirnov = "ks"
        /// Chi-squared homogeneity of level counts (categorical features).
        case chiSquared = "chi2"
    }

    public var feature: String
    public var test: Test
    /// The KS distance or the chi-squared statistic; nil when the test had too little data.
    public var statistic: Double?
    public var pValue: Double?
    /// `pValue` after the thresholds' correction; the one compared with alpha.
    public var adjustedPValue: Double?
    public var psi: Double?
    public var referenceMissingRate: Double?
    public var currentMissingRate: Double?
    /// Current missing rate minus the reference's.
    public var missingRateChange: Double?
    /// Categorical features: levels present in the current data but never in the reference…
    public var unseenLevels: Int?
    /// …and the share of the current rows that hold them.
    public var unseenShare: Double?
    public var drifted: Bool
    /// The reference's and the current data's shares per bin (numeric) or level (categorical), when
    /// compared with a stored profile: what the report draws for the worst features.
    public var histogram: DriftHistogram?

    private enum CodingKeys: String, CodingKey {
        case feature, test, statistic, pValue = "p_value", adjustedPValue = "adjusted_p_value", psi
        case referenceMissingRate = "reference_missing_rate", currentMissingRate = "current_missing_rate"
        case missingRateChange = "missing_rate_change", unseenLevels = "unseen_levels", unseenShare = "unseen_share", drifted
        case histogram
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(feature, forKey: .feature)
        try c.encode(test, forKey: .test)
        try c.encode(statistic.finite, forKey: .statistic)
        try c.encode(pValue.finite, forKey: .pValue)
        try c.encode(adjustedPValue.finite, forKey: .adjustedPValue)
        try c.encode(psi.finite, forKey: .psi)
        try c.encode(referenceMissingRate.finite, forKey: .referenceMissingRate)
        try c.encode(currentMissingRate.finite, forKey: .currentMissingRate)
        try c.encode(missingRateChange.finite, forKey: .missingRateChange)
        try c.encode(unseenLevels, forKey: .unseenLevels)
        try c.encode(unseenShare.finite, forKey: .unseenShare)
        try c.encode(drifted, forKey: .drifted)
        try c.encodeIfPresent(histogram, forKey: .histogram)
    }
}

/// Shares of the present values per bin or level, reference beside current, each summing to 1.
public struct DriftHistogram: Codable, Sendable, Equatable {
    public var labels: [String]
    public var reference: [Double]
    public var current: [Double]

    /// At most this many levels of a categorical feature, the most frequent in either data first.
    public static let maxLevels = 12

    /// Numeric bins cut at the stored edges: (−∞, e₀], (e₀, e₁], …, (eₙ, ∞).
    public static func numeric(edges: [Double], referenceCounts: [Int], current values: [Double]) -> DriftHistogram {
        var currentCounts = [Int](repeating: 0, count: edges.count + 1)
        for value in values where !value.isNaN {
            var low = 0, high = edges.count
            while low < high {
                let mid = (low + high) / 2
                if edges[mid] < value { low = mid + 1 } else { high = mid }
            }
            currentCounts[low] += 1
        }
        let labels = (0...edges.count).map { i -> String in
            i == edges.count ? "> \(format(edges.last ?? 0))" : "≤ \(format(edges[i]))"
        }
        return DriftHistogram(labels: labels, reference: shares(referenceCounts), current: shares(currentCounts))
    }

    /// Level shares, the `maxLevels` most frequent in either data.
    public static func categorical(reference: [String: Int], current: [String: Int]) -> DriftHistogram {
        let r = shares(reference), c = shares(current)
        let levels = Set(reference.keys).union(current.keys)
            .sorted { (max(r[$0] ?? 0, c[$0] ?? 0), $1) > (max(r[$1] ?? 0, c[$1] ?? 0), $0) }
            .prefix(maxLevels)
        return DriftHistogram(labels: Array(levels), reference: levels.map { r[$0] ?? 0 }, current: levels.map { c[$0] ?? 0 })
    }

    private static func shares(_ counts: [Int]) -> [Double] {
        let total = counts.reduce(0, +)
        return counts.map { total == 0 ? 0 : Double($0) / Double(total) }
    }

    private static func shares(_ counts: [String: Int]) -> [String: Double] {
        let total = counts.values.reduce(0, +)
        return counts.mapValues { total == 0 ? 0 : Double($0) / Double(total) }
    }

    private static func format(_ value: Double) -> String {
        abs(value) >= 1000 || value == value.rounded() ? String(format: "%.0f", value) : String(format: "%.3g", value)
    }
}

extension Optional where Wrapped == Double {
    /// The value when it is a finite number, otherwise nil.
    var finite: Double? { flatMap { $0.isFinite ? $0 : nil } }
}

/// The drift of a current dataset against a reference, feature by feature, drifted features first.
public struct DriftReport: Codable, Sendable, Equatable {
    /// The registry's name for this report.
    public static let registryName = "drift"

    public var referenceRows: Int
    public var currentRows: Int
    public var thresholds: DriftThresholds
    public var features: [FeatureDrift]
    /// Drifted features over all features compared.
    public var share: Double
    public var drifted: Bool

    public var driftedFeatures: [String] { features.filter(\.drifted).map(\.feature) }

    private enum CodingKeys: String, CodingKey {
        case referenceRows = "reference_rows", currentRows = "current_rows", thresholds, features, share = "drifted_share", drifted
    }
}

/// Compares a current table with a reference table: KS and PSI for numeric features,
/// chi-squared, PSI and unseen levels for categorical ones, missing rates for both.
///
/// Exists for `engage drift` and the watch mode, which retrains when incoming data drifts; the
/// verdict rule is `DriftThresholds`'.
public struct DriftDetector: Sendable {
    public let thresholds: DriftThresholds

    public init(thresholds: DriftThresholds = DriftThresholds()) throws {
        self.thresholds = try thresholds.validated()
    }

    /// `sources` name the two tables in errors (the CLI passes the file paths).
    public func compare(reference: Table, current: Table, features: [String],
                        sources: (reference: String, current: String) = ("the reference data", "the current data")) throws -> DriftReport {
        guard !features.isEmpty else { throw DriftError.noFeatures }
        let drifts = try features.map { name -> FeatureDrift in
            guard let referenceColumn = try? reference.column(name) else { throw DriftError.missingColumn(name, in: sources.reference) }
            guard let currentColumn = try? current.column(name) else { throw DriftError.missingColumn(name, in: sources.current) }
            return try drift(name, referenceColumn, currentColumn, sources: sources)
        }
        return verdict(drifts, referenceRows: reference.rowCount, currentRows: current.rowCount)
    }

    /// The thresholds' rule over per-feature results: corrected p-values, drifted flags, the dataset verdict.
    func verdict(_ tested: [FeatureDrift], referenceRows: Int, currentRows: Int) -> DriftReport {
        var drifts = tested
        let adjusted = thresholds.correction.adjust(drifts.map(\.pValue))
        for index in drifts.indices {
            drifts[index].adjustedPValue = adjusted[index]
            drifts[index].drifted = (adjusted[index].map { $0 < thresholds.alpha } ?? false)
                || (drifts[index].psi.map { $0 >= thresholds.psiThreshold } ?? false)
        }
        let share = Double(drifts.filter(\.drifted).count) / Double(drifts.count)
        let ordered = drifts.enumerated().sorted { a, b in
            a.element.drifted != b.element.drifted ? a.element.drifted : a.offset < b.offset
        }.map(\.element)
        return DriftReport(referenceRows: referenceRows, currentRows: currentRows, thresholds: thresholds,
                           features: ordered, share: share, drifted: share >= thresholds.driftedShare)
    }

    private func drift(_ name: String, _ referenceColumn: Column, _ currentColumn: Column,
                       sources: (reference: String, current: String)) throws -> FeatureDrift {
        let (reference, current) = try Self.aligned(name, referenceColumn, currentColumn, sources: sources)
        let referenceMissing = Self.missing(reference), currentMissing = Self.missing(current)
        let referenceRate = Self.rate(referenceMissing, reference.count), currentRate = Self.rate(currentMissing, current.count)
        var result = FeatureDrift(feature: name, test: .kolmogorovSmirnov, referenceMissingRate: referenceRate, currentMissingRate: currentRate,
                                  missingRateChange: referenceRate.flatMap { r in currentRate.map { $0 - r } }, drifted: false)
        switch (reference, current) {
        case (.numeric(let a), .numeric(let b)):
            let sortedA = a.filter { !$0.isNaN }.sorted(), sortedB = b.filter { !$0.isNaN }.sorted()
            let ks = KolmogorovSmirnov.test(sorted: sortedA, sortedB)
            (result.statistic, result.pValue) = (ks?.statistic, ks?.pValue)
            result.psi = PopulationStabilityIndex.numeric(sortedReference: sortedA, referenceMissing: referenceMissing,
                                                          current: b, bins: thresholds.bins)?.value
        default:
            result.test = .chiSquared
            let a = ChiSquaredTest.counts(reference), b = ChiSquaredTest.counts(current)
            let chi2 = ChiSquaredTest.test(reference: a, current: b)
            (result.statistic, result.pValue) = (chi2?.statistic, chi2?.pValue)
            result.psi = PopulationStabilityIndex.categorical(reference: a, current: b, referenceMissing: referenceMissing,
                                                              currentMissing: currentMissing)?.value
            let unseen = b.filter { a[$0.key] == nil }
            result.unseenLevels = unseen.count
            result.unseenShare = Self.rate(unseen.values.reduce(0, +), current.count)
        }
        result.statistic = result.statistic.finite
        result.pValue = result.pValue.finite
        result.psi = result.psi.finite
        return result
    }

    /// Both columns of one kind; a column with no value at all reads as numeric, so it takes the other's kind.
    private static func aligned(_ name: String, _ reference: Column, _ current: Column,
                                sources: (reference: String, current: String)) throws -> (Column, Column) {
        switch (reference, current) {
        case (.numeric, .numeric), (.categorical, .categorical): return (reference, current)
        case (.numeric(let values), .categorical(_, let levels)) where values.allSatisfy(\.isNaN):
            return (.categorical(codes: [Int32](repeating: -1, count: values.count), levels: levels), current)
        case (.categorical(_, let levels), .numeric(let values)) where values.allSatisfy(\.isNaN):
            return (reference, .categorical(codes: [Int32](repeating: -1, count: values.count), levels: levels))
        default:
            throw DriftError.typeMismatch(name, reference: reference.isCategorical ? "text" : "numeric", current: current.isCategorical ? "text" : "numeric",
                                          sources: [sources.reference, sources.current])
        }
    }

    static func rate(_ count: Int, _ total: Int) -> Double? { total == 0 ? nil : Double(count) / Double(total) }

    static func missing(_ column: Column) -> Int {
        switch column {
        case .numeric(let values): return values.reduce(0) { $0 + ($1.isNaN ? 1 : 0) }
        case .categorical(let codes, _): return codes.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
        }
    }
}

/// Why two datasets could not be compared for drift.
public enum DriftError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case missingColumn(String, in: String)
    case typeMismatch(String, reference: String, current: String, sources: [String])
    case noFeatures
    case setting(String, Double, String)

    public var description: String {
        switch self {
        case .missingColumn(let name, let source): return "drift: \(source) has no column '\(name)'"
        case .typeMismatch(let name, let reference, let current, let sources):
            return "drift: column '\(name)' is \(reference) in \(sources[0]) but \(current) in \(sources[1])"
        case .noFeatures: return "drift: no features to compare"
        case .setting(let name, let value, let expected): return "drift.\(name) = \(value): expected \(expected)"
        }
    }

    public var errorDescription: String? { description }
}
