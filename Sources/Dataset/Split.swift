import Foundation

/// Row indices of a train/test split, each list ascending.
public struct TrainTestSplit: Sendable, Equatable {
    public let train: [Int]
    public let test: [Int]

    public init(train: [Int], test: [Int]) {
        self.train = train
        self.test = test
    }
}

/// Stratified, seeded train/test splits and K-fold assignment.
///
/// Exists so that every model of a run sees the same held-out rows and the same
/// folds, with each label value (or label range) represented in the same share
/// in every part.
///
/// Strata: a label with at most `Splitter.maxDiscreteValues` distinct values
/// (binary, multi-class) is stratified by value; a continuous label by its rank
/// into `Splitter.quantileBins` equal-count bins. Missing (NaN) labels form a
/// stratum of their own.
public enum Splitter {
    public static let maxDiscreteValues = 10
    public static let quantileBins = 10

    /// Puts `round(n × testFraction)` rows in `test`, spread over the strata in
    /// proportion to their sizes (largest remainders get the leftover rows).
    public static func stratified(labels: [Double], testFraction: Double, seed: UInt64) -> TrainTestSplit {
        precondition(testFraction >= 0 && testFraction <= 1, "testFraction must lie in [0, 1], got \(testFraction)")
        var random = SeededRandom(seed: seed)
        let groups = strata(labels).map { group -> [Int] in
            var shuffled = group
            random.shuffle(&shuffled)
            return shuffled
        }
        let testCounts = apportion(total: Int((Double(labels.count) * testFraction).rounded()), sizes: groups.map(\.count))
        var train: [Int] = []
        var test: [Int] = []
        train.reserveCapacity(labels.count)
        test.reserveCapacity(testCounts.reduce(0, +))
        for (group, testCount) in zip(groups, testCounts) {
            test.append(contentsOf: group[..<testCount])
            train.append(contentsOf: group[testCount...])
        }
        return TrainTestSplit(train: train.sorted(), test: test.sorted())
    }

    /// A fold id in `0..<k` for each element. Within each stratum fold sizes differ
    /// by at most one, and so do the folds' total sizes.
    public static func folds(labels: [Double], k: Int, seed: UInt64) -> [Int] {
        precondition(k >= 1, "folds needs k >= 1, got \(k)")
        var random = SeededRandom(seed: seed)
        var fold = [Int](repeating: 0, count: labels.count)
        var next = 0
        for group in strata(labels) {
            var shuffled = group
            random.shuffle(&shuffled)
            for row in shuffled {
                fold[row] = next
                next = next + 1 == k ? 0 : next + 1
            }
        }
        return fold
    }

    /// Row indices grouped by stratum, each group ascending, groups in a fixed order.
    static func strata(_ labels: [Double]) -> [[Int]] {
        var missing: [Int] = []
        var present: [Int] = []
        present.reserveCapacity(labels.count)
        for (i, label) in labels.enumerated() {
            if label.isNaN { missing.append(i) } else { present.append(i) }
        }
        var distinct = Set<Double>()
        for i in present {
            distinct.insert(labels[i])
            if distinct.count > maxDiscreteValues { break }
        }
        var groups: [[Int]]
        if distinct.count <= maxDiscreteValues {
            let values = distinct.sorted()
            var slot: [Double: Int] = [:]
            for (k, v) in values.enumerated() { slot[v] = k }
            groups = Array(repeating: [], count: values.count)
            for i in present { groups[slot[labels[i]]!].append(i) }
        } else {
            let ranked = present.sorted { labels[$0] < labels[$1] || (labels[$0] == labels[$1] && $0 < $1) }
            groups = Array(repeating: [], count: quantileBins)
            for (rank, i) in ranked.enumerated() {
                groups[rank * quantileBins / ranked.count].append(i)
            }
            groups = groups.map { $0.sorted() }
        }
        if !missing.isEmpty { groups.append(missing) }
        return groups.filter { !$0.isEmpty }
    }

    /// Splits `total` into integer parts proportional to `sizes`, never above a size.
    static func apportion(total: Int, sizes: [Int]) -> [Int] {
        let n = sizes.reduce(0, +)
        guard n > 0 else { return sizes.map { _ in 0 } }
        let exact = sizes.map { Double($0) * Double(total) / Double(n) }
        var parts = exact.map { Int($0.rounded(.down)) }
        var left = total - parts.reduce(0, +)
        let order = sizes.indices.sorted { (exact[$0] - Double(parts[$0]), -$0) > (exact[$1] - Double(parts[$1]), -$1) }
        for i in order where left > 0 && parts[i] < sizes[i] {
            parts[i] += 1
            left -= 1
        }
        return parts
    }
}
