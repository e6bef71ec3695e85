/// The two text levels of a binary target (`No`/`Yes`, `false`/`true`) and which one is the
/// positive class. The artifact keeps it so that every later file's labels are mapped by level
/// name, never by the category codes a CSV happens to give them in first-seen order.
public struct BinaryLevels: Codable, Sendable, Equatable {
    public var negative: String
    public var positive: String

    public init(negative: String, positive: String) {
        self.negative = negative
        self.positive = positive
    }
}
