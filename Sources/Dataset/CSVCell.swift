import Foundation

/// Byte-level interpretation of one CSV cell: missing markers, numbers, quote escapes.
///
/// Kept apart from record splitting so the number grammar is in one place and can
/// be tested on its own.
enum CSVCell {
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    /// Powers of ten that a Double holds exactly (10^0 … 10^22).
    private static let exactPowersOfTen: [Double] = (0...22).map { Foundation.pow(10.0, Double($0)) }

    /// The cell without surrounding spaces and tabs.
    @inline(__always)
    static func trimmed(_ field: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var lower = 0
        var upper = field.count
        while lower < upper && (field[lower] == space || field[lower] == tab) { lower += 1 }
        while upper > lower && (field[upper - 1] == space || field[upper - 1] == tab) { upper -= 1 }
        return UnsafeBufferPointer(rebasing: field[lower..<upper])
    }

    /// Empty, blank, or NA / NaN / null in any case.
    @inline(__always)
    static func isMissing(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
        if field.isEmpty { return true }
        let first = field[0]
        if first | 0x20 != UInt8(ascii: "n") && first != space && first != tab { return false }
        let cell = trimmed(field)
        switch cell.count {
        case 0:
            return true
        case 2:
            return cell[0] | 0x20 == UInt8(ascii: "n") && cell[1] | 0x20 == UInt8(ascii: "a")
        case 3:
            return cell[0] | 0x20 == UInt8(ascii: "n") && cell[1] | 0x20 == UInt8(ascii: "a") && cell[2] | 0x20 == UInt8(ascii: "n")
        case 4:
            return cell[0] | 0x20 == UInt8(ascii: "n") && cell[1] | 0x20 == UInt8(ascii: "u")
                && cell[2] | 0x20 == UInt8(ascii: "l") && cell[3] | 0x20 == UInt8(ascii: "l")
        default:
            return false
        }
    }

    /// A decimal number (`[+-]digits[.digits][(e|E)[+-]digits]`, at least one mantissa
    /// digit) or `inf`/`infinity`, with surrounding blanks ignored; nil for anything else.
    ///
    /// Numbers whose digits fit in 2^53 and whose exponent is within ±22 are converted
    /// exactly without a library call (Clinger's fast path); the rest go to the standard
    /// library's correctly rounded parser.
    static func parseDouble(_ field: UnsafeBufferPointer<UInt8>) -> Double? {
        let cell = trimmed(field)
        let n = cell.count
        if n == 0 { return nil }
        var i = 0
        var negative = false
        if cell[0] == UInt8(ascii: "-") || cell[0] == UInt8(ascii: "+") {
            negative = cell[0] == UInt8(ascii: "-")
            i = 1
        }
        if i < n && cell[i] | 0x20 == UInt8(ascii: "i") {
            return parseInfinity(UnsafeBufferPointer(rebasing: cell[i...])).map { negative ? -$0 : $0 }
        }
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var digitCount = 0
        var exponent = 0
        while i < n, case let d = cell[i] &- UInt8(ascii: "0"), d < 10 {
            if significantDigits < 19 {
                mantissa = mantissa * 10 + UInt64(d)
                if mantissa != 0 { significantDigits += 1 }
            } else {
                exponent += 1
                significantDigits += 1
            }
            digitCount += 1
            i += 1
        }
        if i < n && cell[i] == UInt8(ascii: ".") {
            i += 1
            while i < n, case let d = cell[i] &- UInt8(ascii: "0"), d < 10 {
                if significantDigits < 19 {
                    mantissa = mantissa * 10 + UInt64(d)
                    exponent -= 1
                    if mantissa != 0 { significantDigits += 1 }
                } else {
                    significantDigits += 1
                }
                digitCount += 1
                i += 1
            }
        }
        if digitCount == 0 { return nil }
        if i < n && cell[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var exponentNegative = false
            if i < n && (cell[i] == UInt8(ascii: "-") || cell[i] == UInt8(ascii: "+")) {
                exponentNegative = cell[i] == UInt8(ascii: "-")
                i += 1
            }
            var written = 0
            var exponentDigits = 0
            while i < n, case let d = cell[i] &- UInt8(ascii: "0"), d < 10 {
                if written < 100_000 { written = written * 10 + Int(d) }
                exponentDigits += 1
                i += 1
            }
            if exponentDigits == 0 { return nil }
            exponent += exponentNegative ? -written : written
        }
        if i != n { return nil }
        if significantDigits <= 19 && mantissa <= (1 << 53) && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            value = exponent < 0 ? value / exactPowersOfTen[-exponent] : value * exactPowersOfTen[exponent]
            return negative ? -value : value
        }
        return slowParse(cell)
    }

    private static func parseInfinity(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        let lowered = String(decoding: text, as: UTF8.self).lowercased()
        return lowered == "inf" || lowered == "infinity" ? .infinity : nil
    }

    /// Correctly rounded conversion of text already checked against the grammar, by the
    /// standard library (which, unlike `strtod`, ignores the process locale).
    private static func slowParse(_ cell: UnsafeBufferPointer<UInt8>) -> Double? {
        Double(String(decoding: cell, as: UTF8.self))
    }

    /// The text of a quoted field with each `""` collapsed to `"`.
    static func unescaped(_ field: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: unescapedBytes(field), as: UTF8.self)
    }

    /// The bytes of a quoted field with each `""` collapsed to `"`.
    static func unescapedBytes(_ field: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(field.count)
        var k = 0
        while k < field.count {
            out.append(field[k])
            k += field[k] == UInt8(ascii: "\"") ? 2 : 1
        }
        return out
    }
}
