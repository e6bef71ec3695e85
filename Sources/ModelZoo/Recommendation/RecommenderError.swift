import Foundation

/// Why a recommender could not be trained, evaluated or decoded.
public enum RecommenderError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case invalidParameter(name: String, value: String, rule: String)
    case missingColumn(String, table: String, available: [String])
    case missingID(table: String, column: String, row: Int)
    case invalidTimestamp(column: String, row: Int, value: Double)
    case duplicateID(String, column: String)
    case notEnoughInteractions(String)
    case invalidModel(String)

    public var description: String {
        switch self {
        case .invalidParameter(let name, let value, let rule):
            return "recommender parameter \(name) = \(value) is invalid: it \(rule)"
        case .missingColumn(let name, let table, let available):
            let shown = available.prefix(20).joined(separator: ", ")
            return "\(table) has no column '\(name)' (it has: \(shown)\(available.count > 20 ? ", …" : ""))"
        case .missingID(let table, let column, let row):
            return "\(table) row \(row + 1): '\(column)' is empty; every row needs an id"
        case .invalidTimestamp(let column, let row, let value):
            return "interactions row \(row + 1): '\(column)' is \(value), expected a finite number"
        case .duplicateID(let id, let column):
            return "'\(column)' lists id '\(id)' more than once"
        case .notEnoughInteractions(let detail):
            return "not enough interactions: \(detail)"
        case .invalidModel(let detail):
            return "invalid recommender model: \(detail)"
        }
    }

    public var errorDescription: String? { description }

    static func check(_ ok: Bool, _ name: String, _ value: Any, _ rule: String) throws {
        if !ok { throw RecommenderError.invalidParameter(name: name, value: "\(value)", rule: rule) }
    }
}
