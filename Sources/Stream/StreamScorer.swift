import Dataset
import Foundation
import ModelZoo
import Registry

/// Scores events with the version a registry reference names (`churn@production`, `churn@3`,
/// `churn@champion`), and follows the reference when it moves: ``refresh()`` is asked before
/// each micro-batch, so a promotion or rollback takes effect at the next batch.
///
/// The score is the model's central output as `engage predict` writes it: the probability of a
/// binary model, the value of a regression, the median of a quantile model, the combined
/// anomaly score. The recommender (needs an item per row) and the ensemble (needs its base
/// models' outputs) are refused.
public final class StreamScorer: @unchecked Sendable {
    public let reference: String
    private let registry: ModelRegistry
    public private(set) var model: String
    public private(set) var version: Int
    private var trained: TrainedModel

    public init(reference: String, registryPath: String) throws {
        guard reference.contains("@") else {
            throw StreamError("--model \(reference): expected a registry reference like churn@production or churn@3")
        }
        self.reference = reference
        registry = try ModelRegistry.openReadOnly(path: registryPath)
        let (version, trained) = try Self.load(reference, registry: registry)
        self.model = version.model
        self.version = version.version
        self.trained = trained
    }

    /// The categorical features the model reads: how a delivery's CSV must be parsed.
    public var categorical: Set<String> { Set(trained.header.schema.features.filter(\.categorical).map(\.name)) }

    /// Loads the version the reference names now when it differs from the one in use; true when it changed.
    @discardableResult
    public func refresh() throws -> Bool {
        let current = try registry.version(reference: reference)
        guard current.model != model || current.version != version else { return false }
        let (version, trained) = try Self.load(reference, registry: registry)
        self.model = version.model
        self.version = version.version
        self.trained = trained
        return true
    }

    /// Refuses a delivery that lacks a feature the model reads before any of it is buffered, so a
    /// bad delivery is refused whole and never stops the stream. (As in `engage predict`, a cell
    /// that is not a number, or a category the model never saw, is a missing value.)
    public func check(_ events: EventBatch) throws {
        let missing = trained.header.schema.features.map(\.name).filter { events.table.index(of: $0) == nil }
        guard missing.isEmpty else {
            throw StreamError("\(events.source): no column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) (features of \(model)@\(version))")
        }
    }

    /// One score per event, in order.
    public func score(_ events: EventBatch) throws -> [ScoredEvent] {
        let outputs: [[Double]]
        do {
            outputs = try trained.predict(events.table)
        } catch {
            throw StreamError("\(events.source): \((error as? LocalizedError)?.errorDescription ?? "\(error)")")
        }
        let scores = outputs[trained.centralOutput]
        return try (0..<events.count).map { row in
            guard scores[row].isFinite else {
                throw StreamError("\(events.source): event \(events.eventIDs[row]) scored \(scores[row]); its features cannot be scored")
            }
            return ScoredEvent(eventID: events.eventIDs[row], customer: events.customers[row], model: model, version: version,
                               score: scores[row], delivery: events.source)
        }
    }

    private static func load(_ reference: String, registry: ModelRegistry) throws -> (ModelVersion, TrainedModel) {
        let version = try registry.version(reference: reference)
        let trained = try TrainedModel.decode(try registry.artifact(model: version.model, version: version.version))
        switch trained.predictor {
        case .recommender:
            throw StreamError("\(version.reference) is a recommender: it scores (user, item) pairs, not customer events; use engage predict")
        case .stacking:
            throw StreamError("\(version.reference) is a stacking ensemble: it reads its base models' outputs, not raw features; stream its reference model")
        case .gbdt, .quantiles, .anomaly:
            return (version, trained)
        }
    }
}
