import Dataset
import Foundation
import ModelZoo
import Registry
import Report
import TestSupport
import XCTest

/// The run report built in-process from a registry that holds every kind of document the page
/// draws (fairness, data quality, drift, stored curves, a SHAP summary), with no binary started.
final class ReportPageTests: XCTestCase {
    /// Selects `run` as `engage report RUN` does and renders its page.
    private func render(_ run: String, registry: ModelRegistry, shards: String) throws -> String {
        let selected = try RunSelector(runs: try registry.runs(), registryPath: registry.path).select(run)
        let report = try RunReportBuilder(registry: registry, shardDirectory: shards).build(run: selected)
        return try ReportPage(report: report).render()
    }

    func testFairnessQualityDriftStoredCurvesAndSHAPComeFromTheRegistrysDocuments() throws {
        let directory = try TemporaryDirectory("report-docs")
        let databasePath = directory.file("registry/engage.sqlite")
        let registry = try ModelRegistry(path: databasePath)
        try registry.beginRun(id: "run-docs", configSHA256: String(repeating: "c", count: 64),
                              datasetSHA256: String(repeating: "d", count: 64), startedAt: Date())

        let predictions = Fixture.predictions(rows: 900, seed: 5)
        let fairness = try ClassifierFairness().report(labels: predictions.labels, scores: predictions.scores,
                                                       sensitive: [SensitiveAttribute(name: "gender", values: predictions.groups)])
        let drift = try Fixture.drift()
        let shap = #"{"expectedValue": -1.5, "rows": 3, "features": [{"feature": "days_since_login", "meanAbsSHAP": 0.4, "meanSHAP": 0.2, "points": [[1, 0.5], [5, -0.3], [9, 0.4]]}]}"#
        // AUC of this ROC: 0.2·0.3 + 0.3·0.75 + 0.5·0.95 = 0.76; average precision 0.4·0.5 + 0.6·0.75 = 0.65.
        let curves = #"{"roc": [[0, 0], [0.2, 0.6], [0.5, 0.9], [1, 1]], "pr": [[1, 0.5], [0.6, 0.75], [0, 1]], "calibration": [[0.1, 0.12, 40], [0.5, 0.45, 30], [0.9, 0.85, 30]]}"#
        try registry.register(NewVersion(
            model: "churn", runID: "run-docs", kind: .gbdt, artifact: Data("not read: the curves are stored".utf8),
            metrics: [MetricValue(split: "test", name: "auc", value: 0.76)],
            importance: [ImportanceRecord(feature: "days_since_login", gain: 12, splits: 4, permutation: 0.05, meanAbsSHAP: 0.4),
                         ImportanceRecord(feature: "tenure", gain: 4, splits: 2, permutation: -0.01, meanAbsSHAP: 0.1)],
            reports: ["curves": curves, "fairness": try FairnessReport(classifier: fairness).json(), "shap_summary": shap,
                      "drift": String(decoding: try JSONEncoder().encode(drift), as: UTF8.self)],
            datasetSHA256: String(repeating: "d", count: 64), configSHA256: String(repeating: "c", count: 64),
            shardIDs: ["a1"], codeVersion: "test", worker: "w1", trainSeconds: 1, objective: .binary))
        try registry.register(NewVersion(
            model: "spend", runID: "run-docs", kind: .gbdt, artifact: Data("no training report".utf8),
            metrics: [MetricValue(split: "test", name: "r2", value: 0.5)],
            datasetSHA256: String(repeating: "d", count: 64), configSHA256: String(repeating: "c", count: 64),
            shardIDs: ["a1"], codeVersion: "test", worker: "w1", trainSeconds: 1, objective: .regression))
        let quality = try Fixture.quality()
        try registry.recordQuality(runID: "run-docs", errors: quality.errors.count, warnings: quality.warnings.count, body: try quality.json())

        let html = try render("run-docs", registry: registry, shards: directory.file("work/shards"))
        XCTAssertEqual(ReportPageReader.externalReferences(in: html), [])
        let island = try ReportIsland(html: html)

        let stored = try island.evaluation(of: "churn")
        XCTAssertEqual(stored["source"] as? String, "stored")
        XCTAssertEqual(try XCTUnwrap(stored["auc"] as? Double), 0.76, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(stored["averagePrecision"] as? Double), 0.65, accuracy: 1e-12)
        XCTAssertEqual(try island.evaluation(of: "spend")["kind"] as? String, "unavailable")
        XCTAssertTrue(html.contains("Curves unavailable: spend@1 has no training report"))

        let fairnessHTML = try ReportPageReader.slice(html, from: "<h4>Fairness</h4>", to: "</section>")
        let rates = fairness.attributes[0].groups.map(\.selectionRate)
        let below = rates.filter { $0 < 0.8 * rates.max()! }.count
        XCTAssertGreaterThan(below, 0, "the fixture must put a group under the four-fifths line")
        XCTAssertEqual(fairnessHTML.components(separatedBy: "class=\"bar flagged\"").count - 1, below)
        XCTAssertEqual(fairnessHTML.components(separatedBy: "class=\"bar\"").count - 1, rates.count - below)
        XCTAssertTrue(fairnessHTML.contains("80% of highest"))
        XCTAssertTrue(fairnessHTML.contains(ReportPageReader.format(try XCTUnwrap(fairness.attributes[0].disparateImpact), digits: 3)))
        XCTAssertTrue(fairnessHTML.contains("&lt;b&gt;nb&lt;/b&gt;&amp;"), "group names are escaped")
        XCTAssertFalse(html.contains("<b>nb</b>"), "no registry text reaches the page unescaped")
        XCTAssertEqual(try island.model("churn")["fairnessVerdict"] as? String, fairness.verdict.rawValue)

        XCTAssertEqual(try island.model("churn")["shapFeatures"] as? Int, 1)
        XCTAssertTrue(try ReportPageReader.slice(html, from: "<h4>SHAP summary</h4>", to: "<h4>Fairness</h4>").contains(">days_since_login<"))

        let qualityHTML = try ReportPageReader.slice(html, from: "<section id=\"data-quality\">", to: "</section>")
        XCTAssertFalse(quality.findings.isEmpty)
        for finding in quality.findings { XCTAssertTrue(qualityHTML.contains(">\(finding.rule)<"), finding.rule) }
        XCTAssertTrue(qualityHTML.contains("\(quality.warnings.count) warning"))
        XCTAssertTrue(qualityHTML.contains("Share of missing values by column") && qualityHTML.contains("class=\"bar flagged\""),
                      "the column missing a tenth of its values is charted above the warning line")

        let driftHTML = try ReportPageReader.slice(html, from: "<section id=\"drift\">", to: "</section>")
        XCTAssertEqual(drift.driftedFeatures, ["spend"])
        XCTAssertTrue(driftHTML.contains(">drifted<"))
        XCTAssertTrue(driftHTML.contains(">spend<") && driftHTML.contains(">plan<"))
        XCTAssertEqual(try island.drift()["drifted"] as? [String], ["spend"])
    }

