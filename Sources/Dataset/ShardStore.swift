import Foundation

/// A stored shard: its content hash (the SHA-256 hex of its bytes), rows and size.
public struct ShardRef: Codable, Sendable, Hashable {
    public let id: String
    public let rows: Int
    public let bytes: Int

    public init(id: String, rows: Int, bytes: Int) {
        self.id = id
        self.rows = rows
        self.bytes = bytes
    }
}

/// Why a shard could not be decoded, stored or read.
public struct ShardError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// What went wrong, for callers that react differently (re-fetch on `hashMismatch`, …).
    public enum Kind: String, Sendable, Equatable {
        case malformed
        case checksumMismatch
        case hashMismatch
        case invalidID
        case notFound
        case outOfRange
        case io
    }

    public let kind: Kind
    /// The shard file, id or description the error is about.
    public let source: String
    public let message: String

    public init(_ kind: Kind, source: String, _ message: String) {
        self.kind = kind
        self.source = source
        self.message = message
    }

    public var description: String { "\(source): \(message)" }
    public var errorDescription: String? { description }
}

/// A directory of content-addressed shard files, `<directory>/<sha256>.shard`.
///
/// Exists so that the coordinator and every worker cache shards the same way:
/// writes are atomic (temporary file, fsync, rename), a shard is stored once
/// whoever writes it, and reads can prove the bytes are the ones named.
public struct ShardStore: Sendable {
    public let directory: String

    public static let fileExtension = "shard"

    /// Opens the directory, creating it (and its parents) when absent.
    public init(directory: String) throws {
        self.directory = directory
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw ShardError(.io, source: directory, "exists but is not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ShardError(.io, source: directory, "cannot create the shard directory: \(error.localizedDescription)")
        }
    }

    /// Encodes and stores `table`. Storing the same table again leaves an intact file
    /// alone and replaces a damaged one.
    @discardableResult
    public func write(_ table: Table) throws -> ShardRef {
        let data = ShardCodec.encode(table)
        let id = SHA256.hex(data)
        try store(data, id: id)
        return ShardRef(id: id, rows: table.rowCount, bytes: data.count)
    }

    /// Stores bytes received from elsewhere, after checking that their SHA-256 is `expectedID`.
    public func write(data: Data, expectedID: String) throws {
        try Self.validate(expectedID)
        let actual = SHA256.hex(data)
        guard actual == expectedID else {
            throw ShardError(.hashMismatch, source: expectedID, "received \(data.count) bytes whose SHA-256 is \(actual), not the shard id")
        }
        try store(data, id: expectedID)
    }

    public func contains(_ id: String) -> Bool {
        Self.isValid(id) && FileManager.default.fileExists(atPath: path(for: id))
    }

    public func path(for id: String) -> String {
        (directory as NSString).appendingPathComponent("\(id).\(Self.fileExtension)")
    }

    /// Stores bytes made here that are not a table (a binned shard), named by their SHA-256.
    @discardableResult
    public func write(bytes data: Data, rows: Int) throws -> ShardRef {
        let id = SHA256.hex(data)
        try store(data, id: id)
        return ShardRef(id: id, rows: rows, bytes: data.count)
    }

    /// Decodes a stored shard; with `verify`, first checks that its bytes still hash to `id`.
    public func read(_ id: String, verify: Bool = true) throws -> Table {
        try ShardCodec.decode(try bytes(of: id, verify: verify), source: path(for: id))
    }

    /// A stored shard's bytes; with `verify`, first checks that they still hash to `id`.
    public func bytes(of id: String, verify: Bool = true) throws -> Data {
        let data = try contents(of: id)
        if verify {
            let actual = SHA256.hex(data)
            guard actual == id else {
                throw ShardError(.hashMismatch, source: path(for: id), "corrupt: the file's SHA-256 is \(actual), not its name")
            }
        }
        return data
    }

    /// Up to `count` bytes from `offset` (fewer at the end of the file, none at its end).
    public func readBytes(_ id: String, offset: Int, count: Int) throws -> Data {
        let size = try size(of: id)
        guard offset >= 0, count >= 0, offset <= size else {
            throw ShardError(.outOfRange, source: id, "cannot read \(count) bytes at offset \(offset) of a \(size)-byte shard")
        }
        let wanted = min(count, size - offset)
        if wanted == 0 { return Data() }
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path(for: id)))
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: wanted) ?? Data()
            guard data.count == wanted else {
                throw ShardError(.io, source: path(for: id), "short read: \(data.count) of \(wanted) bytes at offset \(offset)")
            }
            return data
        } catch let error as ShardError {
            throw error
        } catch {
            throw ShardError(.io, source: path(for: id), "cannot read: \(error.localizedDescription)")
        }
    }

    public func size(of id: String) throws -> Int {
        try Self.validate(id)
        let file = path(for: id)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
              let size = attributes[.size] as? NSNumber
        else {
            throw ShardError(.notFound, source: id, "no such shard in \(directory)")
        }
        return size.intValue
    }

    /// The ids of all stored shards, sorted.
    public func ids() throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw ShardError(.io, source: directory, "cannot list the shard directory: \(error.localizedDescription)")
        }
        let suffix = ".\(Self.fileExtension)"
        return names.compactMap { name -> String? in
            guard name.hasSuffix(suffix) else { return nil }
            let id = String(name.dropLast(suffix.count))
            return Self.isValid(id) ? id : nil
        }.sorted()
    }

    // MARK: - Private

    /// A shard id is 64 lower-case hex digits, which also keeps it from naming any other path.
    static func isValid(_ id: String) -> Bool {
        id.utf8.count == 64 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    private static func validate(_ id: String) throws {
        guard isValid(id) else {
            throw ShardError(.invalidID, source: String(id.prefix(80)), "not a shard id: expected 64 lower-case hex digits (a SHA-256)")
        }
    }

    private func contents(of id: String) throws -> Data {
        try Self.validate(id)
        let file = path(for: id)
        guard FileManager.default.fileExists(atPath: file) else {
            throw ShardError(.notFound, source: id, "no such shard in \(directory)")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ShardError(.io, source: file, "cannot read: \(error.localizedDescription)")
        }
    }

    private func store(_ data: Data, id: String) throws {
        let final = path(for: id)
        if let size = try? self.size(of: id), size == data.count, (try? SHA256.hex(fileAt: final)) == id { return }
        let temporary = (directory as NSString).appendingPathComponent(".\(id).\(ProcessInfo.processInfo.processIdentifier).\(UUID().uuidString).tmp")
        do {
            try DurableFile.write(data, to: temporary)
            try DurableFile.rename(temporary, to: final)
        } catch {
            unlink(temporary)
            throw ShardError(.io, source: final, "cannot store the shard: \(error)")
        }
    }
}

extension Table {
    /// The memory a decoded table's values and category codes hold, roughly (levels left out):
    /// what the caches of decoded shards count against their budgets.
    public var decodedBytes: Int {
        columns.reduce(0) { total, column in
            switch column {
            case .numeric(let values): return total + values.count * MemoryLayout<Double>.stride
            case .categorical(let codes, _): return total + codes.count * MemoryLayout<Int32>.stride
            }
        }
    }

    /// What a process may hold in decoded tables kept for reuse (the worker's decoded shards, the
    /// coordinator's training rows): a sixteenth of the host's memory, at most 2 GiB — all of a
    /// million-row run's shards on a 24 GiB host, a bounded extra copy at ten million rows.
    public static var reuseBudgetBytes: Int {
        Int(min(UInt64(2) << 30, ProcessInfo.processInfo.physicalMemory / 16))
    }
}
