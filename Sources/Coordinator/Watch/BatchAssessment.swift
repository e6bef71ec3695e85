import Dataset
import Foundation
import ModelZoo
import Registry

/// What one batch says about one watched model: its drift against the reference version's
/// stored profile and, when the batch carries the target, the drop of the primary metric.
public struct ModelAssessment: Codable, Sendable, Equatable {
    public var model: String
    /// The version judged against: production, or the latest version while none is in production.
    public var reference: String
    public var drifted: Bool
    public var driftedFeatures: Int
    public var features: Int
    public var metric: String?
    /// The reference version's registered test metric.
    public var registered: Double?
    /// The same metric of the reference version on the batch.
    public var observed: Double?
    public var performanceDropped: Bool

    enum CodingKeys: String, CodingKey {
        case model, reference, drifted, features, metric, registered, observed
        case driftedFeatures = "drifted_features", performanceDropped = "performance_dropped"
    }
}

/// Judges a batch against every watched model: the models of the cluster file that have a
/// registered version with a stored profile.
struct BatchAssessor {
    let registry: ModelRegistry
    let config: ClusterConfig
    let watch: WatchConfig

    /// The version each watched model is judged against.
    func references() throws -> [ModelVersion] {
        try config.models.compactMap { model in
            let versions = try registry.versions(model: model.name).filter { $0.stage != .archived }
            guard let reference = versions.first(where: { $0.stage == .production }) ?? versions.max(by: { $0.version < $1.version }),
                  try registry.reports(model: reference.model, version: reference.version)[ModelProfile.registryName] != nil else { return nil }
            return reference
        }
    }

    func assess(_ batch: Table, source: String) throws -> [ModelAssessment] {
        try references().map { version in
            let drift = try VersionDrift(registry: registry, version: version, current: batch, thresholds: config.drift, source: source)
            var assessment = ModelAssessment(model: version.model, reference: version.reference, drifted: drift.report.drifted,
                                             driftedFeatures: drift.report.driftedFeatures.count, features: drift.report.features.count,
                                             performanceDropped: false)
            if let limit = watch.performanceDrop, let metric = PrimaryMetric.of(version), let registered = version.metric(metric.name, split: metric.split) {
                let model = try TrainedModel.decode(try registry.artifact(model: version.model, version: version.version))
                if let observed = try PrimaryMetricScore.measure(model, on: batch, metric: metric) {
                    assessment.metric = metric.name
                    assessment.registered = registered
                    assessment.observed = observed
                    assessment.performanceDropped = PrimaryMetricScore.drop(from: registered, to: observed, direction: metric.direction) > limit
                }
            }
            return assessment
        }
    }
}
