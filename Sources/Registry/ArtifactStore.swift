import Dataset
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Content-addressed artifact files beside the database: `artifacts/ab/cdef…`,
/// named by the SHA-256 of their bytes.
///
/// A file appears under its final name only complete and on disk (temp file,
/// fsync, rename, fsync of the directory), so a crash leaves at worst a stray
/// `.tmp-*` file or an artifact no version row refers to; both are harmless.
struct ArtifactStore: Sendable {
    /// The registry directory; stored paths are relative to it.
    let root: String

    static let folder = "artifacts"

    static func relativePath(sha256: String) -> String {
        let split = sha256.index(sha256.startIndex, offsetBy: 2)
        return "\(folder)/\(sha256[..<split])/\(sha256[split...])"
    }

    func absolutePath(_ relative: String) -> String { root + "/" + relative }

    /// Writes `data` under its hash unless a file of that name and size is already
    /// there, and returns its hash and relative path.
    func store(_ data: Data) throws -> (sha256: String, path: String) {
        let sha = SHA256.hex(data)
        let relative = Self.relativePath(sha256: sha)
        let final = absolutePath(relative)
        if let size = fileSize(final), size == data.count { return (sha, relative) }

        let directory = (final as NSString).deletingLastPathComponent
        try makeDirectory(absolutePath(Self.folder), parent: root)
        try makeDirectory(directory, parent: absolutePath(Self.folder))
        let temp = directory + "/.tmp-" + UUID().uuidString
        do {
            try writeSynced(data, to: temp)
            guard rename(temp, final) == 0 else { throw failure("rename", temp) }
            try syncDirectory(directory)
        } catch {
            unlink(temp)
            throw error
        }
        return (sha, relative)
    }

    /// The bytes of an artifact, after checking them against the hash they were stored under.
    func load(_ relative: String, sha256: String) throws -> Data {
        let path = absolutePath(relative)
        guard FileManager.default.fileExists(atPath: path) else { throw RegistryError.artifactMissing(path) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ArtifactStoreError(operation: "read", path: path, reason: error.localizedDescription)
        }
        let actual = SHA256.hex(data)
        guard actual == sha256 else { throw RegistryError.artifactCorrupt(path: path, expected: sha256, actual: actual) }
        return data
    }

    private func fileSize(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// Creates `path` if needed and, when it did, makes its entry in `parent` durable.
    private func makeDirectory(_ path: String, parent: String) throws {
        if mkdir(path, 0o755) == 0 {
            try syncDirectory(parent)
        } else if errno != EEXIST {
            throw failure("create directory", path)
        }
    }

    private func writeSynced(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("create", path) }
        defer { close(fd) }
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard var cursor = raw.baseAddress else { return }
            var remaining = raw.count
            while remaining > 0 {
                let written = write(fd, cursor, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure("write", path)
                }
                cursor += written
                remaining -= written
            }
        }
        guard fsync(fd) == 0 else { throw failure("fsync", path) }
    }

    private func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open directory", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure("fsync directory", path) }
    }

    private func failure(_ operation: String, _ path: String) -> ArtifactStoreError {
        ArtifactStoreError(operation: operation, path: path, reason: String(cString: strerror(errno)))
    }
}
