import Foundation

/// The population stability index between a reference and a current sample:
/// Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over bins, eᵢ and aᵢ the reference and current shares of bin i.
///
/// Exists as the effect-size companion of the drift tests: with 100,000 rows a KS test finds
/// shifts too small to matter, while PSI measures how far the distribution moved (a common
/// reading: < 0.1 stable, 0.1–0.2 moderate, > 0.2 a significant shift).
///
/// Numeric bins are cut at the reference's quantiles i/bins (`numpy.quantile`, linear
/// interpolation), duplicates removed, each bin closed on the right: (−∞, q₁], (q₁, q₂], …, (q_last, ∞).
/// Categorical bins are the levels, matched by name. Missing values form one more bin when either
/// sample has any, so a rise in missing values is drift too. An empty bin's share is taken as
/// `emptyShare` (10⁻⁴) so that the logarithm stays finite.
public enum PopulationStabilityIndex {
    public static let emptyShare = 1e-4

    public struct Bin: Codable, Sendable, Equatable {
        /// `≤ 1.5`, `> 7.25`, a level's name, or `missing`.
        public var label: String
        public var referenceShare: Double
        public var currentShare: Double
    }

    public struct Result: Codable, Sendable, Equatable {
        public var value: Double
        public var bins: [Bin]
    }

    /// nil when either sample is empty.
    public static func numeric(reference: [Double], current: [Double], bins: Int = 10) -> Result? {
        let present = reference.filter { !$0.isNaN }.sorted()
        return numeric(sortedReference: present, referenceMissing: reference.count - present.count, current: current, bins: bins)
    }

    /// PSI with the reference's present values already sorted ascending.
    static func numeric(sortedReference present: [Double], referenceMissing: Int, current: [Double], bins: Int) -> Result? {
        precondition(bins > 0, "PSI needs at least one bin")
        guard present.count + referenceMissing > 0, !current.isEmpty else { return nil }
        let edges = self.edges(sortedReference: present, bins: bins)
        return numeric(edges: edges, referenceCounts: binCounts(present, edges: edges).bins, referenceMissing: referenceMissing, current: current)
    }

    /// PSI of `current` over stored bins: `edges` and the reference's present values per bin
    /// (a `FeatureProfile`), the same bins `numeric(reference:current:bins:)` cuts.
    public static func numeric(edges: [Double], referenceCounts expected: [Int], referenceMissing: Int, current: [Double]) -> Result? {
        guard expected.count == edges.count + 1, expected.reduce(0, +) + referenceMissing > 0, !current.isEmpty else { return nil }
        let (actual, actualMissing) = binCounts(current, edges: edges)
        let expectedMissing = referenceMissing
        var labels = (0...edges.count).map { i in i < edges.count ? "≤ \(edges[i])" : "> \(edges.last ?? -.infinity)" }
        if edges.isEmpty { labels = ["all"] }
        var referenceCounts = expected, currentCounts = actual
        if expectedMissing + actualMissing > 0 {
            labels.append("missing")
            referenceCounts.append(expectedMissing)
            currentCounts.append(actualMissing)
        }
        return index(labels: labels, reference: referenceCounts, current: currentCounts)
    }

    /// The bin edges: the reference's quantiles i / bins, duplicates removed.
    static func edges(sortedReference present: [Double], bins: Int) -> [Double] {
        var edges: [Double] = []
        guard !present.isEmpty else { return edges }
        for i in 1..<max(bins, 1) {
            let q = quantile(present, Double(i) / Double(bins))
            if edges.last != q { edges.append(q) }
        }
        return edges
    }

    /// Present values per bin (each closed on the right) and the missing count.
    static func binCounts(_ values: [Double], edges: [Double]) -> (bins: [Int], missing: Int) {
        var counts = [Int](repeating: 0, count: edges.count + 1)
        var missing = 0
        for value in values {
            if value.isNaN { missing += 1; continue }
            var low = 0, high = edges.count
            while low < high {
                let mid = (low + high) / 2
                if edges[mid] < value { low = mid + 1 } else { high = mid }
            }
            counts[low] += 1
        }
        return (counts, missing)
    }

    /// PSI over the levels of a categorical variable; `missing` counts form their own bin.
    public static func categorical(reference: [String: Int], current: [String: Int], referenceMissing: Int = 0, currentMissing: Int = 0) -> Result? {
        var labels = Set(reference.keys).union(current.keys).filter { (reference[$0] ?? 0) + (current[$0] ?? 0) > 0 }.sorted()
        var referenceCounts = labels.map { reference[$0] ?? 0 }, currentCounts = labels.map { current[$0] ?? 0 }
        if referenceMissing + currentMissing > 0 {
            labels.append("missing")
            referenceCounts.append(referenceMissing)
            currentCounts.append(currentMissing)
        }
        guard referenceCounts.reduce(0, +) > 0, currentCounts.reduce(0, +) > 0 else { return nil }
        return index(labels: labels, reference: referenceCounts, current: currentCounts)
    }

    private static func index(labels: [String], reference: [Int], current: [Int]) -> Result {
        let referenceTotal = Double(reference.reduce(0, +)), currentTotal = Double(current.reduce(0, +))
        var value = 0.0
        var bins: [Bin] = []
        for i in labels.indices {
            let e = max(Double(reference[i]) / referenceTotal, emptyShare)
            let a = max(Double(current[i]) / currentTotal, emptyShare)
            value += (a - e) * log(a / e)
            bins.append(Bin(label: labels[i], referenceShare: Double(reference[i]) / referenceTotal, currentShare: Double(current[i]) / currentTotal))
        }
        return Result(value: value, bins: bins)
    }

    /// numpy's `quantile(sorted, p)` with its default linear interpolation (and its way of
    /// interpolating from the nearer end).
    static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        let position = p * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        let a = sorted[lower], b = sorted[upper]
        return fraction >= 0.5 ? b - (b - a) * (1 - fraction) : a + (b - a) * fraction
    }
}
