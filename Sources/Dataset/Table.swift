import Foundation

/// One column of a `Table`: numbers (missing = NaN) or categories (missing = -1).
///
/// Columns are stored contiguously so that model code can walk them with
/// unsafe buffer pointers without copying.
public enum Column: Sendable, Equatable {
    case numeric([Double])
    case categorical(codes: [Int32], levels: [String])

    public var count: Int {
        switch self {
        case .numeric(let values): return values.count
        case .categorical(let codes, _): return codes.count
        }
    }

    /// Missing values are equal to each other: two columns are equal when they hold the
    /// same values and the same missing cells (the synthesized `==` would call any
    /// column with a NaN unequal even to itself).
    public static func == (lhs: Column, rhs: Column) -> Bool {
        switch (lhs, rhs) {
        case (.numeric(let a), .numeric(let b)):
            guard a.count == b.count else { return false }
            return a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    for i in 0..<a.count where a[i] != b[i] && !(a[i].isNaN && b[i].isNaN) { return false }
                    return true
                }
            }
        case (.categorical(let a, let levelsA), .categorical(let b, let levelsB)):
            return a == b && levelsA == levelsB
        default:
            return false
        }
    }

    public var isCategorical: Bool {
        if case .categorical = self { return true }
        return false
    }

    /// Numeric view: categorical codes become their code as a Double, missing stays NaN.
    public var numericValues: [Double] {
        switch self {
        case .numeric(let values): return values
        case .categorical(let codes, _): return codes.map { $0 < 0 ? .nan : Double($0) }
        }
    }

    /// The rows at `indices`, in that order.
    public func gather(_ indices: [Int]) -> Column {
        switch self {
        case .numeric(let values): return .numeric(indices.map { values[$0] })
        case .categorical(let codes, let levels): return .categorical(codes: indices.map { codes[$0] }, levels: levels)
        }
    }
}

/// A named, columnar, in-memory dataset: the unit every module passes around.
///
/// Exists so that generation, CSV, shards, training and scoring agree on one
/// representation of rows and missing values.
public struct Table: Sendable, Equatable {
    public private(set) var names: [String]
    public private(set) var columns: [Column]
    public private(set) var rowCount: Int

    public init(names: [String], columns: [Column]) throws {
        guard names.count == columns.count else {
            throw TableError.shapeMismatch("\(names.count) names for \(columns.count) columns")
        }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw TableError.duplicateColumn(name)
        }
        let rows = columns.first?.count ?? 0
        for (name, column) in zip(names, columns) where column.count != rows {
            throw TableError.shapeMismatch("column '\(name)' has \(column.count) rows, expected \(rows)")
        }
        self.names = names
        self.columns = columns
        self.rowCount = rows
    }

    public var columnCount: Int { names.count }

    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    public func column(_ name: String) throws -> Column {
        guard let i = index(of: name) else { throw TableError.missingColumn(name) }
        return columns[i]
    }

    /// Numeric values of a column by name (categorical codes as Double).
    public func numeric(_ name: String) throws -> [Double] {
        try column(name).numericValues
    }

    /// The rows at `indices`, in that order.
    public func rows(_ indices: [Int]) -> Table {
        // Shapes are unchanged, so this cannot fail.
        try! Table(names: names, columns: columns.map { $0.gather(indices) })
    }

    /// The same rows with only the named columns, in the order given.
    public func selecting(_ wanted: [String]) throws -> Table {
        try Table(names: wanted, columns: wanted.map { try column($0) })
    }

    /// The same rows without the named columns (names that are absent are ignored).
    public func dropping(_ unwanted: Set<String>) -> Table {
        let keep = names.indices.filter { !unwanted.contains(names[$0]) }
        return try! Table(names: keep.map { names[$0] }, columns: keep.map { columns[$0] })
    }

    /// Adds or replaces a column.
    public mutating func set(_ name: String, _ column: Column) throws {
        guard column.count == rowCount || columnCount == 0 else {
            throw TableError.shapeMismatch("column '\(name)' has \(column.count) rows, expected \(rowCount)")
        }
        if let i = index(of: name) { columns[i] = column } else {
            names.append(name)
            columns.append(column)
        }
        rowCount = column.count
    }
}

/// Why a table operation was refused.
public enum TableError: Error, Equatable, CustomStringConvertible {
    case shapeMismatch(String)
    case duplicateColumn(String)
    case missingColumn(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let m): return "table shape mismatch: \(m)"
        case .duplicateColumn(let n): return "duplicate column '\(n)'"
        case .missingColumn(let n): return "missing column '\(n)'"
        }
    }
}
