/// What a recommender job (kind `ncf`) needs beyond the common spec: which columns of the
/// interaction and item tables mean what, and the NeuMF settings.
public struct RecommenderJobSettings: Codable, Sendable, Equatable {
    public var userColumn = "user_id"
    public var itemColumn = "item_id"
    /// Orders each user's interactions for the leave-one-out split (nil: file order).
    public var timestampColumn: String? = "timestamp"
    public var itemIDColumn = "item_id"
    public var itemTextColumn: String? = "title"
    public var itemCategoryColumn: String? = "category"
    public var parameters = NeuMFParameters()
    /// Also trains and evaluates the popularity and matrix-factorisation baselines on the same split.
    public var baselines = true

    public init() {}
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
