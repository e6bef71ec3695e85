import Foundation

/// A configuration problem, located: the file, the line and column, the key path and what was expected.
public struct ConfigError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public let file: String
    public let line: Int?
    public let column: Int?
    public let keyPath: String
    public let message: String

    public init(file: String, line: Int?, column: Int?, keyPath: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        let key = keyPath.isEmpty ? "" : " \(keyPath):"
        return "\(location):\(key) \(message)"
    }

    public var errorDescription: String? { description }
}
