import Foundation
import ModelZoo
import Training
import Yams

/// One model section of `cluster.yaml`: what to train, on which target, with which settings.
public struct ModelConfig: Sendable, Equatable, Codable {
    public var name: String
    public var kind: ModelKind
    /// A GBDT's objective (one of `ModelObjective.gbdt`); nil for the other kinds.
    public var objective: ModelObjective?
    public var target: String?
    public var quantiles: [Double]
    public var shap: Bool
    public var gbdt: GBDTParameters
    public var permutationRows = TrainingJobSpec.defaultPermutationRows
    public var shapRows = TrainingJobSpec.defaultSHAPRows
    public var anomaly = AnomalyDetectorParameters()
    /// Settings of a recommender (kind `ncf`).
    public var recommender = RecommenderJobSettings()
    /// Settings of a stacking ensemble (kind `stacking`); `supervised`/`unsupervised` are
    /// filled from the kinds of the models named in `inputs`.
    public var stacking = StackingJobSettings()
    /// The models a stacking ensemble reads, as written in the file.
    public var inputs: [String] = []
    /// The positive level of a text binary target (`positive: Yes`); see `TargetRule`.
    public var positive: String?

    public init(name: String, kind: ModelKind, objective: ModelObjective? = nil, target: String? = nil,
                quantiles: [Double] = [0.1, 0.5, 0.9], shap: Bool = false, gbdt: GBDTParameters = GBDTParameters()) {
        self.name = name
        self.kind = kind
        self.objective = objective
        self.target = target
        self.quantiles = quantiles
        self.shap = shap
        self.gbdt = gbdt
    }

    static let gbdtKeys = ["kind", "objective", "target", "trees", "leaves", "learning_rate", "max_bin", "min_data_in_leaf",
                           "lambda_l2", "max_depth", "feature_fraction", "bagging_fraction", "early_stopping", "quantiles", "shap", "seed", "shap_rows", "permutation_rows", "positive"]

