import Foundation

/// The frame around the artifacts of the anomaly detector ("ENGA"), the recommender ("ENGR")
/// and the stacking model ("ENGK"): four magic bytes, a format version, a little-endian body and
/// a CRC-32 of everything before it.
///
/// Each of these models has a magic of its own so that `engage predict` can tell them apart
/// from GBDT artifacts ("ENGM") and from shards ("ENGS") by their first four bytes; the body
/// is written and read with the same `ArtifactWriter` / `ArtifactReader` as GBDT artifacts.
public struct ModelEnvelope: Sendable, Equatable {
    public let magic: String
    public let version: UInt16

    public static let anomaly = ModelEnvelope(magic: "ENGA", version: 1)
    public static let recommender = ModelEnvelope(magic: "ENGR", version: 1)
    public static let stacking = ModelEnvelope(magic: "ENGK", version: 1)

    init(magic: String, version: UInt16) {
        precondition(magic.utf8.count == 4, "an envelope magic is four ASCII bytes")
        self.magic = magic
        self.version = version
    }

    /// A writer that already holds the magic and version.
    func writer(reservingCapacity capacity: Int = 0) -> ArtifactWriter {
        var writer = ArtifactWriter(reservingCapacity: capacity + 16)
        writer.writeBytes(Array(magic.utf8))
        writer.write(version)
        return writer
    }

    /// Everything written plus the CRC-32 trailer.
    func seal(_ writer: ArtifactWriter) -> Data {
        ChecksumTrailer.seal(writer)
    }

    /// A reader positioned at the body; throws `ModelEnvelopeError` on a wrong magic, version or
    /// checksum, before any of the body is parsed.
    func reader(for data: Data) throws -> ArtifactReader {
        let all = [UInt8](data)
        let expected = Array(magic.utf8)
        guard all.count >= 4, Array(all[0..<4]) == expected else {
            throw ModelEnvelopeError.badMagic(expected: magic, found: Array(all.prefix(4)))
        }
        guard all.count >= 10 else { throw ModelArtifactError.truncated("the \(magic) header and checksum") }
        let found = UInt16(all[4]) | UInt16(all[5]) << 8
        guard found == version else { throw ModelEnvelopeError.unsupportedVersion(magic: magic, found: found, supported: version) }
        return try ChecksumTrailer.verified(all, offset: 6)
    }
}

/// Why bytes are not an artifact of the expected model: the frame is wrong before the body is read.
public enum ModelEnvelopeError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case badMagic(expected: String, found: [UInt8])
    case unsupportedVersion(magic: String, found: UInt16, supported: UInt16)

    public var description: String {
        switch self {
        case .badMagic(let expected, let found):
            let shown = found.map { String(format: "%02x", $0) }.joined(separator: " ")
            return "not an engage \(expected) artifact: expected magic \"\(expected)\", found [\(shown)]"
        case .unsupportedVersion(let magic, let found, let supported):
            return "\(magic) artifact format version \(found) is not supported (this build reads version \(supported))"
        }
    }

    public var errorDescription: String? { description }
}

extension ArtifactWriter {
    mutating func write(contentsOf values: [Float]) {
        write(contentsOf: values.map(\.bitPattern))
    }

    mutating func write(strings: [String]) {
        write(UInt32(strings.count))
        for s in strings { write(s) }
    }
}

extension ArtifactReader {
    mutating func readFloats(count: Int, _ what: @autoclosure () -> String) throws -> [Float] {
        try readArray(UInt32.self, count: count, what()).map { Float(bitPattern: $0) }
    }

    /// A UInt32 count, checked against the bytes left at `minimumBytesEach` per element.
    mutating func readCount(_ what: @autoclosure () -> String, minimumBytesEach: Int, limit: Int = Int(Int32.max)) throws -> Int {
        let count = Int(try read(UInt32.self, what()))
        guard count <= limit, count <= remaining / max(1, minimumBytesEach) else { throw ModelArtifactError.truncated(what()) }
        return count
    }

    mutating func readStrings(_ what: @autoclosure () -> String) throws -> [String] {
        let name = what()
        let count = try readCount("\(name) count", minimumBytesEach: 4)
        var strings = [String]()
        strings.reserveCapacity(count)
        for index in 0..<count { strings.append(try readString("\(name) \(index)")) }
        return strings
    }
}
