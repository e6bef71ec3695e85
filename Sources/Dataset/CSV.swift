import Foundation

/// Reading and writing `Table`s as RFC 4180 CSV.
///
/// Exists so that users can bring their own data and take generated data away in
/// the format every tool understands, with errors that point at the offending line.
///
/// Reading rules:
/// - The first record is the header; its names must be unique. A UTF-8 byte order
///   mark is skipped. Records end with LF or CRLF. Blank lines are skipped.
/// - Fields may be quoted with `"`; inside quotes `""` is a quote, and commas and
///   line breaks are data. Characters after a closing quote are an error.
/// - A cell is missing when it is empty or (ignoring surrounding blanks) `NA`,
///   `NaN` or `null`, case-insensitive. Missing is NaN in numeric columns and code
///   -1 in categorical ones. Quoting does not change this.
/// - A column is numeric when every non-missing cell parses as a decimal number
///   (`inf`/`infinity` allowed, surrounding blanks ignored); otherwise it is
///   categorical with levels in first-seen order. `categorical` and `numeric`
///   force a column's type; names not in the header are ignored.
///
/// Writing produces text that reads back to an equal table when each categorical
/// column's levels are in first-seen order, no level looks like a number or a missing
/// marker, and no column is all missing.
public enum CSV {
    /// Reads the file at `path`; errors name the path and line.
    public static func read(path: String, categorical: Set<String> = [], numeric: Set<String> = []) throws -> Table {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw CSVError(file: path, line: 0, message: "cannot read the file: \(error.localizedDescription)")
        }
        return try data.withUnsafeBytes { raw in
            try CSVReader(bytes: raw.bindMemory(to: UInt8.self), source: path, categorical: categorical, numeric: numeric).table()
        }
    }

    /// Parses CSV text; `source` names it in errors.
    public static func parse(_ text: String, source: String = "<string>", categorical: Set<String> = [], numeric: Set<String> = []) throws -> Table {
        var text = text
        return try text.withUTF8 { bytes in
            try CSVReader(bytes: bytes, source: source, categorical: categorical, numeric: numeric).table()
        }
    }

    /// Writes `table` to `path` atomically (temporary file, then rename).
    public static func write(_ table: Table, to path: String) throws {
        let bytes = CSVWriter.encode(table)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CSVError(file: path, line: 0, message: "cannot write the file: \(error.localizedDescription)")
        }
    }

    /// The CSV text of `table`: a header, then one line per row, LF line ends.
    /// Numbers use the shortest text that reads back to the same Double; missing
    /// values are empty cells; fields are quoted only when they need it.
    public static func render(_ table: Table) -> String {
        String(decoding: CSVWriter.encode(table), as: UTF8.self)
    }
}

/// Why a CSV could not be read or written, pointing at the file, line and column.
public struct CSVError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public let file: String
    /// 1-based line of the problem; 0 when it concerns the whole file.
    public let line: Int
    /// 1-based column number, when the problem is in one cell.
    public let column: Int?
    public let columnName: String?
    public let message: String

    public init(file: String, line: Int, column: Int? = nil, columnName: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.columnName = columnName
        self.message = message
    }

    public var description: String {
        var place = line > 0 ? "\(file):\(line)" : file
        if let column {
            place += ", column \(column)"
            if let columnName { place += " (\(columnName))" }
        }
        return "\(place): \(message)"
    }

    public var errorDescription: String? { description }
}
