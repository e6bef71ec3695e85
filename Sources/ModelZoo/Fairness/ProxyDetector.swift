import Dataset

/// A feature strongly associated with a sensitive attribute, so that a model can learn the
/// attribute through it.
public struct ProxyFinding: Codable, Sendable, Equatable {
    public enum Measure: String, Codable, Sendable {
        /// Categorical feature: Cramér's V against the attribute's groups.
        case cramersV = "cramers_v"
        /// Numeric feature: the correlation ratio η across the attribute's groups.
        case correlationRatio = "correlation_ratio"
    }

    public var feature: String
    public var attribute: String
    public var measure: Measure
    public var value: Double
    public var threshold: Double
}

/// Lists the features whose association with a sensitive attribute exceeds a threshold (0.6).
///
/// Exists because leaving a sensitive attribute out of the features is not enough when another
/// feature stands in for it. Sensitive attributes are treated as categorical (their groups);
/// a categorical feature is measured by Cramér's V, a numeric one by the correlation ratio η,
/// which for a two-group attribute is the absolute Pearson correlation with the group indicator.
/// Rows where either value is missing are left out of that pair's measure.
public struct ProxyDetector: Sendable {
    public var threshold: Double

    public init(threshold: Double = 0.6) {
        self.threshold = threshold
    }

    /// The findings for every feature against every sensitive attribute of `table`, strongest first.
    public func detect(in table: Table, features: [String], sensitive: [String]) throws -> [ProxyFinding] {
        var findings: [ProxyFinding] = []
        for attribute in sensitive {
            let (groups, groupCount) = ProxyDetector.categories(of: try table.column(attribute))
            for feature in features where feature != attribute {
                let measure: ProxyFinding.Measure
                let value: Double?
                switch try table.column(feature) {
                case .categorical(let codes, let levels):
                    measure = .cramersV
                    value = Association.cramersV(codes, levels: levels.count, groups, levels: groupCount)
                case .numeric(let values):
                    measure = .correlationRatio
                    value = Association.correlationRatio(values, groups: groups, groupCount: groupCount)
                }
                if let value, value > threshold {
                    findings.append(ProxyFinding(feature: feature, attribute: attribute, measure: measure, value: value, threshold: threshold))
                }
            }
        }
        return findings.sorted { $0.value > $1.value }
    }

    /// A column as category codes (missing = -1): a numeric column's distinct values are its categories.
    static func categories(of column: Column) -> ([Int32], Int) {
        switch column {
        case .categorical(let codes, let levels):
            return (codes, levels.count)
        case .numeric(let values):
            var index: [Double: Int32] = [:]
            let codes = values.map { value -> Int32 in
                if value.isNaN { return -1 }
                if let code = index[value] { return code }
                let code = Int32(index.count)
                index[value] = code
                return code
            }
            return (codes, index.count)
        }
    }
}
