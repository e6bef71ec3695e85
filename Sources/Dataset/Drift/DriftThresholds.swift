import Foundation

/// When a feature, and a dataset, count as drifted: `engage drift`'s flags and cluster.yaml's `drift:` section.
///
/// Exists so that the rule lives in one place: a feature drifts when its test's p-value, after
/// `correction` over all features tested, is below `alpha`, or when its PSI is at least
/// `psiThreshold`; the dataset drifts when the share of drifted features is at least `driftedShare`.
public struct DriftThresholds: Codable, Sendable, Equatable {
    public var alpha: Double
    public var psiThreshold: Double
    /// Evidently's default, 0.5.
    public var driftedShare: Double
    public var correction: PValueCorrection
    /// PSI bins of a numeric feature, cut at the reference's quantiles i / bins.
    public var bins: Int

    private enum CodingKeys: String, CodingKey {
        case alpha, psiThreshold = "psi_threshold", driftedShare = "drifted_share", correction, bins
    }

    public init(alpha: Double = 0.05, psiThreshold: Double = 0.2, driftedShare: Double = 0.5,
                correction: PValueCorrection = .none, bins: Int = 10) {
        self.alpha = alpha
        self.psiThreshold = psiThreshold
        self.driftedShare = driftedShare
        self.correction = correction
        self.bins = bins
    }

    /// Refuses settings the rule cannot use, naming the cluster.yaml key.
    public func validated() throws -> DriftThresholds {
        guard alpha > 0, alpha < 1 else { throw DriftError.setting("alpha", alpha, "a number in (0, 1)") }
        guard psiThreshold > 0, psiThreshold.isFinite else { throw DriftError.setting("psi_threshold", psiThreshold, "a finite number > 0") }
        guard driftedShare > 0, driftedShare <= 1 else { throw DriftError.setting("drifted_share", driftedShare, "a share in (0, 1]") }
        guard bins >= 2, bins <= 1000 else { throw DriftError.setting("bins", Double(bins), "an integer in 2...1000") }
        return self
    }
}

/// How the p-values of many features are adjusted before they are compared with alpha.
///
/// Exists because testing 45 features at alpha = 0.05 flags about two of them by chance alone:
/// Bonferroni bounds the chance of any false alarm, Benjamini–Hochberg the expected share of
/// false alarms among the features flagged.
public enum PValueCorrection: String, Codable, Sendable, CaseIterable {
    case none
    case bonferroni
    /// Benjamini–Hochberg.
    case bh

    /// The adjusted p-values, in the order given; nil entries (untested features) stay nil and do
    /// not count among the m tests. Bonferroni: min(1, m·p). Benjamini–Hochberg: the step-up
    /// values min over j ≥ rank of (m / j)·p₍ⱼ₎, capped at 1 (statsmodels' `fdr_bh`).
    public func adjust(_ pValues: [Double?]) -> [Double?] {
        let tested = pValues.indices.filter { pValues[$0] != nil }
        let m = Double(tested.count)
        switch self {
        case .none:
            return pValues
        case .bonferroni:
            return pValues.map { $0.map { min(1, $0 * m) } }
        case .bh:
            var adjusted = pValues
            let ranked = tested.sorted { pValues[$0]! < pValues[$1]! }
            var running = 1.0
            for (rank, index) in ranked.enumerated().reversed() {
                running = min(running, pValues[index]! * m / Double(rank + 1))
                adjusted[index] = running
            }
            return adjusted
        }
    }
}
