/// Whether a larger value of a metric is better, so that comparisons between
/// versions (promotion's margin, `compare`'s deltas) read the right way round.
public enum MetricDirection: String, Codable, Sendable, Equatable {
    case higherIsBetter = "higher"
    case lowerIsBetter = "lower"

    /// The direction of a metric the trainers report; nil for one with no better
    /// direction (interval coverage is best at its nominal level) or an unknown name.
    public static func of(metric name: String) -> MetricDirection? {
        if higher.contains(name) || name.hasPrefix("hr@") || name.hasPrefix("ndcg") { return .higherIsBetter }
        if lower.contains(name) || name.hasPrefix("pinball") { return .lowerIsBetter }
        return nil
    }

    private static let higher: Set<String> = ["auc", "r2", "accuracy", "precision", "recall", "f1", "average_precision", "hit_rate", "coverage_catalogue"]
    private static let lower: Set<String> = ["logloss", "log_loss", "rmse", "mse", "mae", "brier"]

    /// True when `candidate` is better than `reference` by at least `margin`.
    public func beats(_ candidate: Double, _ reference: Double, by margin: Double) -> Bool {
        improvement(from: reference, to: candidate) >= margin
    }

    /// How much better `new` is than `old` (negative when worse).
    public func improvement(from old: Double, to new: Double) -> Double {
        self == .higherIsBetter ? new - old : old - new
    }
}

/// The test metric a model is judged by when promotion asks "is it better than
/// production": `auc` for binary classifiers, `r2` for regressors, `pinball_p50`
/// (lower is better) for quantile models.
public struct PrimaryMetric: Codable, Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var split: String
    public var direction: MetricDirection

    public init(name: String, split: String = "test", direction: MetricDirection) {
        self.name = name
        self.split = split
        self.direction = direction
    }

    /// By the version's objective when it was recorded, otherwise by the metrics it has.
    public static func of(_ version: ModelVersion) -> PrimaryMetric? {
        switch version.objective {
        case .binary?: return PrimaryMetric(name: "auc", direction: .higherIsBetter)
        case .regression?: return PrimaryMetric(name: "r2", direction: .higherIsBetter)
        case .quantile?: return PrimaryMetric(name: "pinball_p50", direction: .lowerIsBetter)
        default: break
        }
        if version.metric("auc") != nil { return PrimaryMetric(name: "auc", direction: .higherIsBetter) }
        if version.metric("pinball_p50") != nil { return PrimaryMetric(name: "pinball_p50", direction: .lowerIsBetter) }
        if version.metric("r2") != nil { return PrimaryMetric(name: "r2", direction: .higherIsBetter) }
        return nil
    }

    public var description: String { "\(split) \(name) (\(direction == .higherIsBetter ? "higher" : "lower") is better)" }
}
