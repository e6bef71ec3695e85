/// The column roles of the customer dataset that `CustomerGenerator` produces and
/// the models are trained on.
///
/// Exists so that the generator, the coordinator's data checks, the models and the
/// fairness reports agree on which columns are features, targets, sensitive
/// attributes and evaluation-only labels.
public enum CustomerSchema {
    /// Numeric id, 0-based, equal to the row index of the generated table. Not a feature.
    public static let idColumn = "user_id"
    public static let targets = ["engagement_score", "churn_30_day", "lifetime_value_usd"]
    /// Categorical attributes used for fairness reports only, never as features.
    public static let sensitive = ["age_group", "gender", "region"]
    /// 0/1 label of injected fake or abusive accounts; for evaluation only.
    public static let anomalyLabel = "is_anomaly"
    /// Attributes that may never be used as features, whatever a user's schema says.
    public static let prohibited = [
        "race", "ethnicity", "national_origin", "religion", "sexual_orientation",
        "marital_status", "disability", "political_affiliation", "military_status",
    ]

    /// The feature columns, in table order.
    public static let featureNames: [String] = CustomerColumns.features.map(\.name)

    /// The features that are categorical (the rest are numeric).
    public static let categoricalFeatures: [String] = CustomerColumns.features.filter(\.isCategorical).map(\.name)

    /// The twelve content categories, shared by `content_category_primary` and the items table.
    public static let contentCategories = [
        "music", "gaming", "sports", "fitness", "food", "travel",
        "fashion", "technology", "art", "education", "comedy", "finance",
    ]

    /// Every column of the customers table, in order.
    public static var allColumns: [String] {
        [idColumn] + featureNames + sensitive + targets + [anomalyLabel]
    }

    /// The levels of a categorical column of the customers table (features and
    /// sensitive attributes), in code order; nil for numeric or unknown columns.
    public static func levels(of column: String) -> [String]? {
        if let spec = CustomerColumns.features.first(where: { $0.name == column }), case .categorical(let levels, _) = spec.kind {
            return levels
        }
        return CustomerColumns.sensitive.first { $0.name == column }.flatMap { spec in
            if case .categorical(let levels, _) = spec.kind { return levels }
            return nil
        }
    }
}
