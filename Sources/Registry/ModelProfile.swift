import Dataset
import Foundation
import ModelZoo

/// The reference profile of one registered version: each feature the model reads, profiled on
/// its training rows, and the model's own central output on those rows.
///
/// Stored as the version's `profile` document so that drift against a version needs neither the
/// training data nor the run that made it: `engage drift --against MODEL@REF` and `engage watch`
/// compare new rows with it, and the new rows' predictions with `prediction`.
public struct ModelProfile: Codable, Sendable, Equatable {
    /// The registry document name.
    public static let registryName = "profile"

    public struct Feature: Codable, Sendable, Equatable {
        public var name: String
        public var profile: FeatureProfile
    }

    /// Training rows profiled.
    public var rows: Int
    /// In the model's feature order.
    public var features: [Feature]
    /// The model's central output on its training rows; nil when the rows do not carry every feature (a stacking model's inputs).
    public var prediction: FeatureProfile.Numeric?
    public var predictionName: String?

    /// Profiles `rows` (the training rows) for `model`; features the table lacks are left out.
    /// With `known`, the profiles of these very rows that an earlier version computed are taken
    /// from it, and the new ones added (the models of a run share their training rows and most
    /// features, and sorting every column again cost each registration a third of a second).
    /// `scored`: the model's central output on these rows, profiled with `bins` bins already (by
    /// the worker that trained it, from the fit's own predictions); used when it covers every row.
    public init(model: TrainedModel, rows table: Table, bins: Int = DriftThresholds().bins, known: FeatureProfiles? = nil,
                scored: FeatureProfile.Numeric? = nil) throws {
        rows = table.rowCount
        let shared = known.flatMap { $0.bins == bins && $0.rows == table.rowCount ? $0 : nil }
        features = try model.header.schema.names.filter { table.index(of: $0) != nil }.map { name in
            if let profile = shared?.profiles[name] { return Feature(name: name, profile: profile) }
            let profile = FeatureProfile(try table.column(name), bins: bins)
            shared?.profiles[name] = profile
            return Feature(name: name, profile: profile)
        }
        if features.count == model.header.schema.features.count, model.header.kind != .ncf {
            if let scored, scored.rows == table.rowCount, scored.counts.count <= bins {
                prediction = scored
            } else {
                prediction = FeatureProfile.Numeric(try model.predict(table)[model.centralOutput], bins: bins)
            }
            predictionName = model.outputNames[model.centralOutput]
        }
    }

    /// The document: the JSON encoder's own text (sorted keys). With `shared`, each feature whose
    /// profile is the shared one is encoded once for all the versions that read it (a profile
    /// holds thousands of sample values, and encoding them was most of a registration).
    public func json(reusing shared: FeatureProfiles? = nil) throws -> String {
        let encoder = JSONEncoder.sortedKeys
        guard let shared else { return String(decoding: try encoder.encode(self), as: UTF8.self) }
        var members: [String] = []
        for feature in features {
            let isShared = shared.profiles[feature.name] == feature.profile
            if isShared, let text = shared.encoded[feature.name] {
                members.append(text)
                continue
            }
            let text = String(decoding: try encoder.encode(feature), as: UTF8.self)
            if isShared { shared.encoded[feature.name] = text }
            members.append(text)
        }
        // The keys in the order the sorted-keys encoder writes them; nil optionals are left out, as it does.
        var parts = ["\"features\":[" + members.joined(separator: ",") + "]"]
        if let prediction { parts.append("\"prediction\":" + String(decoding: try encoder.encode(prediction), as: UTF8.self)) }
        if let predictionName { parts.append("\"predictionName\":" + String(decoding: try encoder.encode(predictionName), as: UTF8.self)) }
        parts.append("\"rows\":\(rows)")
        return "{" + parts.joined(separator: ",") + "}"
    }

    public static func decode(json: String) throws -> ModelProfile {
        try JSONDecoder().decode(ModelProfile.self, from: Data(json.utf8))
    }
}

/// The feature profiles of one table of training rows, shared by the versions trained on it
/// (``ModelProfile/init(model:rows:bins:known:)``). Whoever makes it vouches that every table it
/// is passed with holds the same rows.
public final class FeatureProfiles {
    public let rows: Int
    public let bins: Int
    var profiles: [String: FeatureProfile] = [:]
    /// A feature's JSON (``ModelProfile/Feature``) for its entry in `profiles`.
    var encoded: [String: String] = [:]

    public init(rows: Int, bins: Int = DriftThresholds().bins) {
        self.rows = rows
        self.bins = bins
    }
}
