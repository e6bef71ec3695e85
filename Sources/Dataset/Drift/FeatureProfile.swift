import Foundation

/// The stored reference distribution of one feature: what `engage drift --against MODEL@REF`
/// compares new data with when the training rows themselves are no longer at hand.
///
/// Numeric: the present values' counts over the quantile bins `PopulationStabilityIndex` cuts
/// (edges at the reference's quantiles i / bins), the missing count, and a KS sample of at most
/// `sampleLimit` present values as Float32 — every ⌈n / limit⌉-spaced order statistic of the
/// sorted values, so the same data always gives the same sample. Categorical: the count of every
/// level and of missing values; levels new data has beyond these count as unseen.
public enum FeatureProfile: Codable, Sendable, Equatable {
    case numeric(Numeric)
    case categorical(Categorical)

    /// The most present values a numeric profile keeps for the KS test.
    public static let sampleLimit = 5_000

    public struct Numeric: Codable, Sendable, Equatable {
        public var rows: Int
        public var missing: Int
        /// Ascending, duplicates removed; bin i is (edges[i-1], edges[i]], the last (edges.last, ∞).
        public var edges: [Double]
        /// Present values per bin, `edges.count + 1` of them.
        public var counts: [Int]
        /// Sorted ascending.
        public var sample: [Float]

        public var missingRate: Double { rows == 0 ? 0 : Double(missing) / Double(rows) }
        /// Each bin's share of all rows (missing rows are the remainder).
        public var proportions: [Double] { counts.map { rows == 0 ? 0 : Double($0) / Double(rows) } }
    }

    public struct Categorical: Codable, Sendable, Equatable {
        public var rows: Int
        public var missing: Int
        public var counts: [String: Int]

        public var missingRate: Double { rows == 0 ? 0 : Double(missing) / Double(rows) }
    }

    public var rows: Int {
        switch self {
        case .numeric(let p): return p.rows
        case .categorical(let p): return p.rows
        }
    }

    public init(_ column: Column, bins: Int = DriftThresholds().bins) {
        switch column {
        case .numeric(let values): self = .numeric(Numeric(values, bins: bins))
        case .categorical:
            let counts = ChiSquaredTest.counts(column)
            self = .categorical(Categorical(rows: column.count, missing: column.count - counts.values.reduce(0, +), counts: counts))
        }
    }
}

extension FeatureProfile.Numeric {
    public init(_ values: [Double], bins: Int = DriftThresholds().bins) {
        let present = values.filter { !$0.isNaN }.sorted()
        let edges = PopulationStabilityIndex.edges(sortedReference: present, bins: bins)
        rows = values.count
        missing = values.count - present.count
        self.edges = edges
        counts = PopulationStabilityIndex.binCounts(present, edges: edges).bins
        let step = max(1, (present.count + FeatureProfile.sampleLimit - 1) / FeatureProfile.sampleLimit)
        sample = stride(from: 0, to: present.count, by: step).map { Float(present[$0]) }
    }
}