    func testARunWithoutVersionsSaysSoInEverySection() throws {
        let directory = try TemporaryDirectory("report-empty")
        let registry = try ModelRegistry(path: directory.file("registry.sqlite"))
        XCTAssertThrowsError(try render("latest", registry: registry, shards: directory.file("shards"))) { error in
            XCTAssertTrue(String(describing: error).contains("records no runs yet"), String(describing: error))
        }
        try registry.beginRun(id: "run-a", configSHA256: "c", datasetSHA256: "d", startedAt: Date())
        let html = try render("latest", registry: registry, shards: directory.file("shards"))
        XCTAssertTrue(html.contains("This run registered no model versions"))
        XCTAssertTrue(html.contains("No data-quality report was recorded for this run."))
        XCTAssertTrue(html.contains("No drift data for this run."))
        XCTAssertEqual(try ReportIsland(html: html).run, "run-a")
    }
}

/// Deterministic inputs for the documents the report draws.
private enum Fixture {
    /// Scores of a classifier whose third group (named with markup, to test escaping) is selected less often.
    static func predictions(rows: Int, seed: UInt64) -> (labels: [Double], scores: [Double], groups: [String]) {
        var random = SeededRandom(seed: seed)
        let names = ["female", "male", "<b>nb</b>&"], shifts = [0.3, 0.0, -1.2]
        var labels: [Double] = [], scores: [Double] = [], groups: [String] = []
        for row in 0..<rows {
            let group = row % 3
            let score = 1 / (1 + exp(-(random.normal() + shifts[group])))
            scores.append(score)
            labels.append(random.bernoulli(score) ? 1 : 0)
            groups.append(names[group])
        }
        return (labels, scores, groups)
    }

    /// `spend` shifted by one standard deviation, `plan` unchanged.
    static func drift() throws -> DriftReport {
        var random = SeededRandom(seed: 9)
        func table(shift: Double) throws -> Table {
            let spend = (0..<400).map { _ in random.normal() + shift }
            let plan = (0..<400).map { Int32($0 % 3) }
            return try Table(names: ["spend", "plan"], columns: [.numeric(spend), .categorical(codes: plan, levels: ["free", "pro", "team"])])
        }
        return try DriftDetector().compare(reference: try table(shift: 0), current: try table(shift: 1), features: ["spend", "plan"])
    }

    /// A table with a duplicated id and a column missing a tenth of its values.
    static func quality() throws -> DataQualityReport {
        let ids = (0..<200).map { Double($0 == 199 ? 0 : $0) }
        let score = (0..<200).map { $0 % 10 == 0 ? Double.nan : Double($0 % 17) }
        let table = try Table(names: ["user_id", "score"], columns: [.numeric(ids), .numeric(score)])
        return try DataQualityChecker().report(table, context: QualityContext(idColumn: "user_id"))
    }
}
