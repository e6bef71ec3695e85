import Dataset
import ModelZoo

/// The role engage gives each column of a customers table: what the user pinned, else what the
/// name and contents say. `engage inspect` prints these roles and the pipeline takes its
/// excluded columns from them, so the two agree.
public struct ColumnRoleRules: Sendable {
    /// The role of one column as engage will treat it.
    public enum Role: String, Sendable, Codable {
        case id
        case feature
        case categoricalFeature = "categorical feature"
        case target
        case sensitive
        /// A feature name engage refuses to train on (see ``ProhibitedAttributes``).
        case prohibited
        case ignored

        /// Whether training would use the column as an input (a prohibited one is refused instead).
        public var isFeature: Bool { [.feature, .categoricalFeature, .prohibited].contains(self) }
    }

    public var pins: ColumnPins
    /// Targets of the configured models.
    public var targets: [String]
    /// Sensitive attributes beside `CustomerSchema.sensitive`.
    public var sensitive: [String]
    public var ignored: [String]

    public init(pins: ColumnPins = ColumnPins(), targets: [String] = [], sensitive: [String] = [], ignored: [String] = []) {
        self.pins = pins
        self.targets = targets
        self.sensitive = sensitive
        self.ignored = ignored
    }

    public func role(of name: String, in table: Table) throws -> Role {
        let column = try table.column(name)
        switch pins.role(of: name) {
        case .id: return .id
        case .target: return .target
        case .sensitive: return .sensitive
        case .ignore: return .ignored
        case .feature, .categorical, .numeric:
            return ProhibitedAttributes.matches(in: [name]).isEmpty ? (column.isCategorical ? .categoricalFeature : .feature) : .prohibited
        case nil: break
        }
        if ignored.contains(name) { return .ignored }
        if targets.contains(name) || CustomerSchema.targets.contains(name) || name == CustomerSchema.anomalyLabel { return .target }
        if !ProhibitedAttributes.matches(in: [name]).isEmpty { return .prohibited }
        if CustomerSchema.sensitive.contains(name) || sensitive.contains(name) { return .sensitive }
        if name == CustomerSchema.idColumn || Self.looksLikeID(name, column) { return .id }
        return column.isCategorical ? .categoricalFeature : .feature
    }

    /// Columns that are never features: ids, targets, sensitive attributes, ignored columns.
    public func excludedColumns(in table: Table) throws -> [String] {
        try table.names.filter { !(try role(of: $0, in: table)).isFeature }
    }

    /// Sensitive attributes of `table`, in table order.
    public func sensitiveColumns(in table: Table) throws -> [String] {
        try table.names.filter { try role(of: $0, in: table) == .sensitive }
    }

    /// `id`, `customer_id`, `CustomerID` whose every value is distinct.
    static func looksLikeID(_ name: String, _ column: Column) -> Bool {
        let lowered = name.lowercased()
        guard lowered == "id" || lowered.hasSuffix("_id") || (lowered.hasSuffix("id") && name.last == "D") else { return false }
        switch column {
        case .numeric(let values): return Set(values.filter { !$0.isNaN }).count == values.count
        case .categorical(let codes, let levels): return levels.count == codes.count && !codes.contains(-1)
        }
    }
}
