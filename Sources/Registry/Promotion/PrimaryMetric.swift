import ModelZoo

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

    /// A test metric of the metric table; it must have a direction.
    init(_ definition: MetricDefinition) {
        guard let direction = definition.direction else { preconditionFailure("\(definition) has no better direction") }
        self.init(name: definition.name, direction: direction)
    }

    /// By the version's objective when it was recorded, otherwise by the metrics it has.
    public static func of(_ version: ModelVersion) -> PrimaryMetric? {
        let definition: MetricDefinition?
        switch version.objective {
        case .binary?: definition = .auc
        case .regression?: definition = .r2
        case .quantile?: definition = .pinball(alpha: 0.5)
        default: definition = [MetricDefinition.auc, .pinball(alpha: 0.5), .r2].first { version.metric($0.name) != nil }
        }
        return definition.map(PrimaryMetric.init)
    }

    public var description: String { "\(split) \(name) (\(direction == .higherIsBetter ? "higher" : "lower") is better)" }
}
