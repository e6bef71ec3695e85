/// Which columns of the interaction and item tables mean what for a recommender.
///
/// Stored in the artifact's header, so that `engage predict` and `engage recommend` read the
/// same columns the model was trained on; the job settings embed it.
public struct RecommenderColumns: Codable, Sendable, Equatable {
    public var userColumn = "user_id"
    public var itemColumn = "item_id"
    /// Orders each user's interactions for the leave-one-out split (nil: file order).
    public var timestampColumn: String? = "timestamp"
    public var itemIDColumn = "item_id"
    public var itemTextColumn: String? = "title"
    public var itemCategoryColumn: String? = "category"

    public init() {}
}
