import Foundation

/// File writes that survive a crash: data reaches the disk before the file gets
/// its final name, and the rename itself is flushed through the directory.
public enum DurableFile {
    /// A failed system call, with the call, the path and the reason from errno.
    struct Failure: Error, CustomStringConvertible, LocalizedError {
        let call: String
        let path: String
        let code: Int32

        var description: String { "\(call) \(path): \(String(cString: strerror(code)))" }
        var errorDescription: String? { description }
    }

    /// Creates (or truncates) `path`, writes all of `data` and fsyncs it.
    public static func write(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(call: "open", path: path, code: errno) }
        defer { close(fd) }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw Failure(call: "write", path: path, code: errno)
                }
                offset += written
            }
        }
        guard fsync(fd) == 0 else { throw Failure(call: "fsync", path: path, code: errno) }
    }

    /// Renames `source` to `destination` (replacing it) and fsyncs the destination's directory
    /// (and the source's, when it is another one, so the move is durable on both sides).
    public static func rename(_ source: String, to destination: String) throws {
        guard Foundation.rename(source, destination) == 0 else {
            throw Failure(call: "rename", path: "\(source) -> \(destination)", code: errno)
        }
        let from = (source as NSString).deletingLastPathComponent, to = (destination as NSString).deletingLastPathComponent
        try syncDirectory(to)
        if from != to { try syncDirectory(from) }
    }

    /// fsyncs a directory, so that renames into or out of it survive a crash.
    public static func syncDirectory(_ directory: String) throws {
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(call: "open", path: directory, code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(call: "fsync", path: directory, code: errno) }
    }
}
