import Foundation

/// Why a registry query or registration was refused.
public enum RegistryError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// A model, version (`churn@7`) or run that the registry does not hold.
    case notFound(String)
    /// A version's artifact file is gone from the artifacts directory.
    case artifactMissing(String)
    /// An artifact file's content no longer matches the hash it was registered under.
    case artifactCorrupt(path: String, expected: String, actual: String)
    /// The registry database file does not exist.
    case databaseMissing(String)
    /// The request itself is unacceptable (bad name, malformed JSON, read-only registry, …).
    case invalid(String)

    public var description: String {
        switch self {
        case .notFound(let what):
            return "not found in the registry: \(what)"
        case .artifactMissing(let path):
            return "artifact file is missing: \(path)"
        case .artifactCorrupt(let path, let expected, let actual):
            return "artifact file is corrupt: \(path) has SHA-256 \(actual), but it was registered as \(expected)"
        case .databaseMissing(let path):
            return "no registry database at \(path) (a registry is created by the first training run)"
        case .invalid(let reason):
            return "invalid registry request: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// A file-system operation on the artifact store failed.
public struct ArtifactStoreError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// What was being done, e.g. `write`, `fsync`, `rename`.
    public var operation: String
    public var path: String
    /// The operating system's explanation (`strerror`).
    public var reason: String

    public init(operation: String, path: String, reason: String) {
        self.operation = operation
        self.path = path
        self.reason = reason
    }

    public var description: String { "artifact store: cannot \(operation) \(path): \(reason)" }
    public var errorDescription: String? { description }
}
