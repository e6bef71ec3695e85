import Foundation

/// Which loss a GBDT minimises; decides gradients, the initial score, leaf refitting,
/// the output transform and the default evaluation metric.
public enum ObjectiveKind: Codable, Sendable, Equatable {
    /// Squared error; outputs are the raw score.
    case regression
    /// Logistic loss on 0/1 labels; outputs are probabilities.
    case binary
    /// Pinball loss at `alpha` in (0, 1); outputs are the raw score.
    case quantile(alpha: Double)

    public var name: String {
        switch self {
        case .regression: return "regression"
        case .binary: return "binary"
        case .quantile: return "quantile"
        }
    }
}

/// Hyper-parameters of histogram gradient boosting, named and defaulted as in LightGBM.
///
/// Decoding accepts any subset of the keys (absent keys keep their defaults), so
/// configuration files only need to name what they change.
public struct GBDTParameters: Codable, Sendable, Equatable {
    /// Boosting rounds (trees).
    public var trees = 300
    /// Maximum leaves per tree (leaf-wise growth).
    public var leaves = 31
    public var learningRate = 0.1
    /// Maximum value bins per feature (1...255); a missing bin is added on top.
    public var maxBin = 255
    public var minDataInLeaf = 20
    public var minSumHessianInLeaf = 1e-3
    public var lambdaL2 = 0.0
    public var minGainToSplit = 0.0
    /// Depth cap (root children are at depth 1); nil or ≤ 0 means unlimited.
    public var maxDepth: Int? = nil
    /// Share of features drawn (without replacement) for each tree.
    public var featureFraction = 1.0
    /// Share of rows drawn (without replacement) every `baggingFrequency` trees.
    public var baggingFraction = 1.0
    /// Redraw the bag every this many trees; 0 disables bagging.
    public var baggingFrequency = 1
    /// Stop when the validation metric has not improved for this many trees.
    public var earlyStoppingRounds: Int? = nil
    /// Threads for histogram building, split search and scoring; 0 = all cores.
    public var threads = 0
    /// Root-histogram bin updates (rows × features) each thread of a fit must have to pay for
    /// joining the thousands of short parallel regions of tree learning: a smaller fit uses
    /// fewer of `threads`. On 2 cores, fits of 16,000 × 9 and 22,500 × 5 ran faster on one thread
    /// than on two, one of 5,000 × 53 faster on two (docs/benchmarks.md, "Threads of a small
    /// fit"). Speed only: the model does not depend on threads. Not encoded; 0 = always `threads`.
    public var rootWorkPerThread = 200_000
    public var seed: UInt64 = 0

