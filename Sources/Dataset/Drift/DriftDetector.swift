import Foundation

/// When a feature, and a dataset, count as drifted (cluster.yaml's `drift:`).
public struct DriftThresholds: Codable, Sendable, Equatable {
    /// A feature drifts when its test's p-value is below this…
    public var pValue: Double
    /// …or its population stability index exceeds this.
    public var psi: Double
    /// The dataset drifts when at least this share of its features drift.
    public var driftedShare: Double
    /// Numeric PSI bins (reference deciles by default).
    public var psiBins: Int

    public init(pValue: Double = 0.05, psi: Double = 0.2, driftedShare: Double = 0.5, psiBins: Int = 10) {
        self.pValue = pValue
        self.psi = psi
        self.driftedShare = driftedShare
        self.psiBins = psiBins
    }
}

/// How one feature moved between the reference and the current data.
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
    public var psi: Double?
    public var referenceMissingRate: Double
    public var currentMissingRate: Double
    public var drifted: Bool
}

/// The drift of a current dataset against a reference, feature by feature.
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
}

/// Compares a current table with a reference table: KS and PSI for numeric features,
/// chi-squared and PSI for categorical ones.
///
/// Exists for the watch mode, which retrains when incoming data drifts: a feature drifts when its
/// p-value is below `thresholds.pValue` or its PSI exceeds `thresholds.psi`, and the dataset when
/// the share of drifted features reaches `thresholds.driftedShare`.
public struct DriftDetector: Sendable {
    public let thresholds: DriftThresholds

    public init(thresholds: DriftThresholds = DriftThresholds()) throws {
        guard thresholds.pValue >= 0, thresholds.pValue <= 1 else { throw DriftError.setting("p_value", thresholds.pValue, "a number in [0, 1]") }
        guard thresholds.psi >= 0, thresholds.psi.isFinite else { throw DriftError.setting("psi", thresholds.psi, "a finite number ≥ 0") }
        guard thresholds.driftedShare > 0, thresholds.driftedShare <= 1 else {
            throw DriftError.setting("drifted_share", thresholds.driftedShare, "a share in (0, 1]")
        }
        guard thresholds.psiBins >= 2 else { throw DriftError.setting("psi_bins", Double(thresholds.psiBins), "at least 2") }
        self.thresholds = thresholds
    }

    public func compare(reference: Table, current: Table, features: [String]) throws -> DriftReport {
        guard !features.isEmpty else { throw DriftError.noFeatures }
        let drifts = try features.map { name -> FeatureDrift in
            guard let referenceColumn = try? reference.column(name) else { throw DriftError.missingColumn(name, in: "reference") }
            guard let currentColumn = try? current.column(name) else { throw DriftError.missingColumn(name, in: "current") }
            return try drift(name, referenceColumn, currentColumn, referenceRows: reference.rowCount, currentRows: current.rowCount)
        }
        let share = Double(drifts.filter(\.drifted).count) / Double(drifts.count)
        return DriftReport(referenceRows: reference.rowCount, currentRows: current.rowCount, thresholds: thresholds,
                           features: drifts, share: share, drifted: share >= thresholds.driftedShare)
    }

    private func drift(_ name: String, _ reference: Column, _ current: Column, referenceRows: Int, currentRows: Int) throws -> FeatureDrift {
        let referenceMissing = Self.missing(reference), currentMissing = Self.missing(current)
        let test: FeatureDrift.Test
        let statistic: Double?, pValue: Double?, psi: Double?
        switch (reference, current) {
        case (.numeric(let a), .numeric(let b)):
            test = .kolmogorovSmirnov
            let sortedA = a.filter { !$0.isNaN }.sorted(), sortedB = b.filter { !$0.isNaN }.sorted()
            let result = KolmogorovSmirnov.test(sorted: sortedA, sortedB)
            (statistic, pValue) = (result?.statistic, result?.pValue)
            psi = PopulationStabilityIndex.numeric(sortedReference: sortedA, referenceMissing: referenceMissing,
                                                   current: sortedB + Array(repeating: .nan, count: currentMissing), bins: thresholds.psiBins)?.value
        case (.categorical, .categorical):
            test = .chiSquared
            let a = ChiSquaredTest.counts(reference), b = ChiSquaredTest.counts(current)
            let result = ChiSquaredTest.test(reference: a, current: b)
            (statistic, pValue) = (result?.statistic, result?.pValue)
            psi = PopulationStabilityIndex.categorical(reference: a, current: b, referenceMissing: referenceMissing, currentMissing: currentMissing)?.value
        default:
            throw DriftError.typeMismatch(name, reference: reference.isCategorical ? "categorical" : "numeric",
                                          current: current.isCategorical ? "categorical" : "numeric")
        }
        let drifted = (pValue.map { $0 < thresholds.pValue } ?? false) || (psi.map { $0 > thresholds.psi } ?? false)
        return FeatureDrift(feature: name, test: test, statistic: statistic, pValue: pValue, psi: psi,
                            referenceMissingRate: referenceRows == 0 ? 0 : Double(referenceMissing) / Double(referenceRows),
                            currentMissingRate: currentRows == 0 ? 0 : Double(currentMissing) / Double(currentRows),
                            drifted: drifted)
    }

    private static func missing(_ column: Column) -> Int {
        switch column {
        case .numeric(let values): return values.reduce(0) { $0 + ($1.isNaN ? 1 : 0) }
        case .categorical(let codes, _): return codes.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
        }
    }
}

/// Why two datasets could not be compared for drift.
public enum DriftError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case missingColumn(String, in: String)
    case typeMismatch(String, reference: String, current: String)
    case noFeatures
    case setting(String, Double, String)

    public var description: String {
        switch self {
        case .missingColumn(let name, let side): return "drift: the \(side) data has no column '\(name)'"
        case .typeMismatch(let name, let reference, let current):
            return "drift: column '\(name)' is \(reference) in the reference data but \(current) in the current data"
        case .noFeatures: return "drift: no features to compare"
        case .setting(let name, let value, let expected): return "drift.\(name) = \(value): expected \(expected)"
        }
    }

    public var errorDescription: String? { description }
}
