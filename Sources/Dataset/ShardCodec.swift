import Foundation

/// The binary columnar shard format: a `Table` as bytes, and back with full validation.
///
/// Exists so that workers can load their rows without parsing text, and so that a
/// shard's SHA-256 names exactly one table.
///
/// Layout, version 1 (all integers little-endian):
///
/// | bytes | content |
/// |---|---|
/// | 4 | magic `ENGS` |
/// | 2 | format version, UInt16 = 1 |
/// | 8 | row count, UInt64 |
/// | 4 | column count, UInt32 |
/// | … | each column, in table order (below) |
/// | 4 | CRC-32 (IEEE, as zlib's `crc32`) of every byte before it |
///
/// Each column: name length UInt32 and the name's UTF-8 bytes; a type tag UInt8
/// (0 numeric, 1 categorical); then for numeric, row count × Float64 (IEEE bit
/// patterns, NaN = missing); for categorical, level count UInt32, each level as
/// UInt32 length + UTF-8 bytes, then row count × Int32 codes (-1 = missing).
public enum ShardCodec {
    public static let magic: [UInt8] = Array("ENGS".utf8)
    public static let version: UInt16 = 1

    static let numericTag: UInt8 = 0
    static let categoricalTag: UInt8 = 1
    static let headerSize = 4 + 2 + 8 + 4
    static let checksumSize = 4

    public static func encode(_ table: Table) -> Data {
        let rows = table.rowCount
        var size = headerSize + checksumSize
        for (name, column) in zip(table.names, table.columns) {
            size += 4 + name.utf8.count + 1
            switch column {
            case .numeric: size += 8 * rows
            case .categorical(_, let levels): size += 4 + levels.reduce(0) { $0 + 4 + $1.utf8.count } + 4 * rows
            }
        }
        var data = Data(count: size)
        data.withUnsafeMutableBytes { raw in
            var writer = ByteWriter(raw)
            writer.bytes(magic)
            writer.integer(version)
            writer.integer(UInt64(rows))
            writer.integer(UInt32(table.columnCount))
            for (name, column) in zip(table.names, table.columns) {
                writer.string(name)
                switch column {
                case .numeric(let values):
                    writer.integer(numericTag)
                    values.withUnsafeBufferPointer { writer.doubles($0) }
                case .categorical(let codes, let levels):
                    writer.integer(categoricalTag)
                    writer.integer(UInt32(levels.count))
                    for level in levels { writer.string(level) }
                    codes.withUnsafeBufferPointer { writer.int32s($0) }
                }
            }
            let body = UnsafeRawBufferPointer(rebasing: raw[..<writer.offset])
            writer.integer(CRC32.checksum(body))
        }
        return data
    }

    /// Rebuilds the table, refusing anything that is not a well-formed version-1
    /// shard: wrong magic or version, checksum mismatch, truncation, trailing bytes,
    /// invalid UTF-8, duplicate names or levels, codes outside the levels.
    public static func decode(_ data: Data, source: String = "<shard>") throws -> Table {
        try data.withUnsafeBytes { raw in
            try decode(raw, source: source)
        }
    }

    static func decode(_ raw: UnsafeRawBufferPointer, source: String) throws -> Table {
        func malformed(_ message: String) -> ShardError { ShardError(.malformed, source: source, message) }
        guard raw.count >= headerSize + checksumSize else {
            throw malformed("truncated: \(raw.count) bytes, a shard has at least \(headerSize + checksumSize)")
        }
        guard raw.prefix(4).elementsEqual(magic) else {
            throw malformed("not a shard: the file does not start with \"ENGS\"")
        }
        let body = UnsafeRawBufferPointer(rebasing: raw[..<(raw.count - checksumSize)])
        var reader = ByteReader(body, source: source)
        reader.skip(4)
        let formatVersion: UInt16 = try reader.integer("format version")
        guard formatVersion == version else {
            throw ShardError(.malformed, source: source, "unsupported shard format version \(formatVersion) (this build reads version \(version))")
        }
        let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: raw.count - checksumSize, as: UInt32.self))
        let computed = CRC32.checksum(body)
        guard stored == computed else {
            throw ShardError(.checksumMismatch, source: source, "corrupt: CRC-32 is \(hex32(computed)) but the shard records \(hex32(stored)) (truncated or damaged)")
        }
        let rowCount64: UInt64 = try reader.integer("row count")
        let columnCount: UInt32 = try reader.integer("column count")
        guard rowCount64 <= UInt64(body.count) else {
            throw malformed("row count \(rowCount64) cannot fit in \(raw.count) bytes")
        }
        let rows = Int(rowCount64)
        guard Int(columnCount) <= body.count else {
            throw malformed("column count \(columnCount) cannot fit in \(raw.count) bytes")
        }
        var names: [String] = []
        var columns: [Column] = []
        var seen = Set<String>()
        for c in 0..<Int(columnCount) {
            let name = try reader.string("name of column \(c + 1)")
            guard seen.insert(name).inserted else { throw malformed("duplicate column name '\(name)'") }
            let tag: UInt8 = try reader.integer("type tag of column '\(name)'")
            switch tag {
            case numericTag:
                columns.append(.numeric(try reader.doubles(rows, "values of column '\(name)'")))
            case categoricalTag:
                let levelCount: UInt32 = try reader.integer("level count of column '\(name)'")
                guard Int(levelCount) <= reader.remaining / 4 else {
                    throw malformed("column '\(name)' claims \(levelCount) levels, more than the remaining \(reader.remaining) bytes hold")
                }
                var levels: [String] = []
                levels.reserveCapacity(Int(levelCount))
                var levelSet = Set<String>()
                for l in 0..<Int(levelCount) {
                    let level = try reader.string("level \(l + 1) of column '\(name)'")
                    guard levelSet.insert(level).inserted else { throw malformed("column '\(name)' repeats the level '\(level)'") }
                    levels.append(level)
                }
                let codes = try reader.int32s(rows, "codes of column '\(name)'")
                let bad = codes.withUnsafeBufferPointer { buffer in
                    buffer.firstIndex { $0 < -1 || $0 >= Int32(levelCount) }
                }
                if let row = bad {
                    throw malformed("column '\(name)' row \(row) has code \(codes[row]), outside -1..<\(levelCount)")
                }
                columns.append(.categorical(codes: codes, levels: levels))
            default:
                throw malformed("column '\(name)' has unknown type tag \(tag)")
            }
            names.append(name)
        }
        guard reader.remaining == 0 else {
            throw malformed("\(reader.remaining) unexpected bytes after the last column")
        }
        if columns.isEmpty && rows != 0 {
            throw malformed("a shard without columns claims \(rows) rows")
        }
        return try Table(names: names, columns: columns)
    }

    private static func hex32(_ value: UInt32) -> String { String(format: "%08x", value) }
}

