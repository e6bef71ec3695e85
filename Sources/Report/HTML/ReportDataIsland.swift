import Foundation
import ModelZoo
import Registry

/// The report's numbers as JSON inside the page (`<script type="application/json"
/// id="engage-report-data">`), for tools and tests that read the report without scraping it.
/// It holds the curve summaries, not the curve points.
struct ReportDataIsland: Encodable {
    struct Model: Encodable {
        var model: String
        var version: Int
        var metrics: [MetricValue]
        var evaluation: Evaluation
        var importanceFeatures: Int
        var shapFeatures: Int?
        var fairnessVerdict: String?
        var notes: [String]
    }

    struct Evaluation: Encodable {
        /// `classifier`, `regression` or `unavailable`.
        var kind: String
        var source: String?
        var rows: Int?
        var positives: Int?
        var auc: Double?
        var averagePrecision: Double?
        var rocPoints: Int?
        var precisionRecallPoints: Int?
        var calibration: [CalibrationPoint]?
        var r2: Double?
        var mae: Double?
        var reason: String?
    }

    struct Quality: Encodable {
        var recorded: Bool
        var errors: Int?
        var warnings: Int?
    }

    struct Drift: Encodable {
        var reports: Int
        var drifted: [String]
        var profiledFeatures: Int
    }

    static let elementID = "engage-report-data"

    var run: String
    var status: RunStatus
    var generatedAt: Date
    var engageVersion: String
    var models: [Model]
    var quality: Quality
    var drift: Drift

    init(_ report: RunReport) {
        run = report.run.id
        status = report.run.status
        generatedAt = report.generatedAt
        engageVersion = EngageVersion.current
        models = report.models.map { model in
            Model(model: model.version.model, version: model.version.version, metrics: model.version.metrics,
                  evaluation: Self.evaluation(model.evaluation), importanceFeatures: model.importance.count,
                  shapFeatures: model.shap?.features.count, fairnessVerdict: FairnessBlock.verdict(of: model.fairness), notes: model.notes)
        }
        switch report.quality {
        case .none: quality = Quality(recorded: false)
        case .undecoded(let stored): quality = Quality(recorded: true, errors: stored.errors, warnings: stored.warnings)
        case .report(let q, _): quality = Quality(recorded: true, errors: q.errors.count, warnings: q.warnings.count)
        }
        drift = Drift(reports: report.drift.reports.count, drifted: report.drift.reports.flatMap(\.report.driftedFeatures),
                      profiledFeatures: report.drift.profiledFeatures)
    }

    private static func evaluation(_ section: EvaluationSection) -> Evaluation {
        switch section {
        case .classifier(let c, let source):
            return Evaluation(kind: "classifier", source: source == .stored ? "stored" : "recomputed", rows: c.rows, positives: c.positives,
                              auc: c.auc, averagePrecision: c.averagePrecision, rocPoints: c.roc.count,
                              precisionRecallPoints: c.precisionRecall.count, calibration: c.calibration)
        case .regression(let fit):
            return Evaluation(kind: "regression", rows: fit.rows, r2: fit.r2, mae: fit.mae)
        case .unavailable(let reason):
            return Evaluation(kind: "unavailable", reason: reason)
        }
    }

    /// The `<script>` element. Every `<` is written as `\u003c` (it occurs only inside JSON
    /// strings), so no registry text can end the element early.
    func element() throws -> String {
        let encoder = ModelVersion.jsonEncoder()
        let json = String(decoding: try encoder.encode(self), as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
        return "<script type=\"application/json\" id=\"\(Self.elementID)\">\(json)</script>"
    }
}
