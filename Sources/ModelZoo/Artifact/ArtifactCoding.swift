import Dataset
import Foundation

/// Appends little-endian values to a byte buffer: the writing half of ModelZoo artifacts.
///
/// Public so that every model kind writes its body the same way (see `ModelArtifact`).
public struct ArtifactWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func write(_ value: Double) {
        write(value.bitPattern)
    }

    public mutating func write(_ value: Bool) {
        write(UInt8(value ? 1 : 0))
    }

    /// UInt32 byte length, then UTF-8.
    public mutating func write(_ value: String) {
        let utf8 = Array(value.utf8)
        write(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    public mutating func writeBytes(_ raw: [UInt8]) {
        bytes.append(contentsOf: raw)
    }

    /// The elements only; the reader must know the count.
    public mutating func write<T: FixedWidthInteger>(contentsOf values: [T]) {
        if Self.hostIsLittleEndian {
            values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        } else {
            for value in values { write(value) }
        }
    }

    public mutating func write(contentsOf values: [Double]) {
        if Self.hostIsLittleEndian {
            values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        } else {
            for value in values { write(value) }
        }
    }

    public mutating func write(contentsOf values: [Bool]) {
        bytes.append(contentsOf: values.map { $0 ? 1 : 0 })
    }

    static let hostIsLittleEndian = 1.littleEndian == 1
}

/// Reads little-endian values from a byte buffer, throwing `ModelArtifactError.truncated`
/// instead of reading past the end, and never allocating more than the bytes left could hold.
public struct ArtifactReader: Sendable {
    private let bytes: [UInt8]
    public private(set) var offset: Int

    public init(bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    public mutating func read<T: FixedWidthInteger>(_: T.Type = T.self, _ what: @autoclosure () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw ModelArtifactError.truncated(what()) }
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { target in
            bytes.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + size)]))
            }
        }
        offset += size
        return T(littleEndian: value)
    }

    public mutating func readDouble(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    public mutating func readBool(_ what: @autoclosure () -> String) throws -> Bool {
        switch try read(UInt8.self, what()) {
        case 0: return false
        case 1: return true
        case let other: throw ModelArtifactError.corrupt("\(what()) is \(other), expected 0 or 1")
        }
    }

    /// UInt32 byte length, then UTF-8.
    public mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let length = Int(try read(UInt32.self, what()))
        let raw = try readBytes(length, what())
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw ModelArtifactError.corrupt("\(what()) is not valid UTF-8")
        }
        return text
    }

    public mutating func readBytes(_ count: Int, _ what: @autoclosure () -> String) throws -> [UInt8] {
        guard count >= 0, remaining >= count else { throw ModelArtifactError.truncated(what()) }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    public mutating func readArray<T: FixedWidthInteger>(_: T.Type, count: Int, _ what: @autoclosure () -> String) throws -> [T] {
        let raw = try rawArray(T.self, count: count, what())
        return ArtifactWriter.hostIsLittleEndian ? raw : raw.map { T(littleEndian: $0) }
    }

    public mutating func readDoubles(count: Int, _ what: @autoclosure () -> String) throws -> [Double] {
        try readArray(UInt64.self, count: count, what()).map { Double(bitPattern: $0) }
    }

    public mutating func readBools(count: Int, _ what: @autoclosure () -> String) throws -> [Bool] {
        let raw = try readBytes(count, what())
        guard raw.allSatisfy({ $0 <= 1 }) else { throw ModelArtifactError.corrupt("\(what()) holds a value other than 0 or 1") }
        return raw.map { $0 == 1 }
    }

    /// Throws unless every byte has been read.
    public func finish(_ what: String) throws {
        guard remaining == 0 else { throw ModelArtifactError.trailingBytes(remaining, after: what) }
    }

    private mutating func rawArray<T>(_: T.Type, count: Int, _ what: @autoclosure () -> String) throws -> [T] {
        let size = MemoryLayout<T>.stride
        guard count >= 0, count <= remaining / size else { throw ModelArtifactError.truncated(what()) }
        let start = offset
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: source[start..<(start + count * size)]))
            }
            initialized = count
        }
        offset += count * size
        return values
    }
}

/// The CRC-32 trailer (`Dataset.CRC32`, little-endian) that ends every ModelZoo artifact and
/// envelope: one writer of it and one check, whatever header comes before.
enum ChecksumTrailer {
    /// Everything written plus the trailer.
    static func seal(_ writer: ArtifactWriter) -> Data {
        var bytes = writer.bytes
        let crc = bytes.withUnsafeBytes { CRC32.checksum($0) }
        withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
        return Data(bytes)
    }

    /// A reader over `all` less its trailer, at `offset`; throws on a checksum mismatch. The
    /// caller has checked that `all` holds its header and the four trailer bytes.
    static func verified(_ all: [UInt8], offset: Int) throws -> ArtifactReader {
        let bodyEnd = all.count - 4
        let stored = UInt32(all[bodyEnd]) | UInt32(all[bodyEnd + 1]) << 8 | UInt32(all[bodyEnd + 2]) << 16
            | UInt32(all[bodyEnd + 3]) << 24
        let computed = all.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<bodyEnd])) }
        guard stored == computed else { throw ModelArtifactError.checksumMismatch(stored: stored, computed: computed) }
        return ArtifactReader(bytes: Array(all[0..<bodyEnd]), offset: offset)
    }
}
