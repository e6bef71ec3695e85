import Foundation
import ModelZoo
import Yams

/// One model section of `cluster.yaml`: what to train, on which target, with which settings.
public struct ModelConfig: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case gbdt, ncf, anomaly, stacking }
    public enum Objective: String, Sendable, Codable, CaseIterable { case regression, binary, quantile }

    public var name: String
    public var kind: Kind
    public var objective: Objective?
    public var target: String?
    public var quantiles: [Double]
    public var shap: Bool
    public var gbdt: GBDTParameters
    public var permutationRows = 5_000
    public var shapRows = 2_000
    public var anomaly = AnomalyDetectorParameters()

    public init(name: String, kind: Kind, objective: Objective? = nil, target: String? = nil,
                quantiles: [Double] = [0.1, 0.5, 0.9], shap: Bool = false, gbdt: GBDTParameters = GBDTParameters()) {
        self.name = name
        self.kind = kind
        self.objective = objective
        self.target = target
        self.quantiles = quantiles
        self.shap = shap
        self.gbdt = gbdt
    }

    /// Kinds whose jobs the workers can run today; the others are planned but refused with a clear error.
    public static let trainableKinds: Set<Kind> = [.gbdt, .anomaly]

    static let gbdtKeys = ["kind", "objective", "target", "trees", "leaves", "learning_rate", "max_bin", "min_data_in_leaf",
                           "lambda_l2", "max_depth", "feature_fraction", "bagging_fraction", "early_stopping", "quantiles", "shap", "seed", "shap_rows", "permutation_rows"]

    static func read(name: String, from models: YAMLNodeReader) throws -> ModelConfig {
        guard let node = models.child(name) else {
            throw ConfigError(file: models.file, line: nil, column: nil, keyPath: models.keyPath(name), message: "expected a mapping with at least 'kind'")
        }
        let probe = try YAMLNodeReader(file: models.file, path: models.keyPath(name), node: node,
                                       allowedKeys: gbdtKeys + ["factors", "layers", "negatives", "epochs", "sample", "contamination", "folds", "meta"])
        guard let kindText = try probe.string("kind", oneOf: Kind.allCases.map(\.rawValue)) else {
            throw YAMLNodeReader.error(models.file, node, models.keyPath(name) + ".kind",
                                       "missing; expected one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let kind = Kind(rawValue: kindText)!
        if kind == .anomaly { return try readAnomaly(name: name, node: node, from: models) }
        guard kind == .gbdt else {
            throw probe.fail("kind", node, "kind '\(kindText)' is not trainable yet in this version of engage; supported: gbdt, anomaly")
        }
        let m = try YAMLNodeReader(file: models.file, path: models.keyPath(name), node: node, allowedKeys: gbdtKeys)
        var config = ModelConfig(name: name, kind: kind)
        guard let objective = try m.string("objective", oneOf: Objective.allCases.map(\.rawValue)) else {
            throw YAMLNodeReader.error(models.file, node, m.keyPath("objective"), "missing; expected regression, binary or quantile")
        }
        config.objective = Objective(rawValue: objective)
        guard let target = try m.string("target") else {
            throw YAMLNodeReader.error(models.file, node, m.keyPath("target"), "missing; expected the name of the target column")
        }
        config.target = target
        config.quantiles = try m.doubles("quantiles", range: 0.001...0.999) ?? config.quantiles
        config.shap = try m.bool("shap") ?? false
        config.shapRows = try m.int("shap_rows", min: 0) ?? config.shapRows
        config.permutationRows = try m.int("permutation_rows", min: 0) ?? config.permutationRows
        var p = GBDTParameters()
        p.trees = try m.int("trees", min: 1) ?? p.trees
        p.leaves = try m.int("leaves", min: 2) ?? p.leaves
        p.learningRate = try m.double("learning_rate", range: 1e-6...1) ?? p.learningRate
        p.maxBin = try m.int("max_bin", min: 2) ?? p.maxBin
        if p.maxBin > 255, let bad = m.child("max_bin") { throw m.fail("max_bin", bad, "expected an integer ≤ 255, found \(p.maxBin)") }
        p.minDataInLeaf = try m.int("min_data_in_leaf", min: 1) ?? p.minDataInLeaf
        p.lambdaL2 = try m.double("lambda_l2", range: 0...1e6) ?? p.lambdaL2
        p.maxDepth = try m.int("max_depth", min: 1)
        p.featureFraction = try m.double("feature_fraction", range: 0.01...1) ?? p.featureFraction
        p.baggingFraction = try m.double("bagging_fraction", range: 0.01...1) ?? p.baggingFraction
        p.earlyStoppingRounds = try m.int("early_stopping", min: 1)
        if let seed = try m.int("seed", min: 0) { p.seed = UInt64(seed) }
        config.gbdt = p
        return config
    }

    static func readAnomaly(name: String, node: Node, from models: YAMLNodeReader) throws -> ModelConfig {
        let m = try YAMLNodeReader(file: models.file, path: models.keyPath(name), node: node,
                                   allowedKeys: ["kind", "target", "trees", "sample", "contamination", "seed", "epochs"])
        var config = ModelConfig(name: name, kind: .anomaly, target: try m.string("target") ?? "is_anomaly")
        var p = AnomalyDetectorParameters()
        p.forest.trees = try m.int("trees", min: 1) ?? p.forest.trees
        p.forest.sampleSize = try m.int("sample", min: 2) ?? p.forest.sampleSize
        p.contamination = try m.double("contamination", range: 0.0001...0.4999) ?? p.contamination
        if let seed = try m.int("seed", min: 0) { p.seed = UInt64(seed) }
        if let epochs = try m.int("epochs", min: 1) { p.autoencoder.epochs = epochs }
        config.anomaly = p
        return config
    }
}
