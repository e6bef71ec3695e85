import Foundation

/// Hyper-parameters of an isolation forest, defaulted as in Liu, Ting & Zhou (2008).
///
/// Decoding accepts any subset of the keys, so configuration files only name what they change.
public struct IsolationForestParameters: Codable, Sendable, Equatable {
    /// Number of isolation trees.
    public var trees = 100
    /// Rows drawn without replacement for each tree (ψ); capped at the number of rows.
    public var sampleSize = 256
    /// Depth limit; nil means ⌈log2 ψ⌉, the paper's choice (the average height of a tree on ψ points).
    public var maxDepth: Int? = nil
    /// Threads for building and scoring; 0 = all cores. Results do not depend on it.
    public var threads = 0
    public var seed: UInt64 = 0

    public init() {}

    private enum CodingKeys: String, CodingKey { case trees, sampleSize, maxDepth, threads, seed }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trees = try c.decodeIfPresent(Int.self, forKey: .trees) ?? trees
        sampleSize = try c.decodeIfPresent(Int.self, forKey: .sampleSize) ?? sampleSize
        maxDepth = try c.decodeIfPresent(Int.self, forKey: .maxDepth)
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? threads
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
    }

    /// Throws `AnomalyError.invalidParameter` for the first value outside its domain.
    public func validate() throws {
        try AnomalyError.check(trees >= 1 && trees <= 100_000, "trees", trees, "must be in 1...100000")
        try AnomalyError.check(sampleSize >= 2 && sampleSize <= 1 << 20, "sampleSize", sampleSize, "must be in 2...1048576")
        if let maxDepth {
            try AnomalyError.check(maxDepth >= 1 && maxDepth <= 64, "maxDepth", maxDepth, "must be in 1...64 when set")
        }
        try AnomalyError.check(threads >= 0, "threads", threads, "must be non-negative (0 = all cores)")
    }

    /// The depth limit for trees grown on `sampleRows` rows.
    func depthLimit(sampleRows: Int) -> Int {
        if let maxDepth { return maxDepth }
        var depth = 0
        while (1 << depth) < sampleRows { depth += 1 }
        return max(depth, 1)
    }
}

/// The average path length of an unsuccessful search in a binary search tree of `n` points,
/// c(n) = 2H(n−1) − 2(n−1)/n with H(i) ≈ ln i + γ (Liu, Ting & Zhou 2008, eq. 1; scikit-learn's
/// `_average_path_length`). It normalises path lengths and stands in for the subtree that the
/// depth limit cut off at an external node holding `n` training points.
enum AveragePathLength {
    static let eulerGamma = 0.577_215_664_901_532_9

    static func of(_ n: Int) -> Double {
        if n <= 1 { return 0 }
        if n == 2 { return 1 }
        let m = Double(n - 1)
        return 2 * (Foundation.log(m) + eulerGamma) - 2 * m / Double(n)
    }
}
