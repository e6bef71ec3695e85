import Foundation

/// Where one field's text lies in the input: the bytes between the quotes for a
/// quoted field, and whether `""` pairs inside still need collapsing.
struct CSVFieldSpan {
    var start: Int
    private var packed: UInt32

    static let maxLength = Int(UInt32.max >> 1)

    init(start: Int, length: Int, escaped: Bool) {
        self.start = start
        self.packed = UInt32(length) | (escaped ? 1 << 31 : 0)
    }

    var length: Int { Int(packed & ~(1 << 31)) }
    var escaped: Bool { packed >> 31 != 0 }
}

/// Turns CSV bytes into a `Table`: one pass to find every field, then one pass per
/// column to type it and convert its cells. Works on UTF-8 bytes throughout;
/// only categorical cells become `String`s.
struct CSVReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let source: String
    private let forcedCategorical: Set<String>
    private let forcedNumeric: Set<String>

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    init(bytes: UnsafeBufferPointer<UInt8>, source: String, categorical: Set<String>, numeric: Set<String>) {
        self.bytes = bytes
        self.source = source
        self.forcedCategorical = categorical
        self.forcedNumeric = numeric
    }

    func table() throws -> Table {
        let both = forcedCategorical.intersection(forcedNumeric)
        if let name = both.sorted().first {
            throw CSVError(file: source, line: 0, columnName: name, message: "column '\(name)' is forced to be both categorical and numeric")
        }
        var position = startAfterByteOrderMark()
        var line = 1
        skipBlankLines(&position, &line)
        guard position < bytes.count else {
            throw CSVError(file: source, line: line, message: "the file is empty: expected a header row")
        }
        var headerSpans: [CSVFieldSpan] = []
        try readRecord(&position, &line, into: &headerSpans)
        let names = headerSpans.map { text(of: $0) }
        try checkUnique(names)

        let width = names.count
        var spans: [CSVFieldSpan] = []
        spans.reserveCapacity(width * max(16, bytes.count / max(1, 6 * width)))
        var rowLines: [Int] = []
        var rowStarts: [Int] = []
        while true {
            skipBlankLines(&position, &line)
            if position >= bytes.count { break }
            let recordLine = line
            rowLines.append(recordLine)
            rowStarts.append(position)
            let before = spans.count
            try readRecord(&position, &line, into: &spans)
            let fields = spans.count - before
            if fields != width {
                throw CSVError(file: source, line: recordLine, message: "row has \(fields) field\(fields == 1 ? "" : "s"), header has \(width)")
            }
        }

        let layout = CSVLayout(names: names, spans: spans, rowLines: rowLines, rowStarts: rowStarts)
        var columns: [Column] = []
        columns.reserveCapacity(width)
        for c in 0..<width {
            let name = names[c]
            if forcedCategorical.contains(name) {
                columns.append(categoricalColumn(layout, column: c))
            } else if let values = try numericColumn(layout, column: c, forced: forcedNumeric.contains(name)) {
                columns.append(.numeric(values))
            } else {
                columns.append(categoricalColumn(layout, column: c))
            }
        }
        return try Table(names: names, columns: columns)
    }

    // MARK: - Records

    private func startAfterByteOrderMark() -> Int {
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { return 3 }
        return 0
    }

    private func skipBlankLines(_ position: inout Int, _ line: inout Int) {
        while position < bytes.count {
            if bytes[position] == Self.newline {
                position += 1
                line += 1
            } else if bytes[position] == Self.carriageReturn && position + 1 < bytes.count && bytes[position + 1] == Self.newline {
                position += 2
                line += 1
            } else {
                return
            }
        }
    }

    /// Reads one record starting at `position` and leaves `position` after its line end.
    private func readRecord(_ position: inout Int, _ line: inout Int, into spans: inout [CSVFieldSpan]) throws {
        let end = bytes.count
        var p = position
        var fieldNumber = 0
        while true {
            fieldNumber += 1
            if p < end && bytes[p] == Self.quote {
                let openLine = line
                p += 1
                let contentStart = p
                var escaped = false
                while true {
                    guard p < end else {
                        throw CSVError(file: source, line: openLine, message: "unterminated quoted field: the quote opened on this line is never closed")
                    }
                    let byte = bytes[p]
                    if byte == Self.quote {
                        if p + 1 < end && bytes[p + 1] == Self.quote {
                            escaped = true
                            p += 2
                            continue
                        }
                        break
                    }
                    if byte == Self.newline { line += 1 }
                    p += 1
                }
                let length = p - contentStart
                try checkLength(length, line: openLine)
                spans.append(CSVFieldSpan(start: contentStart, length: length, escaped: escaped))
                p += 1
                if p < end {
                    let next = bytes[p]
                    let endsLine = next == Self.newline || (next == Self.carriageReturn && p + 1 < end && bytes[p + 1] == Self.newline)
                    if next != Self.comma && !endsLine {
                        throw CSVError(file: source, line: line, column: fieldNumber, message: "unexpected character '\(Self.printable(next))' after a closing quote (quotes inside a quoted field are written as \"\")")
                    }
                }
            } else {
                let fieldStart = p
                while p < end {
                    let byte = bytes[p]
                    if byte == Self.comma || byte == Self.newline { break }
                    p += 1
                }
                var fieldEnd = p
                if p < end && bytes[p] == Self.newline && fieldEnd > fieldStart && bytes[fieldEnd - 1] == Self.carriageReturn {
                    fieldEnd -= 1
                }
                try checkLength(fieldEnd - fieldStart, line: line)
                spans.append(CSVFieldSpan(start: fieldStart, length: fieldEnd - fieldStart, escaped: false))
            }
            if p < end && bytes[p] == Self.comma {
                p += 1
                continue
            }
            if p < end && bytes[p] == Self.carriageReturn { p += 1 }
            if p < end && bytes[p] == Self.newline {
                p += 1
                line += 1
            }
            position = p
            return
        }
    }

    private func checkLength(_ length: Int, line: Int) throws {
        if length > CSVFieldSpan.maxLength {
            throw CSVError(file: source, line: line, message: "field of \(length) bytes is longer than the supported \(CSVFieldSpan.maxLength)")
        }
    }

    private func checkUnique(_ names: [String]) throws {
        var firstColumn: [String: Int] = [:]
        for (i, name) in names.enumerated() {
            if let first = firstColumn[name] {
                throw CSVError(file: source, line: 1, column: i + 1, columnName: name, message: "duplicate column name, first used by column \(first + 1)")
            }
            firstColumn[name] = i
        }
    }

    // MARK: - Columns

    /// The column's numbers, or nil when some cell is not a number and the column is not forced.
    private func numericColumn(_ layout: CSVLayout, column c: Int, forced: Bool) throws -> [Double]? {
        let rows = layout.rowCount
        let width = layout.names.count
        var failedRow: Int?
        let values = layout.spans.withUnsafeBufferPointer { all in
            [Double](unsafeUninitializedCapacity: rows) { out, initialized in
                for r in 0..<rows {
                    let span = all[r * width + c]
                    let field = self.field(span)
                    if CSVCell.isMissing(field) {
                        out[r] = .nan
                    } else if !span.escaped, let value = CSVCell.parseDouble(field) {
                        out[r] = value
                    } else {
                        failedRow = r
                        break
                    }
                    initialized = r + 1
                }
            }
        }
        guard let r = failedRow else { return values }
        guard forced else { return nil }
        let span = layout.spans[r * width + c]
        throw CSVError(
            file: source, line: lineOfField(span, rowStart: layout.rowStarts[r], rowLine: layout.rowLines[r]),
            column: c + 1, columnName: layout.names[c], message: "'\(text(of: span))' is not a number"
        )
    }

    private func categoricalColumn(_ layout: CSVLayout, column c: Int) -> Column {
        let rows = layout.rowCount
        let width = layout.names.count
        var codeOf: [String: Int32] = [:]
        var levels: [String] = []
        let codes = layout.spans.withUnsafeBufferPointer { all in
            [Int32](unsafeUninitializedCapacity: rows) { out, initialized in
                for r in 0..<rows {
                    let span = all[r * width + c]
                    let field = self.field(span)
                    if CSVCell.isMissing(field) {
                        out[r] = -1
                        continue
                    }
                    let value = span.escaped ? CSVCell.unescaped(field) : String(decoding: field, as: UTF8.self)
                    if let code = codeOf[value] {
                        out[r] = code
                    } else {
                        let code = Int32(levels.count)
                        codeOf[value] = code
                        levels.append(value)
                        out[r] = code
                    }
                }
                initialized = rows
            }
        }
        return .categorical(codes: codes, levels: levels)
    }

    // MARK: - Text and positions

    @inline(__always)
    private func field(_ span: CSVFieldSpan) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[span.start..<(span.start + span.length)])
    }

    private func text(of span: CSVFieldSpan) -> String {
        span.escaped ? CSVCell.unescaped(field(span)) : String(decoding: field(span), as: UTF8.self)
    }

    /// The line a field starts on: its record's first line plus the line breaks before it.
    private func lineOfField(_ span: CSVFieldSpan, rowStart: Int, rowLine: Int) -> Int {
        var line = rowLine
        var p = rowStart
        while p < span.start {
            if bytes[p] == Self.newline { line += 1 }
            p += 1
        }
        return line
    }

    private static func printable(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : String(format: "\\x%02X", byte)
    }
}

/// Every field of a CSV body found by `CSVReader`, row-major, with where each record starts.
private struct CSVLayout {
    let names: [String]
    let spans: [CSVFieldSpan]
    let rowLines: [Int]
    let rowStarts: [Int]

    var rowCount: Int { rowLines.count }
}
