import Foundation

extension DriftDetector {
    /// Compares `current` with stored reference profiles, feature by feature in `features` order:
    /// KS against the stored sample, PSI over the stored bins, chi-squared and PSI over the stored
    /// level counts, under the same verdict rule as `compare(reference:current:features:)`.
    public func compare(profiles features: [(name: String, profile: FeatureProfile)], current: Table,
                        source: String = "the current data") throws -> DriftReport {
        guard !features.isEmpty else { throw DriftError.noFeatures }
        let drifts = try features.map { feature -> FeatureDrift in
            guard let column = try? current.column(feature.name) else { throw DriftError.missingColumn(feature.name, in: source) }
            return try drift(feature.name, feature.profile, column, source: source)
        }
        return verdict(drifts, referenceRows: features.map(\.profile.rows).max() ?? 0, currentRows: current.rowCount)
    }

    /// One numeric sample (a model's predictions) against its stored profile.
    public func compare(_ name: String, profile: FeatureProfile.Numeric, current values: [Double]) -> FeatureDrift {
        var result = numericDrift(name, profile, values)
        result.adjustedPValue = result.pValue
        result.drifted = (result.pValue.map { $0 < thresholds.alpha } ?? false) || (result.psi.map { $0 >= thresholds.psiThreshold } ?? false)
        return result
    }

    private func drift(_ name: String, _ profile: FeatureProfile, _ column: Column, source: String) throws -> FeatureDrift {
        switch (profile, column) {
        case (.numeric(let stored), .numeric(let values)):
            return numericDrift(name, stored, values)
        case (.numeric(let stored), .categorical(let codes, _)) where codes.allSatisfy { $0 < 0 }:
            return numericDrift(name, stored, [Double](repeating: .nan, count: codes.count))
        case (.categorical(let stored), .categorical):
            return categoricalDrift(name, stored, column)
        case (.categorical(let stored), .numeric(let values)) where values.allSatisfy(\.isNaN):
            return categoricalDrift(name, stored, .categorical(codes: [Int32](repeating: -1, count: values.count), levels: []))
        default:
            throw DriftError.typeMismatch(name, reference: profile.isCategorical ? "text" : "numeric", current: column.isCategorical ? "text" : "numeric",
                                          sources: ["the stored profile", source])
        }
    }

    private func numericDrift(_ name: String, _ stored: FeatureProfile.Numeric, _ values: [Double]) -> FeatureDrift {
        let currentMissing = values.reduce(0) { $0 + ($1.isNaN ? 1 : 0) }
        var result = Self.base(name, .kolmogorovSmirnov, referenceRate: Self.rate(stored.missing, stored.rows), currentRate: Self.rate(currentMissing, values.count))
        let ks = KolmogorovSmirnov.test(sorted: stored.sample.map(Double.init), values.filter { !$0.isNaN }.sorted())
        result.statistic = ks?.statistic.finiteValue
        result.pValue = ks?.pValue.finiteValue
        result.psi = PopulationStabilityIndex.numeric(edges: stored.edges, referenceCounts: stored.counts, referenceMissing: stored.missing,
                                                      current: values)?.value.finiteValue
        result.histogram = DriftHistogram.numeric(edges: stored.edges, referenceCounts: stored.counts, current: values)
        return result
    }

    private func categoricalDrift(_ name: String, _ stored: FeatureProfile.Categorical, _ column: Column) -> FeatureDrift {
        let current = ChiSquaredTest.counts(column)
        let currentMissing = Self.missing(column)
        var result = Self.base(name, .chiSquared, referenceRate: Self.rate(stored.missing, stored.rows), currentRate: Self.rate(currentMissing, column.count))
        let chi2 = ChiSquaredTest.test(reference: stored.counts, current: current)
        result.statistic = chi2?.statistic.finiteValue
        result.pValue = chi2?.pValue.finiteValue
        result.psi = PopulationStabilityIndex.categorical(reference: stored.counts, current: current, referenceMissing: stored.missing,
                                                          currentMissing: currentMissing)?.value.finiteValue
        let unseen = current.filter { stored.counts[$0.key] == nil }
        result.unseenLevels = unseen.count
        result.unseenShare = Self.rate(unseen.values.reduce(0, +), column.count)
        result.histogram = DriftHistogram.categorical(reference: stored.counts, current: current)
        return result
    }

    private static func base(_ name: String, _ test: FeatureDrift.Test, referenceRate: Double?, currentRate: Double?) -> FeatureDrift {
        FeatureDrift(feature: name, test: test, referenceMissingRate: referenceRate, currentMissingRate: currentRate,
                     missingRateChange: referenceRate.flatMap { r in currentRate.map { $0 - r } }, drifted: false)
    }
}

extension FeatureProfile {
    var isCategorical: Bool {
        if case .categorical = self { return true }
        return false
    }
}

private extension Double {
    var finiteValue: Double? { isFinite ? self : nil }
}
