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

/// Turns CSV bytes into a `Table`, a chunk of records at a time: find the fields of the next
/// `chunkRows` records, then type and convert each column's cells of that chunk. Works on
/// UTF-8 bytes throughout and keeps only one chunk's field positions, so memory stays close
/// to the table's own size; only new categorical texts become `String`s.
struct CSVReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let source: String
    private let forcedCategorical: Set<String>
    private let forcedNumeric: Set<String>

    /// Records per chunk: small enough that a chunk's field positions stay in cache.
    static let chunkRows = 1024

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
        var columns = names.map { name in
            CSVColumnBuilder(categorical: forcedCategorical.contains(name), forcedNumeric: forcedNumeric.contains(name))
        }
        var rows = CSVRows()
        let expectedRows = bytes.count / max(1, 4 * width)
        for c in columns.indices { columns[c].reserve(expectedRows) }
        var spans: [CSVFieldSpan] = []
        spans.reserveCapacity(width * Self.chunkRows)
        var done = false
        while !done {
            spans.removeAll(keepingCapacity: true)
            let chunkStart = rows.count
            while rows.count - chunkStart < Self.chunkRows {
                skipBlankLines(&position, &line)
                if position >= bytes.count {
                    done = true
                    break
                }
                let recordLine = line
                rows.append(line: recordLine, start: position)
                let before = spans.count
                try readRecord(&position, &line, into: &spans)
                let fields = spans.count - before
                if fields != width {
                    throw CSVError(file: source, line: recordLine, message: "row has \(fields) field\(fields == 1 ? "" : "s"), header has \(width)")
                }
            }
            let chunk = CSVChunk(firstRow: chunkStart, rowCount: rows.count - chunkStart, width: width)
            spans.withUnsafeBufferPointer { spans in
                for c in 0..<width { append(chunk, spans: spans, column: c, to: &columns[c], names: names, rows: rows) }
            }
        }
        // A forced-numeric column's bad cell is reported only once every record is known to be
        // well formed, and the leftmost such column wins, as if columns were read one by one.
        if let failure = columns.lazy.compactMap(\.failure).first { throw failure }
        return try Table(names: names, columns: columns.map { $0.column() })
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

    /// Converts column `c` of `chunk` (its fields in `spans`, row-major) onto `column`.
    private func append(_ chunk: CSVChunk, spans: UnsafeBufferPointer<CSVFieldSpan>, column c: Int,
                        to column: inout CSVColumnBuilder, names: [String], rows: CSVRows) {
        guard column.failure == nil else { return }
        var r = 0
        if column.isNumeric {
            r = column.appendNumbers(count: chunk.rowCount) { r in
                let span = spans[r &* chunk.width &+ c]
                let field = self.field(span)
                if CSVCell.isMissing(field) { return .nan }
                return span.escaped ? nil : CSVCell.parseDouble(field)
            }
            if r == chunk.rowCount { return }
            let span = spans[r * chunk.width + c]
            if column.forcedNumeric {
                let row = chunk.firstRow + r
                column.failure = CSVError(
                    file: source, line: lineOfField(span, rowStart: rows.starts[row], rowLine: rows.lines[row]),
                    column: c + 1, columnName: names[c], message: "'\(text(of: span))' is not a number")
                return
            }
            // Not a number column after all: earlier rows become categories, in row order.
            column.becomeCategorical()
            for row in 0..<chunk.firstRow { column.appendCategory(field: fieldOfRow(row, column: c, rows: rows)) }
            for earlier in 0..<r { column.appendCategory(field: cell(spans[earlier * chunk.width + c])) }
        }
        for row in r..<chunk.rowCount { column.appendCategory(field: cell(spans[row &* chunk.width &+ c])) }
    }

    /// A field's bytes as a category sees them: quotes undone.
    private func cell(_ span: CSVFieldSpan) -> CSVColumnBuilder.Cell {
        let field = self.field(span)
        return CSVColumnBuilder.Cell(bytes: field, escaped: span.escaped)
    }

    /// Field `c` of an earlier record, found by reading that record again.
    private func fieldOfRow(_ row: Int, column c: Int, rows: CSVRows) -> CSVColumnBuilder.Cell {
        var position = rows.starts[row]
        var line = rows.lines[row]
        var spans: [CSVFieldSpan] = []
        // The record was read once without error, so it reads again the same way.
        try! readRecord(&position, &line, into: &spans)
        return cell(spans[c])
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

/// Where each record of a CSV body starts: its first line and byte offset.
private struct CSVRows {
    var lines: [Int] = []
    var starts: [Int] = []

    var count: Int { lines.count }

    mutating func append(line: Int, start: Int) {
        lines.append(line)
        starts.append(start)
    }
}

/// A run of consecutive records whose fields are in hand.
private struct CSVChunk {
    let firstRow: Int
    let rowCount: Int
    let width: Int
}
