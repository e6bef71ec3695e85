import ModelZoo
/// What a recommender job (kind `ncf`) needs beyond the common spec: which columns mean what
/// (read through as `settings.userColumn`, …), and the NeuMF settings.
@dynamicMemberLookup
public struct RecommenderJobSettings: Codable, Sendable, Equatable {
    public var columns = RecommenderColumns()
    public var parameters = NeuMFParameters()
    /// Also trains and evaluates the popularity and matrix-factorisation baselines on the same split.
    public var baselines = true

    public init() {}

    public subscript<T>(dynamicMember path: WritableKeyPath<RecommenderColumns, T>) -> T {
        get { columns[keyPath: path] }
        set { columns[keyPath: path] = newValue }
    }
}

/// What a stacking job (kind `stacking`) needs: which base models feed it and how, and the
/// meta-learner's settings.
public struct StackingJobSettings: Codable, Sendable, Equatable {
    /// Supervised base models: out-of-fold predictions for training rows, the full model's for test rows.
    public var supervised: [String] = []
    /// Unsupervised base models (anomaly score, recommender affinity): their outputs for every row.
    public var unsupervised: [String] = []
    public var parameters = StackingParameters()
    /// The base model whose test AUC the ensemble's lift is measured against (e.g. `churn`).
    public var reference: String?

    public init() {}

    /// The stacking table's input columns, in order.
    public var inputs: [String] { supervised + unsupervised }
}
