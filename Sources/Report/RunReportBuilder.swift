import Dataset
import Foundation
import ModelZoo
import Registry

/// Gathers a ``RunReport`` from the registry: the run's versions with their metrics, importance,
/// SHAP summary, fairness and test-set evaluation, the run's data quality and its drift.
///
/// A document that is missing or unreadable costs only its own section, with a note saying why;
/// only a registry that cannot be read stops the report.
public struct RunReportBuilder {
    let registry: ModelRegistry
    let scorer: TestSetScorer

    public init(registry: ModelRegistry, shardDirectory: String) {
        self.registry = registry
        scorer = TestSetScorer(registry: registry, shardDirectory: shardDirectory)
    }

    public func build(run: RunRecord) throws -> RunReport {
        let versions = try registry.versions().filter { $0.runID == run.id }
        var models: [ModelReport] = []
        var drift = DriftSection(reports: [], profiledFeatures: try registry.profiles(runID: run.id).count)
        for version in versions {
            let reports = try registry.reports(model: version.model, version: version.version)
            var notes: [String] = []
            let training = decode(TrainingFacts.self, reports[TrainingFacts.registryName], TrainingFacts.registryName, version, &notes)
            let shap = decode(SHAPSummary.self, reports[SHAPSummary.registryName], SHAPSummary.registryName, version, &notes)
            if let text = reports[DriftReport.registryName],
               let report = decode(DriftReport.self, text, DriftReport.registryName, version, &notes) {
                drift.reports.append((version.reference, report))
            }
            models.append(ModelReport(
                version: version,
                importance: try registry.importance(model: version.model, version: version.version),
                shap: shap,
                fairness: try fairness(version, reports, &notes),
                evaluation: evaluation(version, reports, training),
                training: training,
                notes: notes))
        }
        return RunReport(run: run, registryPath: registry.path, generatedAt: Date(), models: models,
                         quality: try quality(run), drift: drift)
    }

    private func evaluation(_ version: ModelVersion, _ reports: [String: String], _ training: TrainingFacts?) -> EvaluationSection {
        if let stored = reports[StoredCurves.registryName] {
            do {
                return .classifier(try StoredCurves.decode(json: stored, model: version.reference), source: .stored)
            } catch {
                return .unavailable(ReportError.sentence(error))
            }
        }
        guard let training else {
            return .unavailable("\(version.reference) has no training report, so its test shards are unknown")
        }
        guard version.kind == .gbdt || version.kind == .anomaly else {
            return .unavailable("\(version.reference) (\(version.kind)) reads other models' outputs, not its test shards; its curves are not recomputed")
        }
        do {
            let scored = try scorer.score(version, evalShards: Self.testShards(of: version, training))
            guard !scored.labels.isEmpty else { return .unavailable("\(version.reference): its test shards hold no scorable rows") }
            switch scored.objective {
            case .binary:
                return .classifier(ClassifierCurves(labels: scored.labels, scores: scored.predictions), source: .recomputed)
            case .anomaly:
                guard scored.labels.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                    return .unavailable("\(version.reference): its evaluation label '\(scored.target)' is not 0/1, so the anomaly scores have no ROC curve")
                }
                return .classifier(ClassifierCurves(labels: scored.labels, scores: scored.predictions, calibrationBins: nil), source: .recomputed)
            case .regression, .quantile:
                return .regression(RegressionFit(labels: scored.labels, predictions: scored.predictions))
            case .ranking:
                return .unavailable("\(version.reference) ranks items; its hit rate and NDCG are in the metrics table")
            }
        } catch {
            return .unavailable(ReportError.sentence(error))
        }
    }

    /// The training report's `evalShards`; for reports written before it had them, the version's
    /// shards less its `trainShards`.
    static func testShards(of version: ModelVersion, _ training: TrainingFacts) -> [String] {
        if let listed = training.evalShards { return listed }
        guard let train = training.trainShards.map(Set.init) else { return [] }
        return version.shardIDs.filter { !train.contains($0) }
    }

    private func fairness(_ version: ModelVersion, _ reports: [String: String], _ notes: inout [String]) throws -> FairnessSection {
        if let text = reports[FairnessReport.registryName],
           let report = decode(FairnessReport.self, text, FairnessReport.registryName, version, &notes) {
            return .report(report)
        }
        guard let record = try registry.fairness(model: version.model, version: version.version) else { return .none }
        if let report = try? FairnessReport.decode(json: record.body) { return .report(report) }
        return .measures(record)
    }

    private func quality(_ run: RunRecord) throws -> QualitySection {
        guard let stored = try registry.quality(runID: run.id) else { return .none }
        guard let report = try? EngageJSONDecoder().decode(DataQualityReport.self, from: Data(stored.body.utf8)) else { return .undecoded(stored) }
        return .report(report, stored: stored)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ text: String?, _ name: String, _ version: ModelVersion, _ notes: inout [String]) -> T? {
        guard let text else { return nil }
        do {
            return try EngageJSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            notes.append(ReportError.unreadableReport(name: name, model: version.reference, reason: Self.reason(error)).description)
            return nil
        }
    }

    /// A decoding error in a sentence, naming the JSON path that failed.
    static func reason(_ error: Error) -> String {
        guard let decoding = error as? DecodingError else { return ReportError.sentence(error) }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch decoding {
        case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)' at \(path(context).isEmpty ? "the top" : path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(context.debugDescription) at \(path(context).isEmpty ? "the top" : path(context))"
        @unknown default: return String(describing: decoding)
        }
    }
}
