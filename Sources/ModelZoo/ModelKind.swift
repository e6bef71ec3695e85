/// The algorithm family of a model: one name shared by `cluster.yaml`, the job spec, the
/// artifact header, the command line and the registry's `kind` column.
public enum ModelKind: String, Codable, Sendable, CaseIterable {
    /// Histogram gradient-boosted trees (regression, binary or quantile).
    case gbdt
    /// NeuMF recommender over implicit feedback.
    case ncf
    /// Isolation forest and autoencoder outlier scoring.
    case anomaly
    /// A meta-learner over other models' outputs.
    case stacking

    /// Whether the kind learns from a target column (its models can feed an ensemble through fold jobs).
    public var isSupervised: Bool { self == .gbdt }
}

/// What a model predicts, which decides its loss, its metrics and how its outputs read.
public enum ModelObjective: String, Codable, Sendable, CaseIterable {
    case regression, binary, quantile
    /// Unsupervised outlier scoring; the target, when present, is an evaluation-only label.
    case anomaly
    /// Ranking items for users from implicit feedback (a recommender); evaluated leave-one-out.
    case ranking

    /// The objectives a GBDT trains.
    public static let gbdt: [ModelObjective] = [.regression, .binary, .quantile]
}
