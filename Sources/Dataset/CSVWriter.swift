import Foundation

/// Renders a `Table` as CSV bytes, row by row, into one growing buffer.
enum CSVWriter {
    static func encode(_ table: Table) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + table.rowCount * table.columnCount * 8)
        let singleColumn = table.columnCount == 1
        for (c, name) in table.names.enumerated() {
            if c > 0 { out.append(UInt8(ascii: ",")) }
            appendText(name, to: &out, quoteEmpty: singleColumn)
        }
        out.append(UInt8(ascii: "\n"))
        if table.columnCount == 0 { return out }

        let cells = table.columns.map { CellSource($0, quoteEmpty: singleColumn) }
        for r in 0..<table.rowCount {
            for c in cells.indices {
                if c > 0 { out.append(UInt8(ascii: ",")) }
                cells[c].append(row: r, to: &out)
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    /// One column ready for writing: numbers as they are, categories pre-rendered once per level.
    private enum CellSource {
        case numeric([Double], missing: [UInt8])
        case categorical(codes: [Int32], levels: [[UInt8]], missing: [UInt8])

        init(_ column: Column, quoteEmpty: Bool) {
            // A lone empty field would be a blank line, which readers skip.
            let missing: [UInt8] = quoteEmpty ? Array("\"\"".utf8) : []
            switch column {
            case .numeric(let values):
                self = .numeric(values, missing: missing)
            case .categorical(let codes, let levels):
                self = .categorical(codes: codes, levels: levels.map { level in
                    var bytes: [UInt8] = []
                    CSVWriter.appendText(level, to: &bytes, quoteEmpty: quoteEmpty)
                    return bytes
                }, missing: missing)
            }
        }

        @inline(__always)
        func append(row r: Int, to out: inout [UInt8]) {
            switch self {
            case .numeric(let values, let missing):
                let value = values[r]
                if value.isNaN { out.append(contentsOf: missing) } else { CSVWriter.appendNumber(value, to: &out) }
            case .categorical(let codes, let levels, let missing):
                let code = Int(codes[r])
                out.append(contentsOf: code < 0 ? missing : levels[code])
            }
        }
    }

    /// Integers up to 2^53 as plain digits; everything else as Swift's shortest
    /// round-tripping form (`0.1`, `1e-07`, `inf`).
    static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        if value == value.rounded(.towardZero) && Swift.abs(value) <= 9_007_199_254_740_992 && !(value == 0 && value.sign == .minus) {
            appendInteger(Int64(value), to: &out)
        } else {
            out.append(contentsOf: value.description.utf8)
        }
    }

    private static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(20 - count)...]))
        }
    }

    /// A field, quoted when it holds a comma, quote or line break (or is empty and
    /// `quoteEmpty`); quotes inside are doubled.
    static func appendText(_ text: String, to out: inout [UInt8], quoteEmpty: Bool) {
        let utf8 = text.utf8
        let needsQuotes = (quoteEmpty && utf8.isEmpty) || utf8.contains { byte in
            byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
        }
        guard needsQuotes else {
            out.append(contentsOf: utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in utf8 {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}
