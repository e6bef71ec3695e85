import Foundation

/// How serious a data-quality finding is: an error stops a run, a warning is recorded.
public enum QualitySeverity: String, Codable, Sendable, Comparable {
    case warning
    case error

    public static func < (lhs: QualitySeverity, rhs: QualitySeverity) -> Bool { lhs == .warning && rhs == .error }
}

/// One problem a data-quality rule found.
public struct QualityFinding: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The rule's name (`null_rate`, `duplicate_ids`, …), which an error names when it stops a run.
    public var rule: String
    public var severity: QualitySeverity
    /// The column or columns concerned (two for a correlated pair).
    public var columns: [String]
    /// The measured value the rule compared (a rate, a count, a variance, |r|, a share).
    public var value: Double
    /// The limit it was compared with.
    public var threshold: Double
    public var message: String

    public init(rule: String, severity: QualitySeverity, columns: [String], value: Double, threshold: Double, message: String) {
        self.rule = rule
        self.severity = severity
        self.columns = columns
        self.value = value
        self.threshold = threshold
        self.message = message
    }

    public var description: String { "\(severity.rawValue) [\(rule)] \(columns.joined(separator: ", ")): \(message)" }
}

/// The share of missing cells of one column.
public struct ColumnNullRate: Codable, Sendable, Equatable {
    public var column: String
    public var missing: Int
    public var rate: Double
}

/// The data-quality report of one table: every column's null rate and every finding.
///
/// Exists as the document a run stores in the registry (as the report named `data_quality`)
/// and checks before training: `requireNoErrors()` stops the run on the first error-level rule.
public struct DataQualityReport: Codable, Sendable, Equatable {
    /// The registry's name for this report.
    public static let registryName = "data_quality"

    public var rows: Int
    public var nullRates: [ColumnNullRate]
    /// Errors first, then warnings; within a severity in rule order.
    public var findings: [QualityFinding]
    public var thresholds: QualityThresholds

    public var errors: [QualityFinding] { findings.filter { $0.severity == .error } }
    public var warnings: [QualityFinding] { findings.filter { $0.severity == .warning } }
    public var hasErrors: Bool { findings.contains { $0.severity == .error } }

    /// Throws a `DataQualityError` naming every error-level finding.
    public func requireNoErrors() throws {
        let errors = self.errors
        guard errors.isEmpty else { throw DataQualityError(findings: errors) }
    }

    public func json(pretty: Bool = false) throws -> String {
        let encoder = EngageJSONEncoder(pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys])
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// A run refused because its data broke error-level quality rules; names each rule and column.
public struct DataQualityError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public let findings: [QualityFinding]

    public var description: String {
        let rules = Array(Set(findings.map(\.rule))).sorted().joined(separator: ", ")
        return "data quality check failed (\(rules)):\n" + findings.map { "  \($0)" }.joined(separator: "\n")
    }

    public var errorDescription: String? { description }
}
