/// A quality measure that boosting can watch on a validation set, after LightGBM's `Metric`.
///
/// Objectives name one as their default; early stopping needs to know its direction.
public protocol EvaluationMetric: Sendable {
    var name: String { get }
    var higherIsBetter: Bool { get }
    /// The metric of `outputs` (transformed model outputs: probabilities for binary).
    func evaluate(labels: [Double], outputs: [Double]) -> Double
}

extension EvaluationMetric {
    /// Whether `candidate` is strictly better than `incumbent`.
    public func isBetter(_ candidate: Double, than incumbent: Double) -> Bool {
        higherIsBetter ? candidate > incumbent : candidate < incumbent
    }
}

/// Root mean squared error; lower is better.
public struct RMSEMetric: EvaluationMetric {
    public init() {}
    public var name: String { "rmse" }
    public var higherIsBetter: Bool { false }
    public func evaluate(labels: [Double], outputs: [Double]) -> Double { Metrics.rmse(labels: labels, predictions: outputs) }
}

/// Mean absolute error; lower is better.
public struct MAEMetric: EvaluationMetric {
    public init() {}
    public var name: String { "mae" }
    public var higherIsBetter: Bool { false }
    public func evaluate(labels: [Double], outputs: [Double]) -> Double { Metrics.mae(labels: labels, predictions: outputs) }
}

/// Coefficient of determination; higher is better.
public struct R2Metric: EvaluationMetric {
    public init() {}
    public var name: String { "r2" }
    public var higherIsBetter: Bool { true }
    public func evaluate(labels: [Double], outputs: [Double]) -> Double { Metrics.r2(labels: labels, predictions: outputs) }
}

/// Binary log loss on probabilities; lower is better.
public struct LogLossMetric: EvaluationMetric {
    public init() {}
    public var name: String { "log_loss" }
    public var higherIsBetter: Bool { false }
    public func evaluate(labels: [Double], outputs: [Double]) -> Double { Metrics.logLoss(labels: labels, probabilities: outputs) }
}

/// ROC AUC; higher is better.
public struct AUCMetric: EvaluationMetric {
    public init() {}
    public var name: String { "auc" }
    public var higherIsBetter: Bool { true }
    public func evaluate(labels: [Double], outputs: [Double]) -> Double { Metrics.auc(labels: labels, scores: outputs) }
}

/// Mean pinball loss at `alpha`; lower is better.
public struct PinballMetric: EvaluationMetric {
    public let alpha: Double
    public init(alpha: Double) { self.alpha = alpha }
    public var name: String { "pinball_\(alpha)" }
    public var higherIsBetter: Bool { false }
    public func evaluate(labels: [Double], outputs: [Double]) -> Double {
        Metrics.pinball(labels: labels, predictions: outputs, alpha: alpha)
    }
}
