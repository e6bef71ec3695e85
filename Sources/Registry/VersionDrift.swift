import Dataset
import Foundation
import ModelZoo

/// New rows against the stored profile of one registered version: the per-feature drift report
/// and the drift of the version's own predictions on those rows.
///
/// Exists so that `engage drift --against` and `engage watch` judge a batch by one rule.
public struct VersionDrift: Sendable {
    public var version: ModelVersion
    public var report: DriftReport
    /// The version's central output on the new rows against its output on the training rows.
    public var prediction: FeatureDrift?

    /// `predictions: false` skips scoring the new rows (the feature report alone).
    public init(registry: ModelRegistry, version: ModelVersion, current: Table, thresholds: DriftThresholds,
                source: String = "the new data", predictions: Bool = true) throws {
        guard let json = try registry.reports(model: version.model, version: version.version)[ModelProfile.registryName] else {
            throw RegistryError.invalid("\(version.reference) has no stored profile (registered before profiles were kept); retrain it or use --reference")
        }
        let profile = try ModelProfile.decode(json: json)
        let detector = try DriftDetector(thresholds: thresholds)
        self.version = version
        report = try detector.compare(profiles: profile.features.map { ($0.name, $0.profile) }, current: current, source: source)
        if predictions, let stored = profile.prediction {
            let model = try TrainedModel.decode(try registry.artifact(model: version.model, version: version.version))
            let outputs = try model.predict(current)
            prediction = detector.compare(profile.predictionName ?? "prediction", profile: stored, current: outputs[model.centralOutput])
        }
    }
}
