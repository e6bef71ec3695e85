import Foundation

/// A trained GBDT: an initial score plus a sum of trees, over named features.
///
/// Features are matched by name at scoring time, so callers may pass columns in any
/// order (and extra columns). The binary artifact is `encode()` / `decode(_:)`.
public struct GBDTModel: Sendable, Equatable {
    public let featureNames: [String]
    public let objective: ObjectiveKind
    public let baseScore: Double
    public let trees: [RegressionTree]
    /// Trees kept by early stopping (equal to `trees.count` for trained models); scoring
    /// uses only the first `bestIteration` trees when set.
    public var bestIteration: Int?

    public init(featureNames: [String], objective: ObjectiveKind, baseScore: Double, trees: [RegressionTree],
                bestIteration: Int? = nil) throws {
        guard Set(featureNames).count == featureNames.count else {
            throw GBDTError.invalidModel("feature names are not unique")
        }
        guard baseScore.isFinite else { throw GBDTError.invalidModel("base score \(baseScore) is not finite") }
        if case .quantile(let alpha) = objective, !(alpha > 0 && alpha < 1) {
            throw GBDTError.invalidModel("quantile alpha \(alpha) is outside (0, 1)")
        }
        if let bestIteration, bestIteration < 0 || bestIteration > trees.count {
            throw GBDTError.invalidModel("best iteration \(bestIteration) is outside 0...\(trees.count)")
        }
        for (index, tree) in trees.enumerated() {
            for feature in tree.splitFeature where Int(feature) >= featureNames.count || feature < 0 {
                throw GBDTError.invalidModel("tree \(index) splits on feature \(feature) of \(featureNames.count)")
            }
        }
        self.featureNames = featureNames
        self.objective = objective
        self.baseScore = baseScore
        self.trees = trees
        self.bestIteration = bestIteration
    }

    /// The trees that scoring uses.
    public var activeTrees: ArraySlice<RegressionTree> {
        trees.prefix(bestIteration ?? trees.count)
    }

    /// Raw scores (margins): base score plus the sum of tree outputs.
    public func predictRaw(_ x: FeatureMatrix) throws -> [Double] {
        try predictRaw(x, threads: 0)
    }

    /// Raw scores using `threads` threads (0 = all cores); the result does not depend on it.
    public func predictRaw(_ x: FeatureMatrix, threads: Int) throws -> [Double] {
        let blocks = try RowBlocks(x, featureNames: featureNames)
        var scores = [Double](repeating: baseScore, count: x.rowCount)
        blocks.accumulate(PackedEnsemble(activeTrees), into: &scores, runner: ParallelRunner(threads: threads))
        return scores
    }

    /// Model outputs: probabilities for binary models, raw scores otherwise.
    public func predict(_ x: FeatureMatrix) throws -> [Double] {
        outputs(raw: try predictRaw(x))
    }

    /// Raw scores as the model outputs them: probabilities for a binary model, unchanged otherwise.
    public func outputs(raw: [Double]) -> [Double] {
        switch objective {
        case .binary: return raw.map(BinaryLogisticObjective.sigmoid)
        case .regression, .quantile: return raw
        }
    }

    /// Total split gain and split count per feature, in `featureNames` order. Permutation
    /// importance and mean |SHAP| need data and are left at 0 for callers to fill.
    public func importance() -> [FeatureImportance] {
        var gain = [Double](repeating: 0, count: featureNames.count)
        var splits = [Int](repeating: 0, count: featureNames.count)
        for tree in activeTrees {
            for (node, feature) in tree.splitFeature.enumerated() {
                gain[Int(feature)] += tree.splitGain[node]
                splits[Int(feature)] += 1
            }
        }
        return featureNames.indices.map {
            FeatureImportance(feature: featureNames[$0], gain: gain[$0], splits: splits[$0])
        }
    }
}

/// How much one feature matters to a model, by several measures, for reports and the registry.
public struct FeatureImportance: Codable, Sendable, Equatable {
    public let feature: String
    /// Sum of the loss reduction of every split on this feature.
    public var gain: Double
    /// Number of splits on this feature.
    public var splits: Int
    /// Drop in the model's metric when this feature's values are shuffled.
    public var permutation: Double
    /// Mean absolute SHAP value over the explained rows.
    public var meanAbsSHAP: Double

    public init(feature: String, gain: Double = 0, splits: Int = 0, permutation: Double = 0, meanAbsSHAP: Double = 0) {
        self.feature = feature
        self.gain = gain
        self.splits = splits
        self.permutation = permutation
        self.meanAbsSHAP = meanAbsSHAP
    }
}
