import Foundation

/// Why a fairness report could not be computed, naming the column and row at fault.
public enum FairnessError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// Two inputs that must describe the same rows have different lengths.
    case lengthMismatch(what: String, expected: Int, actual: Int)
    /// A label or prediction is missing or not finite; `row` is 0-based.
    case invalidValue(column: String, row: Int, value: Double, expected: String)
    /// A prohibited attribute (`CustomerSchema.prohibited`) is used as a feature.
    case prohibitedFeature(column: String, attribute: String)
    /// A setting is out of range.
    case invalidSetting(name: String, value: String, expected: String)
    /// There are no rows to audit.
    case empty

    public var description: String {
        switch self {
        case .lengthMismatch(let what, let expected, let actual):
            return "\(what): \(actual) values for \(expected) rows"
        case .invalidValue(let column, let row, let value, let expected):
            return "column '\(column)', row \(row + 1): value \(value) is not \(expected)"
        case .prohibitedFeature(let column, let attribute):
            let alias = column == attribute ? "" : " (the prohibited attribute '\(attribute)')"
            return "column '\(column)'\(alias) may not be used as a feature: it is a prohibited attribute. "
                + "Remove it from the features (or from the data) and run again."
        case .invalidSetting(let name, let value, let expected):
            return "\(name) = \(value): expected \(expected)"
        case .empty:
            return "no rows to audit"
        }
    }

    public var errorDescription: String? { description }
}
