import Dataset
import Foundation
import ModelZoo
import Registry

/// Everything one HTML run report shows, gathered from the registry (and the run's test shards)
/// before any markup is written, so that loading and rendering can be read and changed apart.
public struct RunReport: Sendable {
    var run: RunRecord
    var registryPath: String
    var generatedAt: Date
    public internal(set) var models: [ModelReport]
    var quality: QualitySection
    var drift: DriftSection
}

/// One registered version of the run and what the report says about it.
public struct ModelReport: Sendable {
    public internal(set) var version: ModelVersion
    var importance: [ImportanceRecord]
    var shap: SHAPSummary?
    var fairness: FairnessSection
    var evaluation: EvaluationSection
    var training: TrainingFacts?
    /// Problems met while reading this version's documents, shown beside it.
    public internal(set) var notes: [String]

    /// Why the evaluation curves could not be drawn, when they could not.
    public var unavailableReason: String? {
        if case .unavailable(let reason) = evaluation { return reason }
        return nil
    }

    var anchor: String { "model-" + HTML.slug(version.reference) }
}

/// Where a classifier's curves came from.
enum CurveSource: String, Sendable {
    case stored = "the version's stored curves report"
    case recomputed = "the test shards, scored again with the registered artifact"
}

/// The test-set view of a version: curves for a classifier, a predicted/observed scatter for a
/// regressor, or why neither could be made.
enum EvaluationSection: Sendable {
    case classifier(ClassifierCurves, source: CurveSource)
    case regression(RegressionFit)
    case unavailable(String)
}

/// A version's fairness: the full report, only the registry's stored numbers, or nothing.
enum FairnessSection: Sendable {
    case report(FairnessReport)
    case measures(FairnessRecord)
    case none
}

/// The run's data-quality report as stored, decoded where its shape is known.
enum QualitySection: Sendable {
    case report(DataQualityReport, stored: RunQuality)
    case undecoded(RunQuality)
    case none
}

/// Drift reports found with the run's versions, and how many reference profiles it recorded.
struct DriftSection: Sendable {
    /// The drift reports, each with the version whose reports held it.
    var reports: [(source: String, report: DriftReport)]
    var profiledFeatures: Int
}
