import Dataset
import Foundation

/// The directory `engage watch` takes CSV batches from, with its `processing/`, `done/` and
/// `failed/` subdirectories.
///
/// The rule for writers: write the batch under a name starting with `.` or ending in `.tmp`,
/// then rename it into the inbox; only `*.csv` names not starting with `.` are taken. A batch is
/// claimed by renaming it into `processing/` (both directories fsynced) before anything reads it,
/// so a file is claimed at most once, and a claimed file stays in `processing/` until its outcome
/// is recorded: a restarted watch finds every unfinished batch there.
public struct Inbox: Sendable {
    public let directory: String

    public init(directory: String) throws {
        self.directory = directory
        for sub in ["", "processing", "done", "failed"] {
            try FileManager.default.createDirectory(atPath: path(sub), withIntermediateDirectories: true)
        }
    }

    public func path(_ sub: String, _ name: String? = nil) -> String {
        let base = sub.isEmpty ? directory : (directory as NSString).appendingPathComponent(sub)
        return name.map { (base as NSString).appendingPathComponent($0) } ?? base
    }

    /// Whether a writer is done with `name` by the inbox rule.
    public static func isTakeable(_ name: String) -> Bool {
        name.hasSuffix(".csv") && !name.hasPrefix(".")
    }

    /// Batches claimed before a crash and not finished, oldest name first.
    public func unfinished() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path("processing")).filter(Self.isTakeable).sorted()
    }

    /// Batches waiting in the inbox, by name.
    public func waiting() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { name in
            var isDirectory: ObjCBool = false
            return Self.isTakeable(name) && FileManager.default.fileExists(atPath: path("", name), isDirectory: &isDirectory) && !isDirectory.boolValue
        }.sorted()
    }

    /// Moves a waiting batch into `processing/`; nil when another watch took it first.
    public func claim(_ name: String) throws -> String? {
        let target = path("processing", name)
        do {
            try DurableFile.rename(path("", name), to: target)
        } catch where !FileManager.default.fileExists(atPath: path("", name)) {
            return nil
        }
        return target
    }

    /// Moves a claimed batch to `done/` or `failed/` (replacing a file of the same name there).
    public func finish(_ name: String, failed: Bool) throws {
        try DurableFile.rename(path("processing", name), to: path(failed ? "failed" : "done", name))
    }

    /// The batches accepted so far, as files in `done/`.
    public func donePath(_ name: String) -> String { path("done", name) }
}