    /// Rows sampled per feature to find bin boundaries.
    public var binSampleCount = 200_000
    /// Fewest sampled rows in a numeric bin (LightGBM's `min_data_in_bin`): rarer distinct
    /// values share a bin with their neighbours.
    public var minDataInBin = 3
    /// Categorical splits: categories are sorted by sum(g) / (sum(h) + catSmooth).
    public var catSmooth = 10.0
    /// Extra L2 regularisation in the gain of many-vs-many categorical splits.
    public var catL2 = 10.0
    /// Most categories on the left side of a many-vs-many categorical split.
    public var maxCatThreshold = 32
    /// Fewest rows per group of categories between split candidates.
    public var minDataPerGroup = 100
    /// Up to this many categories, categorical splits are one-vs-rest.
    public var maxCatToOneHot = 4

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case trees, leaves, learningRate, maxBin, minDataInLeaf, minSumHessianInLeaf, lambdaL2, minGainToSplit
        case maxDepth, featureFraction, baggingFraction, baggingFrequency, earlyStoppingRounds, threads, seed
        case binSampleCount, minDataInBin, catSmooth, catL2, maxCatThreshold, minDataPerGroup, maxCatToOneHot
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        trees = try value(.trees, trees)
        leaves = try value(.leaves, leaves)
        learningRate = try value(.learningRate, learningRate)
        maxBin = try value(.maxBin, maxBin)
        minDataInLeaf = try value(.minDataInLeaf, minDataInLeaf)
        minSumHessianInLeaf = try value(.minSumHessianInLeaf, minSumHessianInLeaf)
        lambdaL2 = try value(.lambdaL2, lambdaL2)
        minGainToSplit = try value(.minGainToSplit, minGainToSplit)
        maxDepth = try c.decodeIfPresent(Int.self, forKey: .maxDepth)
        featureFraction = try value(.featureFraction, featureFraction)
        baggingFraction = try value(.baggingFraction, baggingFraction)
        baggingFrequency = try value(.baggingFrequency, baggingFrequency)
        earlyStoppingRounds = try c.decodeIfPresent(Int.self, forKey: .earlyStoppingRounds)
        threads = try value(.threads, threads)
        seed = try value(.seed, seed)
        binSampleCount = try value(.binSampleCount, binSampleCount)
        minDataInBin = try value(.minDataInBin, minDataInBin)
        catSmooth = try value(.catSmooth, catSmooth)
        catL2 = try value(.catL2, catL2)
        maxCatThreshold = try value(.maxCatThreshold, maxCatThreshold)
        minDataPerGroup = try value(.minDataPerGroup, minDataPerGroup)
        maxCatToOneHot = try value(.maxCatToOneHot, maxCatToOneHot)
    }

    /// Throws `GBDTError.invalidParameter` for the first value outside its domain.
    public func validate() throws {
        func check(_ ok: Bool, _ name: String, _ rule: String, _ value: Any) throws {
            if !ok { throw GBDTError.invalidParameter(name: name, value: "\(value)", rule: rule) }
        }
        try check(trees >= 1, "trees", "must be at least 1", trees)
        try check(leaves >= 2, "leaves", "must be at least 2", leaves)
        try check(learningRate > 0 && learningRate.isFinite, "learningRate", "must be a positive number", learningRate)
        try check((1...255).contains(maxBin), "maxBin", "must be in 1...255", maxBin)
        try check(minDataInLeaf >= 1, "minDataInLeaf", "must be at least 1", minDataInLeaf)
        try check(minSumHessianInLeaf >= 0 && minSumHessianInLeaf.isFinite,
                  "minSumHessianInLeaf", "must be a non-negative number", minSumHessianInLeaf)
        try check(lambdaL2 >= 0 && lambdaL2.isFinite, "lambdaL2", "must be a non-negative number", lambdaL2)
        try check(minGainToSplit >= 0 && minGainToSplit.isFinite,
                  "minGainToSplit", "must be a non-negative number", minGainToSplit)
        try check(featureFraction > 0 && featureFraction <= 1, "featureFraction", "must be in (0, 1]", featureFraction)
        try check(baggingFraction > 0 && baggingFraction <= 1, "baggingFraction", "must be in (0, 1]", baggingFraction)
        try check(baggingFrequency >= 0, "baggingFrequency", "must be non-negative", baggingFrequency)
        if let rounds = earlyStoppingRounds {
            try check(rounds >= 1, "earlyStoppingRounds", "must be at least 1 when set", rounds)
        }
        try check(threads >= 0, "threads", "must be non-negative (0 = all cores)", threads)
        try check(binSampleCount >= 1, "binSampleCount", "must be at least 1", binSampleCount)
        try check(minDataInBin >= 1, "minDataInBin", "must be at least 1", minDataInBin)
        try check(catSmooth >= 0 && catSmooth.isFinite, "catSmooth", "must be a non-negative number", catSmooth)
        try check(catL2 >= 0 && catL2.isFinite, "catL2", "must be a non-negative number", catL2)
        try check(maxCatThreshold >= 1, "maxCatThreshold", "must be at least 1", maxCatThreshold)
        try check(minDataPerGroup >= 1, "minDataPerGroup", "must be at least 1", minDataPerGroup)
        try check(maxCatToOneHot >= 0, "maxCatToOneHot", "must be non-negative", maxCatToOneHot)
    }

    /// The depth cap, or nil when unlimited.
    var effectiveMaxDepth: Int? {
        guard let depth = maxDepth, depth > 0 else { return nil }
        return depth
    }
}

/// Why GBDT training or scoring was refused.
public enum GBDTError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case invalidParameter(name: String, value: String, rule: String)
    case invalidObjective(String)
    case emptyTrainingSet
    case tooManyRows(Int)
    case noFeatures
    case labelCountMismatch(labels: Int, rows: Int, set: String)
    case invalidLabel(row: Int, value: Double, reason: String)
    case invalidModel(String)

    public var description: String {
        switch self {
        case .invalidParameter(let name, let value, let rule):
            return "GBDT parameter \(name) = \(value) is invalid: it \(rule)"
        case .invalidObjective(let detail):
            return "invalid objective: \(detail)"
        case .emptyTrainingSet:
            return "cannot train a GBDT on zero rows"
        case .tooManyRows(let rows):
            return "cannot train a GBDT on \(rows) rows: row numbers are 32-bit, so at most \(Int32.max - 1)"
        case .noFeatures:
            return "cannot train a GBDT without features"
        case .labelCountMismatch(let labels, let rows, let set):
            return "\(set) set has \(rows) rows but \(labels) labels"
        case .invalidLabel(let row, let value, let reason):
            return "label \(value) in row \(row) is invalid: \(reason)"
        case .invalidModel(let detail):
            return "invalid GBDT model: \(detail)"
        }
    }

    public var errorDescription: String? { description }
}
