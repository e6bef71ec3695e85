import Foundation

/// The JSON encoder of every document engage writes that may hold a metric or report number
/// (metrics.json, importance.json, report documents, the RESULT report, registry documents,
/// `--json` outputs).
///
/// A number that is undefined for its data (the AUC of one class, the R² of a constant label,
/// a fairness rate of an empty group) is NaN in memory; JSON has no NaN, and a "NaN" string
/// would break every reader that parses the field as a number. So every non-finite Double is
/// written as `null`, which `EngageJSONDecoder` reads back as NaN. Synthesized `Codable` omits
/// nil optionals, so in engage's own documents `null` means "undefined number" and nothing else.
public final class EngageJSONEncoder: JSONEncoder, @unchecked Sendable {
    /// A string no document holds, which the finished text turns into `null`.
    static let marker = "\u{1}non-finite"
    private static let encodedMarker: [UInt8] = Array("\"\\u0001non-finite\"".utf8)

    public init(_ formatting: OutputFormatting = [.sortedKeys]) {
        super.init()
        outputFormatting = formatting
        nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: Self.marker, negativeInfinity: Self.marker, nan: Self.marker)
    }

    public override func encode<T: Encodable>(_ value: T) throws -> Data {
        Data(Self.replacing(Self.encodedMarker, with: Array("null".utf8), in: [UInt8](try super.encode(value))))
    }

    static func replacing(_ pattern: [UInt8], with replacement: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        guard let first = pattern.first, bytes.count >= pattern.count else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == first, i + pattern.count <= bytes.count, bytes[i..<(i + pattern.count)].elementsEqual(pattern) {
                out += replacement
                i += pattern.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}

/// Reads what `EngageJSONEncoder` writes: `null` where a non-optional Double is expected is NaN. Documents
/// from before it existed, which spelled undefined numbers "nan", "inf" and "-inf", still read.
public final class EngageJSONDecoder: JSONDecoder, @unchecked Sendable {
    public override init() {
        super.init()
        nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    }

    /// A document is first read as it is, so `null` in an optional field stays nil (whatever its
    /// type); only when that fails is every `null` read as NaN, for the non-optional numbers
    /// `EngageJSONEncoder` wrote as `null`.
    public override func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try super.decode(type, from: data)
        } catch {
            guard let retried = try? super.decode(type, from: Data(Self.nullsAsNaN([UInt8](data)))) else { throw error }
            return retried
        }
    }

    /// Every `null` outside a string becomes `"nan"`.
    static func nullsAsNaN(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var inString = false, escaped = false
        var i = 0
        let null = Array("null".utf8)
        while i < bytes.count {
            let byte = bytes[i]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "n"), i + 4 <= bytes.count, bytes[i..<(i + 4)].elementsEqual(null) {
                out += Array("\"nan\"".utf8)
                i += 4
                continue
            }
            out.append(byte)
            i += 1
        }
        return out
    }
}
