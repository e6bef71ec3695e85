import Foundation

/// Why a `--where` expression was refused, with the column (1-based, in characters)
/// where the problem starts.
public struct WhereSyntaxError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public var expression: String
    public var column: Int
    public var message: String

    public init(expression: String, column: Int, message: String) {
        self.expression = expression
        self.column = column
        self.message = message
    }

    /// The message, then the expression with a caret under the column.
    public var description: String {
        let caret = String(repeating: " ", count: max(column - 1, 0)) + "^"
        return "where-expression, column \(column): \(message)\n  \(expression)\n  \(caret)"
    }

    public var errorDescription: String? { description }
}
