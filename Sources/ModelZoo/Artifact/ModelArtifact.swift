import Foundation

/// The envelope shared by every ModelZoo artifact: magic, format version, model kind,
/// a kind-specific little-endian body and a CRC-32 trailer (docs/artifact-format.md).
///
/// One envelope lets the registry and `engage predict` recognise, dispatch and reject
/// artifact bytes before any model code parses them.
public enum ModelArtifact {
    public static let magic: [UInt8] = Array("ENGM".utf8)
    public static let formatVersion: UInt16 = 1
    static let maximumKindLength = 32

    /// A writer that already holds the header for `kind` (1–32 ASCII characters).
    public static func writer(kind: String, reservingCapacity capacity: Int = 0) -> ArtifactWriter {
        precondition(!kind.isEmpty && kind.utf8.count <= maximumKindLength && kind.allSatisfy(\.isASCII),
                     "artifact kind must be 1–\(maximumKindLength) ASCII characters")
        var writer = ArtifactWriter(reservingCapacity: capacity + 64)
        writer.writeBytes(magic)
        writer.write(formatVersion)
        writer.write(UInt8(kind.utf8.count))
        writer.writeBytes(Array(kind.utf8))
        return writer
    }

    /// The finished artifact: everything written plus the CRC-32 trailer.
    public static func seal(_ writer: ArtifactWriter) -> Data {
        ChecksumTrailer.seal(writer)
    }

    /// The model kind named in an artifact's header (checks magic, version and checksum).
    public static func kind(of data: Data) throws -> String {
        try open(data).kind
    }

    /// A reader positioned at the body of an artifact of `kind`; throws on a bad magic,
    /// unsupported version, wrong kind, truncation or checksum mismatch.
    public static func reader(for data: Data, kind expected: String) throws -> ArtifactReader {
        let (kind, reader) = try open(data)
        guard kind == expected else { throw ModelArtifactError.wrongKind(expected: expected, found: kind) }
        return reader
    }

    private static func open(_ data: Data) throws -> (kind: String, reader: ArtifactReader) {
        let all = [UInt8](data)
        guard all.count >= magic.count, Array(all[0..<magic.count]) == magic else {
            throw ModelArtifactError.badMagic(Array(all.prefix(magic.count)))
        }
        var header = ArtifactReader(bytes: all, offset: magic.count)
        let version = try header.read(UInt16.self, "format version")
        guard version == formatVersion else { throw ModelArtifactError.unsupportedVersion(version, supported: formatVersion) }
        let kindLength = Int(try header.read(UInt8.self, "model kind length"))
        guard (1...maximumKindLength).contains(kindLength) else {
            throw ModelArtifactError.corrupt("model kind length \(kindLength) is outside 1...\(maximumKindLength)")
        }
        let kindBytes = try header.readBytes(kindLength, "model kind")
        guard kindBytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), let kind = String(validating: kindBytes, as: UTF8.self) else {
            throw ModelArtifactError.corrupt("model kind is not printable ASCII")
        }
        guard header.remaining >= 4 else { throw ModelArtifactError.truncated("checksum") }
        return (kind, try ChecksumTrailer.verified(all, offset: header.offset))
    }
}

/// Why artifact bytes were rejected. Decoding never traps on bad input; it throws one of these.
public enum ModelArtifactError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case badMagic([UInt8])
    case unsupportedVersion(UInt16, supported: UInt16)
    case wrongKind(expected: String, found: String)
    case truncated(String)
    case checksumMismatch(stored: UInt32, computed: UInt32)
    case trailingBytes(Int, after: String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .badMagic(let bytes):
            let shown = bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
            return "not an engage model artifact: expected magic \"ENGM\", found [\(shown)]"
        case .unsupportedVersion(let version, let supported):
            return "model artifact format version \(version) is not supported (this build reads version \(supported))"
        case .wrongKind(let expected, let found):
            return "model artifact holds a '\(found)' model, expected '\(expected)'"
        case .truncated(let what):
            return "model artifact is truncated: it ends while reading \(what)"
        case .checksumMismatch(let stored, let computed):
            return String(format: "model artifact is corrupt: CRC-32 is %08x but the bytes hash to %08x", stored, computed)
        case .trailingBytes(let count, let after):
            return "model artifact is corrupt: \(count) unexpected bytes after \(after)"
        case .corrupt(let detail):
            return "model artifact is corrupt: \(detail)"
        }
    }

    public var errorDescription: String? { description }
}
