import Foundation

/// A fresh directory under the system's temporary folder, removed when the value goes away.
///
/// Exists so that every test works in a directory of its own and leaves nothing behind.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ name: String = "test") throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("engage-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A fresh directory that stays after the test (integration tests leave their logs for a person to read).
public func makeTemporaryDirectory(_ name: String) throws -> String {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("engage-\(name)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
