import Foundation
import ModelZoo

/// Two versions of one model side by side: what `engage registry compare` prints.
///
/// Exists so that the decision "is the new version better, and at what cost" reads
/// from one value: metric deltas in each metric's better direction, how feature
/// importance shifted, how fairness moved, and which hyper-parameters changed.
public struct VersionComparison: Codable, Sendable, Equatable {
    /// One metric of both versions; `delta` is other − base.
    public struct MetricDelta: Codable, Sendable, Equatable {
        public var split: String
        public var name: String
        public var base: Double?
        public var other: Double?
        public var delta: Double?
        /// nil when the metric has no better direction or a side is missing.
        public var improved: Bool?
    }

    /// One feature's importance in both versions. Ranks count from 1 by gain; shares
    /// are the feature's fraction of the version's total gain, comparable across versions.
    public struct ImportanceShift: Codable, Sendable, Equatable {
        public var feature: String
        public var baseRank: Int?
        public var otherRank: Int?
        /// Positive when the feature moved up (towards rank 1).
        public var rankChange: Int?
        public var baseGain: Double?
        public var otherGain: Double?
        public var baseShare: Double?
        public var otherShare: Double?
        public var shareDelta: Double?
    }

    /// One fairness number of both versions; `group` nil for attribute-level numbers.
    public struct FairnessDelta: Codable, Sendable, Equatable {
        public var attribute: String
        public var group: String?
        public var metric: String
        public var base: Double?
        public var other: Double?
        public var delta: Double?
    }

    public var model: String
    public var base: Int
    public var other: Int
    public var metrics: [MetricDelta]
    public var importance: [ImportanceShift]
    public var baseFairnessVerdict: FairnessVerdict?
    public var otherFairnessVerdict: FairnessVerdict?
    public var fairness: [FairnessDelta]
    public var parameters: [ParameterChange]
}

extension ModelRegistry {
    /// Compares two versions of a model (`base` first, e.g. production, then the candidate).
    public func compare(model: String, base: Int, other: Int) throws -> VersionComparison {
        try pool.read { db in
            let a = try Self.fetchVersion(model: model, version: base, db)
            let b = try Self.fetchVersion(model: model, version: other, db)
            let aID = try Self.versionID(model: model, version: base, db)
            let bID = try Self.versionID(model: model, version: other, db)
            let aFairness = try Self.fairness(versionID: aID, db)
            let bFairness = try Self.fairness(versionID: bID, db)
            return VersionComparison(
                model: model, base: base, other: other,
                metrics: Comparing.metrics(a.metrics, b.metrics),
                importance: Comparing.importance(try Self.importance(versionID: aID, db), try Self.importance(versionID: bID, db)),
                baseFairnessVerdict: aFairness?.verdict, otherFairnessVerdict: bFairness?.verdict,
                fairness: Comparing.fairness(aFairness?.measures ?? [], bFairness?.measures ?? []),
                parameters: try ParameterDiff.changes(base: a.parameters, other: b.parameters))
        }
    }
}

/// The pairing rules of ``VersionComparison``.
enum Comparing {
    static func metrics(_ a: [MetricValue], _ b: [MetricValue]) -> [VersionComparison.MetricDelta] {
        let keys = ordered(a.map { [$0.split, $0.name] } + b.map { [$0.split, $0.name] })
        return keys.map { key in
            let base = a.first { $0.split == key[0] && $0.name == key[1] }?.value
            let other = b.first { $0.split == key[0] && $0.name == key[1] }?.value
            let delta = base.flatMap { x in other.map { $0 - x } }
            let improved = delta.flatMap { d in
                MetricDefinition.of(key[1])?.direction.flatMap { d.isNaN || d == 0 ? nil : $0.improvement(from: 0, to: d) > 0 }
            }
            return VersionComparison.MetricDelta(split: key[0], name: key[1], base: base, other: other, delta: delta, improved: improved)
        }
    }

    static func importance(_ a: [ImportanceRecord], _ b: [ImportanceRecord]) -> [VersionComparison.ImportanceShift] {
        let rankA = ranks(a), rankB = ranks(b)
        let totalA = total(a), totalB = total(b)
        let features = ordered(b.map { [$0.feature] } + a.map { [$0.feature] }).map { $0[0] }
        let shifts = features.map { feature -> VersionComparison.ImportanceShift in
            let gainA = a.first { $0.feature == feature }?.gain
            let gainB = b.first { $0.feature == feature }?.gain
            let shareA = share(gainA, totalA), shareB = share(gainB, totalB)
            return VersionComparison.ImportanceShift(
                feature: feature, baseRank: rankA[feature], otherRank: rankB[feature],
                rankChange: rankA[feature].flatMap { x in rankB[feature].map { x - $0 } },
                baseGain: gainA, otherGain: gainB, baseShare: shareA, otherShare: shareB,
                shareDelta: shareA.flatMap { x in shareB.map { $0 - x } })
        }
        return shifts.sorted { ($0.otherRank ?? Int.max, $0.baseRank ?? Int.max, $0.feature) < ($1.otherRank ?? Int.max, $1.baseRank ?? Int.max, $1.feature) }
    }

    static func fairness(_ a: [FairnessMeasure], _ b: [FairnessMeasure]) -> [VersionComparison.FairnessDelta] {
        func key(_ m: FairnessMeasure) -> [String] { [m.attribute, m.group ?? "", m.metric] }
        return ordered(a.map(key) + b.map(key)).map { k in
            let base = a.first { key($0) == k }?.value
            let other = b.first { key($0) == k }?.value
            return VersionComparison.FairnessDelta(attribute: k[0], group: k[1].isEmpty ? nil : k[1], metric: k[2],
                                                   base: base, other: other, delta: base.flatMap { x in other.map { $0 - x } })
        }
    }

    /// Ranks by gain, highest first; ties keep the trainer's order; NaN gains rank last.
    private static func ranks(_ items: [ImportanceRecord]) -> [String: Int] {
        let sorted = items.enumerated().sorted { l, r in
            let a = l.element.gain.isNaN ? -Double.infinity : l.element.gain
            let b = r.element.gain.isNaN ? -Double.infinity : r.element.gain
            return a != b ? a > b : l.offset < r.offset
        }
        var result: [String: Int] = [:]
        for (rank, item) in sorted.enumerated() { result[item.element.feature] = rank + 1 }
        return result
    }

    private static func total(_ items: [ImportanceRecord]) -> Double {
        items.reduce(0) { $0 + ($1.gain.isNaN ? 0 : $1.gain) }
    }

    private static func share(_ gain: Double?, _ total: Double) -> Double? {
        guard let gain, !gain.isNaN, total > 0 else { return nil }
        return gain / total
    }

    /// Distinct keys in first-seen order.
    private static func ordered(_ keys: [[String]]) -> [[String]] {
        var seen = Set<[String]>()
        return keys.filter { seen.insert($0).inserted }
    }
}