/// Sequential little-endian writes into a buffer sized in advance.
private struct ByteWriter {
    let raw: UnsafeMutableRawBufferPointer
    private(set) var offset = 0

    init(_ raw: UnsafeMutableRawBufferPointer) { self.raw = raw }

    mutating func integer<T: FixedWidthInteger>(_ value: T) {
        raw.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
    }

    mutating func bytes(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            integer(UInt32(utf8.count))
            append(UnsafeRawBufferPointer(utf8))
        }
    }

    mutating func doubles(_ values: UnsafeBufferPointer<Double>) {
        #if _endian(little)
        append(UnsafeRawBufferPointer(values))
        #else
        for value in values { integer(value.bitPattern) }
        #endif
    }

    mutating func int32s(_ values: UnsafeBufferPointer<Int32>) {
        #if _endian(little)
        append(UnsafeRawBufferPointer(values))
        #else
        for value in values { integer(value) }
        #endif
    }

    private mutating func append(_ source: UnsafeRawBufferPointer) {
        guard let base = source.baseAddress, source.count > 0 else { return }
        (raw.baseAddress! + offset).copyMemory(from: base, byteCount: source.count)
        offset += source.count
    }
}

/// Sequential little-endian reads that check every length against what is left.
private struct ByteReader {
    let raw: UnsafeRawBufferPointer
    let source: String
    private(set) var offset = 0

    init(_ raw: UnsafeRawBufferPointer, source: String) {
        self.raw = raw
        self.source = source
    }

    var remaining: Int { raw.count - offset }

    mutating func skip(_ count: Int) { offset += count }

    private func need(_ count: Int, _ what: String) throws {
        guard count <= remaining else {
            throw ShardError(.malformed, source: source, "truncated: \(what) needs \(count) bytes at offset \(offset), only \(remaining) remain")
        }
    }

    mutating func integer<T: FixedWidthInteger>(_ what: String) throws -> T {
        try need(MemoryLayout<T>.size, what)
        let value = T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return value
    }

    mutating func string(_ what: String) throws -> String {
        let length = Int(try integer("length of \(what)") as UInt32)
        try need(length, what)
        let bytes = UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)]).bindMemory(to: UInt8.self)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ShardError(.malformed, source: source, "\(what) at offset \(offset) is not valid UTF-8")
        }
        offset += length
        return text
    }

    mutating func doubles(_ count: Int, _ what: String) throws -> [Double] {
        try littleEndianArray(count, what, stored: UInt64.self) { Double(bitPattern: $0) }
    }

    mutating func int32s(_ count: Int, _ what: String) throws -> [Int32] {
        try littleEndianArray(count, what, stored: Int32.self) { $0 }
    }

    /// `count` little-endian values stored as `Stored` and read as `Value` of the same width: one
    /// memory copy on a little-endian machine, a byte swap per value elsewhere.
    private mutating func littleEndianArray<Stored: FixedWidthInteger, Value>(
        _ count: Int, _ what: String, stored: Stored.Type, _ value: (Stored) -> Value
    ) throws -> [Value] {
        precondition(MemoryLayout<Stored>.size == MemoryLayout<Value>.size)
        let width = MemoryLayout<Stored>.size
        let (bytes, overflow) = count.multipliedReportingOverflow(by: width)
        try need(overflow ? Int.max : bytes, what)
        let start = offset
        offset += bytes
        return [Value](unsafeUninitializedCapacity: count) { out, initialized in
            #if _endian(little)
            if let base = out.baseAddress, bytes > 0 {
                UnsafeMutableRawPointer(base).copyMemory(from: raw.baseAddress! + start, byteCount: bytes)
            }
            #else
            for i in 0..<count {
                out[i] = value(Stored(littleEndian: raw.loadUnaligned(fromByteOffset: start + width * i, as: Stored.self)))
            }
            #endif
            initialized = count
        }
    }
}
