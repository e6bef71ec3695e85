import Dataset
import Foundation
import ModelZoo
import Registry
import Training

/// One registry version, loaded, verified and ready to score: the artifact (checked against its
/// registered SHA-256, decoded, and made to score a row of missing values), the raw features a
/// request must carry, and for an ensemble its base models from the same run.
///
/// Immutable once loaded, so a request holds the version it started with even while the server
/// swaps in another.
public final class LoadedModel: Sendable {
    /// A base model of an ensemble and the column of the meta-learner it feeds.
    public struct Base: Sendable {
        public let input: String
        public let model: LoadedModel
        /// A recommender's per-customer affinity, computed once at load.
        public let affinity: RecommenderAffinity?
    }

    public let version: ModelVersion
    public let trained: TrainedModel
    /// The raw request features: the model's schema, or for an ensemble the union of its bases' (first seen first).
    public let inputs: [FeatureSchema.Feature]
    public let bases: [Base]
    /// Exact TreeSHAP of the model's tree ensemble (a quantile model's median); nil for the other kinds.
    public let explainer: TreeSHAP?

    public var name: String { version.model }
    /// `churn@3`
    public var label: String { "\(version.model)@\(version.version)" }

    init(version: ModelVersion, trained: TrainedModel, bases: [Base]) {
        self.version = version
        self.trained = trained
        self.bases = bases
        if case .stacking = trained.predictor {
            var seen = Set<String>()
            inputs = bases.flatMap(\.model.stackingInputs).filter { seen.insert($0.name).inserted }
        } else if case .recommender = trained.predictor {
            inputs = []
        } else {
            inputs = trained.header.schema.features
        }
        explainer = GBDTJobRunner.explainedModel(of: trained).map(TreeSHAP.init)
    }

    /// The raw features this model reads as an ensemble's base: its inputs, or a recommender's user column.
    var stackingInputs: [FeatureSchema.Feature] {
        guard case .recommender = trained.predictor else { return inputs }
        return [FeatureSchema.Feature(name: (trained.header.recommender ?? RecommenderColumns()).userColumn, categorical: true)]
    }

    /// Loads `version` from `registry`: verified bytes, decoded artifact, for an ensemble every
    /// base model of the same run, then one scored row of missing values as the last check.
    public static func load(_ version: ModelVersion, from registry: ModelRegistry) throws -> LoadedModel {
        let trained: TrainedModel
        do {
            trained = try TrainedModel.decode(try registry.artifact(model: version.model, version: version.version))
        } catch {
            throw ServingError.unavailable("\(version.model)@\(version.version): the artifact does not load: \(error)")
        }
        guard trained.header.kind == version.kind else {
            throw ServingError.unavailable("\(version.model)@\(version.version): the artifact is a \(trained.header.kind) model, the registry says \(version.kind)")
        }
        var bases: [Base] = []
        if case .stacking(let stacking) = trained.predictor {
            bases = try stacking.inputNames.map { input in
                let candidates = try registry.versions(model: input).filter { $0.runID == version.runID }
                guard let base = candidates.last else {
                    throw ServingError.unavailable("\(version.model)@\(version.version): no version of its input '\(input)' from its run \(version.runID)")
                }
                let model = try LoadedModel.load(base, from: registry)
                var affinity: RecommenderAffinity?
                if case .recommender(let recommender) = model.trained.predictor { affinity = RecommenderAffinity(recommender, threads: 1) }
                return Base(input: input, model: model, affinity: affinity)
            }
        }
        let loaded = LoadedModel(version: version, trained: trained, bases: bases)
        try loaded.selfCheck()
        return loaded
    }

    /// Scores one row with every feature missing, which every kind but the recommender must answer.
    private func selfCheck() throws {
        if case .recommender = trained.predictor { return }
        do {
            let row = try FeatureRows(rowCount: 1, columns: Dictionary(uniqueKeysWithValues: inputs.map { ($0.name, [FeatureValue.missing]) }))
            let scored = try score(row)
            guard scored.columns.count == scored.names.count, scored.columns.allSatisfy({ $0.count == 1 }) else {
                throw ServingError.unavailable("a check row gave \(scored.columns.map(\.count)) outputs")
            }
        } catch {
            throw ServingError.unavailable("\(label): the check row did not score: \(error)")
        }
    }
}
