import Foundation

/// Why a meta-learner or stacking model could not be trained, evaluated or decoded.
public enum StackingError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case invalidParameter(name: String, value: String, rule: String)
    case emptyTrainingSet
    case labelCountMismatch(labels: Int, rows: Int, set: String)
    case invalidLabel(row: Int, value: Double)
    case singleClass(set: String)
    case foldMembership(String)
    case notConverged(iterations: Int, gradient: Double)
    case invalidModel(String)

    public var description: String {
        switch self {
        case .invalidParameter(let name, let value, let rule):
            return "stacking parameter \(name) = \(value) is invalid: it \(rule)"
        case .emptyTrainingSet:
            return "cannot fit a meta-learner on zero rows"
        case .labelCountMismatch(let labels, let rows, let set):
            return "\(set) set has \(rows) rows but \(labels) labels"
        case .invalidLabel(let row, let value):
            return "label \(value) in row \(row) is invalid: labels must be 0 or 1"
        case .singleClass(let set):
            return "the \(set) labels hold only one class; a classifier needs both"
        case .foldMembership(let detail):
            return "out-of-fold predictions are inconsistent: \(detail)"
        case .notConverged(let iterations, let gradient):
            return "logistic regression did not converge in \(iterations) Newton steps (gradient norm \(gradient))"
        case .invalidModel(let detail):
            return "invalid stacking model: \(detail)"
        }
    }

    public var errorDescription: String? { description }

    static func check(_ ok: Bool, _ name: String, _ value: Any, _ rule: String) throws {
        if !ok { throw StackingError.invalidParameter(name: name, value: "\(value)", rule: rule) }
    }

    static func validateBinary(_ labels: [Double], rows: Int, set: String) throws {
        guard labels.count == rows else { throw StackingError.labelCountMismatch(labels: labels.count, rows: rows, set: set) }
        for (row, y) in labels.enumerated() where y != 0 && y != 1 { throw StackingError.invalidLabel(row: row, value: y) }
    }

    /// `validateBinary`, and both classes present: what a classifier needs to be fitted.
    static func validateTrainable(_ labels: [Double], rows: Int, set: String) throws {
        try validateBinary(labels, rows: rows, set: set)
        guard labels.contains(0), labels.contains(1) else { throw StackingError.singleClass(set: set) }
    }
}
