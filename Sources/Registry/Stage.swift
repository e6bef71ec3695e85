/// Where a version stands in its model's life cycle.
///
/// Exists because "which version serves" must be one fact the database enforces:
/// at most one `production` and one `staging` version per model (partial unique
/// indices), changed only through gated promotion, rollback or archiving.
public enum Stage: String, Codable, Sendable, CaseIterable, Comparable {
    case none
    case staging
    case production
    case archived

    /// The stages a version can be promoted to.
    public static let promotable: [Stage] = [.staging, .production]

    public static func < (lhs: Stage, rhs: Stage) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
