import Foundation

/// Which meta-learner a stacking model uses, or how to choose one.
public enum MetaLearnerKind: String, Codable, Sendable, CaseIterable {
    case logistic
    case gbdt
    /// Both are scored by cross-validation on the out-of-fold rows; the higher AUC wins
    /// (logistic regression on a tie, being the simpler).
    case automatic
}

/// A fitted meta-learner.
public enum MetaLearner: Sendable, Equatable {
    case logistic(LogisticRegressionModel)
    case gbdt(GBDTModel)

    public var kind: MetaLearnerKind {
        switch self {
        case .logistic: return .logistic
        case .gbdt: return .gbdt
        }
    }
}

/// How one meta-learner candidate scored in the cross-validation that chose between them.
public struct MetaLearnerScore: Sendable, Equatable, Codable {
    public let kind: MetaLearnerKind
    public let auc: Double
    public let logLoss: Double
}

/// The stacking ensemble's second level: a meta-learner over the base models' outputs.
///
/// Exists so that the ensemble is one artifact: it records which base outputs it reads (by
/// name, so input columns may come in any order), which meta-learner won and by how much.
public struct StackingModel: Sendable, Equatable {
    /// The base model outputs the meta-learner reads, e.g. "churn", "engagement", "anomaly".
    public let inputNames: [String]
    public let metaLearner: MetaLearner
    /// The cross-validated scores that chose the meta-learner (empty when it was fixed).
    public let selection: [MetaLearnerScore]

    public init(inputNames: [String], metaLearner: MetaLearner, selection: [MetaLearnerScore]) throws {
        guard !inputNames.isEmpty, Set(inputNames).count == inputNames.count else {
            throw StackingError.invalidModel("input names must be unique and not empty")
        }
        let used: [String]
        switch metaLearner {
        case .logistic(let model): used = model.featureNames
        case .gbdt(let model):
            used = model.featureNames
            guard model.objective == .binary else { throw StackingError.invalidModel("a GBDT meta-learner must be binary") }
        }
        guard used == inputNames else { throw StackingError.invalidModel("the meta-learner reads \(used), the model lists \(inputNames)") }
        self.inputNames = inputNames
        self.metaLearner = metaLearner
        self.selection = selection
    }

    /// The ensemble's probability of class 1 for each row of base outputs (matched by name).
    public func predict(_ x: FeatureMatrix) throws -> [Double] {
        switch metaLearner {
        case .logistic(let model): return try model.predict(x)
        case .gbdt(let model): return try model.predict(x)
        }
    }
}
