import Dataset
import ModelZoo

/// What `engage inspect` reports about a table: each column's inferred type, missing rate,
/// cardinality and role, and the features that stand in for a sensitive attribute.
public struct TableInspection: Codable, Sendable, Equatable {
    /// One column's profile.
    public struct ColumnProfile: Codable, Sendable, Equatable {
        /// `numeric`, `categorical`, or `boolean` (two distinct values).
        public var type: String
        public var name: String
        public var missingRate: Double
        public var cardinality: Int
        public var role: ColumnRoleRules.Role
        /// Two-valued columns that a binary model could learn.
        public var possibleTarget: Bool
        /// The distinct values, for a column with few of them.
        public var levels: [String]?
    }

    public var source: String
    public var rows: Int
    public var columns: [ColumnProfile]
    public var proxies: [ProxyFinding]

    /// Profiles every column of `table` under `rules`; proxies are measured on at most `sampleRows` rows.
    public init(_ table: Table, source: String, rules: ColumnRoleRules, sampleRows: Int = 20_000) throws {
        self.source = source
        rows = table.rowCount
        columns = try table.names.map { name in
            let column = try table.column(name)
            let role = try rules.role(of: name, in: table)
            let (missing, distinct) = Self.counts(column)
            let type = distinct.count == 2 ? "boolean" : (column.isCategorical ? "categorical" : "numeric")
            return ColumnProfile(type: type, name: name, missingRate: table.rowCount == 0 ? 0 : Double(missing) / Double(table.rowCount),
                                 cardinality: distinct.count, role: role,
                                 possibleTarget: role == .target || (distinct.count == 2 && role.isFeature),
                                 levels: distinct.count <= 10 ? distinct : nil)
        }
        let sample = table.rowCount > sampleRows ? table.rows(Array(0..<sampleRows)) : table
        let features = columns.filter { $0.role.isFeature }.map(\.name)
        let sensitive = columns.filter { $0.role == .sensitive }.map(\.name)
        proxies = try ProxyDetector().detect(in: sample, features: features, sensitive: sensitive)
    }

    /// Missing cells, and the distinct values as text in first-seen order.
    static func counts(_ column: Column) -> (missing: Int, distinct: [String]) {
        switch column {
        case .categorical(let codes, let levels):
            var used = [Bool](repeating: false, count: levels.count)
            var missing = 0
            for code in codes { if code < 0 { missing += 1 } else { used[Int(code)] = true } }
            return (missing, levels.indices.filter { used[$0] }.map { levels[$0] })
        case .numeric(let values):
            var seen = Set<Double>(), order: [String] = [], missing = 0
            for value in values {
                if value.isNaN { missing += 1; continue }
                if seen.insert(value).inserted { order.append(TargetRule.text(value)) }
            }
            return (missing, order)
        }
    }
}
