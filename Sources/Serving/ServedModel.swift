import Foundation
import Registry

/// What one look at the registry did to a served model.
public enum SwapOutcome: Sendable, Equatable {
    case unchanged
    /// The reference moved and the new version now answers.
    case swapped(from: Int, to: Int)
    /// The reference moved but the new version did not load; the old one keeps answering.
    case refused(version: Int, reason: String)
}

/// A model the server serves under a registry reference (`churn@production`): the version
/// loaded now, and the swap to the version the reference names next.
///
/// Exists so that hot swap is one atomic pointer change: the new version is loaded and checked
/// off to the side (`LoadedModel.load`), then replaces the old one under a lock; a request
/// already scoring keeps the `LoadedModel` it took.
public final class ServedModel: @unchecked Sendable {
    public let reference: VersionReference
    private let lock = NSLock()
    private var loaded: LoadedModel
    /// The version that last failed to load, so a broken artifact is tried (and logged) once, not every poll.
    private var refusedVersion: Int?

    public init(reference: VersionReference, registry: ModelRegistry) throws {
        self.reference = reference
        let version: ModelVersion
        do {
            version = try registry.version(reference)
        } catch {
            throw ServingError.notFound("--model \(reference): \(error)")
        }
        loaded = try LoadedModel.load(version, from: registry)
    }

    public var name: String { reference.model }

    /// The version answering now.
    public var current: LoadedModel {
        lock.lock()
        defer { lock.unlock() }
        return loaded
    }

    /// Resolves the reference again; when it names another version, loads that one off to the
    /// side and swaps it in. A version that fails to load is refused once and not retried until
    /// the reference moves again.
    public func refresh(from registry: ModelRegistry) throws -> SwapOutcome {
        let target = try registry.version(reference)
        let (old, refused) = { lock.lock(); defer { lock.unlock() }; return (loaded.version.version, refusedVersion) }()
        guard target.version != old, target.version != refused else { return .unchanged }
        let next: LoadedModel
        do {
            next = try LoadedModel.load(target, from: registry)
        } catch {
            lock.lock()
            refusedVersion = target.version
            lock.unlock()
            return .refused(version: target.version, reason: String(describing: error))
        }
        lock.lock()
        loaded = next
        refusedVersion = nil
        lock.unlock()
        return .swapped(from: old, to: target.version)
    }
}
