import Foundation
import Logging
import Registry

/// Every model a server answers for: the served references (`--model churn@production`), and
/// versions a request names itself (`churn@3`, `churn/versions/3`, `churn@staging`), loaded on
/// first use and kept in a small cache.
///
/// Exists so that the HTTP layer asks one question, "which loaded version answers this
/// address", and the registry watch (`watch`) has one place to swap versions in.
public final class ModelCatalog: @unchecked Sendable {
    public let registry: ModelRegistry
    public let served: [ServedModel]
    private let byName: [String: ServedModel]
    private let lock = NSLock()
    private var pinned: [String: LoadedModel] = [:]
    private var pinnedOrder: [String] = []
    /// Versions named by requests kept loaded at most (least recently loaded goes first).
    public static let pinnedCapacity = 8

    /// Loads every reference; a reference that does not resolve or load is an error naming it.
    public init(registry: ModelRegistry, references: [VersionReference]) throws {
        guard !references.isEmpty else { throw ServingError.badRequest("serve at least one model (--model NAME@REF)") }
        guard Set(references.map(\.model)).count == references.count else {
            throw ServingError.badRequest("each model may be served under one reference: \(references.map(\.description).joined(separator: ", "))")
        }
        self.registry = registry
        served = try references.map { try ServedModel(reference: $0, registry: registry) }
        byName = Dictionary(uniqueKeysWithValues: served.map { ($0.name, $0) })
    }

    /// The served model of that name, if any.
    public func model(named name: String) -> ServedModel? { byName[name] }

    /// The loaded version that answers `address`: the served one for a bare name or the served
    /// reference, else the version the registry resolves the address to now (only for models
    /// this server serves).
    public func resolve(_ address: ModelAddress) throws -> LoadedModel {
        guard let model = byName[address.model] else {
            throw ServingError.notFound("model '\(address.model)' is not served here; served: \(served.map(\.name).joined(separator: ", "))")
        }
        // The served reference itself (`churn@production` when serving churn@production) answers
        // with the served version, so it swaps with the watch and never loads on the request path.
        guard address.selector != nil, address.reference(served: model.reference) != model.reference else { return model.current }
        let version: ModelVersion
        do {
            version = try registry.version(address.reference(served: model.reference))
        } catch {
            throw ServingError.notFound("\(address): \(error)")
        }
        let current = model.current
        if current.version.version == version.version { return current }
        let key = "\(version.model)@\(version.version)"
        lock.lock()
        if let hit = pinned[key] {
            lock.unlock()
            return hit
        }
        lock.unlock()
        let loaded = try LoadedModel.load(version, from: registry)
        lock.lock()
        defer { lock.unlock() }
        if pinned[key] == nil {
            pinned[key] = loaded
            pinnedOrder.append(key)
            if pinnedOrder.count > Self.pinnedCapacity { pinned[pinnedOrder.removeFirst()] = nil }
        }
        return pinned[key]!
    }

    /// One look at the registry for every served model; failures are logged, never thrown, so
    /// the versions answering now keep answering.
    @discardableResult
    public func refresh(logger: Logger) -> [String: SwapOutcome] {
        var outcomes: [String: SwapOutcome] = [:]
        for model in served {
            do {
                let outcome = try model.refresh(from: registry)
                outcomes[model.name] = outcome
                switch outcome {
                case .unchanged: break
                case .swapped(let from, let to):
                    logger.notice("\(model.reference) moved: now serving \(model.name)@\(to) (was @\(from))")
                case .refused(let version, let reason):
                    logger.error("\(model.reference) moved to \(model.name)@\(version), which did not load; still serving @\(model.current.version.version): \(reason)")
                }
            } catch {
                logger.error("\(model.reference): the registry could not be read (\(error)); still serving @\(model.current.version.version)")
            }
        }
        return outcomes
    }
}