    static func read(name: String, from models: YAMLNodeReader) throws -> ModelConfig {
        guard let node = models.child(name) else {
            throw ConfigError(file: models.file, line: nil, column: nil, keyPath: models.keyPath(name), message: "expected a mapping with at least 'kind'")
        }
        let probe = try YAMLNodeReader(file: models.file, path: models.keyPath(name), node: node,
                                       allowedKeys: gbdtKeys + ["factors", "layers", "negatives", "epochs", "epoch_steps", "batch_size", "sample", "contamination", "inputs", "reference", "meta"])
        guard let kindText = try probe.string("kind", oneOf: ModelKind.allCases.map(\.rawValue)) else {
            throw YAMLNodeReader.error(models.file, node, models.keyPath(name) + ".kind",
                                       "missing; expected one of \(ModelKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let kind = ModelKind(rawValue: kindText)!
        switch kind {
        case .anomaly: return try readAnomaly(name: name, node: node, from: models)
        case .ncf: return try readRecommender(name: name, node: node, from: models)
        case .stacking: return try readStacking(name: name, node: node, from: models)
        case .gbdt: break
        }
        let m = try YAMLNodeReader(file: models.file, path: models.keyPath(name), node: node, allowedKeys: gbdtKeys)
        var config = ModelConfig(name: name, kind: kind)
        guard let objective = try m.string("objective", oneOf: ModelObjective.gbdt.map(\.rawValue)) else {
            throw YAMLNodeReader.error(models.file, node, m.keyPath("objective"), "missing; expected regression, binary or quantile")
        }
        config.objective = ModelObjective(rawValue: objective)
        guard let target = try m.string("target") else {
            throw YAMLNodeReader.error(models.file, node, m.keyPath("target"), "missing; expected the name of the target column")
        }
        config.target = target
        config.positive = try m.positiveLevel(objective: config.objective)
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
                                   allowedKeys: ["kind", "target", "trees", "sample", "contamination", "combination", "seed", "epochs"])
        var config = ModelConfig(name: name, kind: .anomaly, target: try m.string("target") ?? "is_anomaly")
        var p = AnomalyDetectorParameters()
        p.forest.trees = try m.int("trees", min: 1) ?? p.forest.trees
        p.forest.sampleSize = try m.int("sample", min: 2) ?? p.forest.sampleSize
        p.contamination = try m.double("contamination", range: 0.0001...0.4999) ?? p.contamination
        if let seed = try m.int("seed", min: 0) { p.seed = UInt64(seed) }
        if let epochs = try m.int("epochs", min: 1) { p.autoencoder.epochs = epochs }
        if let rule = try m.string("combination", oneOf: ScoreCombination.allCases.map(\.rawValue)) {
            p.combination = ScoreCombination(rawValue: rule) ?? p.combination
        }
        config.anomaly = p
        return config
    }

    static func readRecommender(name: String, node: Node, from models: YAMLNodeReader) throws -> ModelConfig {
        let m = try YAMLNodeReader(file: models.file, path: models.keyPath(name), node: node,
                                   allowedKeys: ["kind", "factors", "layers", "negatives", "epochs", "epoch_steps", "batch_size", "learning_rate",
                                                 "seed"])
        var config = ModelConfig(name: name, kind: .ncf)
        var p = config.recommender.parameters
        p.factors = try m.int("factors", min: 1) ?? p.factors
        p.layers = try m.ints("layers", min: 1) ?? p.layers
        p.negatives = try m.int("negatives", min: 1) ?? p.negatives
        p.epochs = try m.int("epochs", min: 1) ?? p.epochs
        p.epochSteps = try m.int("epoch_steps", min: 0) ?? p.epochSteps
        p.batchSize = try m.int("batch_size", min: 1) ?? p.batchSize
        if let rate = try m.double("learning_rate", range: 1e-7...1) { p.learningRate = Float(rate) }
        if let seed = try m.int("seed", min: 0) { p.seed = UInt64(seed) }
        do {
            try p.validate()
        } catch {
            throw YAMLNodeReader.error(models.file, node, models.keyPath(name), "\(error)")
        }
        config.recommender.parameters = p
        return config
    }

    static func readStacking(name: String, node: Node, from models: YAMLNodeReader) throws -> ModelConfig {
        let m = try YAMLNodeReader(file: models.file, path: models.keyPath(name), node: node,
                                   allowedKeys: ["kind", "target", "inputs", "reference", "meta", "seed", "positive"])
        var config = ModelConfig(name: name, kind: .stacking, target: try m.string("target") ?? "churn_30_day")
        config.objective = .binary
        config.positive = try m.positiveLevel(objective: .binary)
        guard let inputs = try m.strings("inputs"), !inputs.isEmpty else {
            throw YAMLNodeReader.error(models.file, node, m.keyPath("inputs"), "missing; expected the list of base models the ensemble reads")
        }
        config.inputs = inputs
        config.stacking.reference = try m.string("reference")
        if let meta = try m.string("meta", oneOf: MetaLearnerKind.allCases.map(\.rawValue)) {
            config.stacking.parameters.metaLearner = MetaLearnerKind(rawValue: meta)!
        }
        if let seed = try m.int("seed", min: 0) { config.stacking.parameters.seed = UInt64(seed) }
        return config
    }

    /// Resolves every stacking model's `inputs` against the other models: each must exist, and
    /// supervised ones (gbdt) feed out-of-fold predictions, unsupervised ones (anomaly, ncf)
    /// their outputs directly; `reference` must be one of the inputs.
    static func checkStackingInputs(_ configs: inout [ModelConfig], in models: YAMLNodeReader) throws {
        let byName = Dictionary(uniqueKeysWithValues: configs.map { ($0.name, $0) })
        for index in configs.indices where configs[index].kind == .stacking {
            let name = configs[index].name
            let path = models.keyPath(name)
            let node = models.child(name)!
            var supervised: [String] = [], unsupervised: [String] = []
            for input in configs[index].inputs {
                guard let base = byName[input] else {
                    throw YAMLNodeReader.error(models.file, node, path + ".inputs",
                                               "'\(input)' is not a model of this file; models: \(configs.map(\.name).joined(separator: ", "))")
                }
                switch base.kind {
                case .gbdt: supervised.append(input)
                case .anomaly, .ncf: unsupervised.append(input)
                case .stacking: throw YAMLNodeReader.error(models.file, node, path + ".inputs", "'\(input)' is itself an ensemble")
                }
            }
            if let reference = configs[index].stacking.reference, !configs[index].inputs.contains(reference) {
                throw YAMLNodeReader.error(models.file, node, path + ".reference", "'\(reference)' is not one of the inputs \(configs[index].inputs)")
            }
            configs[index].stacking.supervised = supervised
            configs[index].stacking.unsupervised = unsupervised
        }
    }
}

extension YAMLNodeReader {
    /// `positive:` of a model section: a non-empty level name (numbers and booleans are read as
    /// their text), allowed only for a binary objective.
    func positiveLevel(objective: ModelObjective?) throws -> String? {
        guard let node = child("positive") else { return nil }
        guard let text = node.scalar?.string, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw fail("positive", node, "expected the target level that is the positive class, such as Yes")
        }
        guard objective == .binary else {
            throw fail("positive", node, "only a binary objective has a positive class; objective is \(objective?.rawValue ?? "none")")
        }
        return text
    }
}
