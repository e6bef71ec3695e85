/// A quality measure that boosting can watch on a validation set, after LightGBM's `Metric`.
///
/// Objectives name one as their default; early stopping needs to know its direction. Name,
/// direction and formula are the metric's row in the metric table.
public protocol EvaluationMetric: Sendable {
    var definition: MetricDefinition { get }
}

extension EvaluationMetric {
    public var name: String { definition.name }
    public var higherIsBetter: Bool { definition.direction == .higherIsBetter }

    /// The metric of `outputs` (transformed model outputs: probabilities for binary).
    public func evaluate(labels: [Double], outputs: [Double]) -> Double { definition.evaluate!(labels, outputs) }

    /// Whether `candidate` is strictly better than `incumbent`.
    public func isBetter(_ candidate: Double, than incumbent: Double) -> Bool {
        higherIsBetter ? candidate > incumbent : candidate < incumbent
    }
}

/// Root mean squared error; lower is better.
public struct RMSEMetric: EvaluationMetric {
    public init() {}
    public var definition: MetricDefinition { .rmse }
}

/// Mean absolute error; lower is better.
public struct MAEMetric: EvaluationMetric {
    public init() {}
    public var definition: MetricDefinition { .mae }
}

/// Coefficient of determination; higher is better.
public struct R2Metric: EvaluationMetric {
    public init() {}
    public var definition: MetricDefinition { .r2 }
}

/// Binary log loss on probabilities; lower is better.
public struct LogLossMetric: EvaluationMetric {
    public init() {}
    public var definition: MetricDefinition { .logLoss }
}

/// ROC AUC; higher is better.
public struct AUCMetric: EvaluationMetric {
    public init() {}
    public var definition: MetricDefinition { .auc }
}

/// Mean pinball loss at `alpha`; lower is better.
public struct PinballMetric: EvaluationMetric {
    public let alpha: Double
    public init(alpha: Double) { self.alpha = alpha }
    public var definition: MetricDefinition { .pinball(alpha: alpha) }
}
