/// What a data-quality rule needs to know beyond the table: which column is the id, which
/// targets are binary, and which columns to leave alone.
public struct QualityContext: Sendable, Equatable {
    public var idColumn: String?
    public var binaryTargets: [String]
    /// Columns no rule looks at (the `data.ignore` list).
    public var ignored: Set<String>

    public init(idColumn: String? = nil, binaryTargets: [String] = [], ignored: Set<String> = []) {
        self.idColumn = idColumn
        self.binaryTargets = binaryTargets
        self.ignored = ignored
    }

    /// The columns rules on values examine: every column but the id and the ignored ones, in table order.
    func valueColumns(of table: Table) -> [(name: String, column: Column)] {
        zip(table.names, table.columns).filter { name, _ in name != idColumn && !ignored.contains(name) }.map { ($0, $1) }
    }
}

/// One data-quality check. Each rule has one job; `DataQualityChecker` runs them in order.
public protocol QualityRule: Sendable {
    /// The name findings carry, e.g. `null_rate`.
    var name: String { get }
    func check(_ table: Table, context: QualityContext) -> [QualityFinding]
}

/// Runs the data-quality rules over a table and collects the report.
///
/// Exists so that every run (and any caller with a table) applies the same rules with the same
/// configurable thresholds and stores the result in one form.
public struct DataQualityChecker: Sendable {
    public let thresholds: QualityThresholds
    public let rules: [any QualityRule]

    /// The standard rules with `thresholds`.
    public init(thresholds: QualityThresholds = QualityThresholds()) throws {
        try thresholds.validate()
        self.thresholds = thresholds
        rules = [
            NullRateRule(warning: thresholds.nullRateWarning, error: thresholds.nullRateError),
            DuplicateIDRule(),
            NonFiniteRule(),
            NearZeroVarianceRule(minVariance: thresholds.minVariance),
            CorrelatedPairsRule(maxCorrelation: thresholds.maxCorrelation),
            ClassBalanceRule(minShare: thresholds.minPositiveShare, maxShare: thresholds.maxPositiveShare),
        ]
    }

    public func report(_ table: Table, context: QualityContext) -> DataQualityReport {
        let findings = rules.flatMap { $0.check(table, context: context) }
        let ordered = findings.filter { $0.severity == .error } + findings.filter { $0.severity == .warning }
        return DataQualityReport(rows: table.rowCount, nullRates: NullRateRule.rates(of: table), findings: ordered, thresholds: thresholds)
    }
}
