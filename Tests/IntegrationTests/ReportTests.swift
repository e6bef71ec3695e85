import Dataset
import Foundation
import ModelZoo
import Registry
import XCTest

/// `engage report` as a person runs it: the real binary on the registry and shards of a real run,
/// and on a registry that holds every kind of document the report draws (fairness, data quality,
/// drift, stored curves, a SHAP summary).
final class ReportTests: XCTestCase {
    func testReportOfTheLatestRunShowsEveryModelAndRecomputesItsCurvesFromTheTestShards() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("report")
        _ = try smallClusterFile(in: directory, rows: 3000, trees: 20, models: """
          engagement: { kind: gbdt, objective: regression, target: engagement_score, trees: 20, leaves: 15 }
          churn:      { kind: gbdt, objective: binary, target: churn_30_day, trees: 20, leaves: 15, shap: true }
        """)
        let pipeline = try engage.run(["run", "--config", "cluster.yaml"], in: directory)
        XCTAssertEqual(pipeline.status, 0, pipeline.output)

        let result = try engage.run(["report", "latest", "--out", "r.html"], in: directory)
        XCTAssertEqual(result.status, 0, result.output)
        let html = try String(contentsOfFile: directory + "/r.html", encoding: .utf8)
        ReportPageChecks.assertSelfContained(html)
        XCTAssertTrue(html.contains("<svg"))

        let registry = try ModelRegistry.openReadOnly(path: directory + "/registry/engage.sqlite")
        let runID = try XCTUnwrap(try registry.runs().last?.id)
        XCTAssertTrue(result.output.contains("wrote r.html: run \(runID), 2 versions"), result.output)
        let island = try ReportIsland(html: html)
        XCTAssertEqual(island.run, runID)
        for version in try registry.versions() {
            XCTAssertTrue(html.contains("<a href=\"#model-\(version.model)-\(version.version)\">\(version.model)</a>"), version.reference)
            for metric in version.metrics {
                XCTAssertTrue(html.contains(">\(ReportPageChecks.format(metric.value))<"), "\(version.reference) \(metric.split)/\(metric.name) is not in the page")
            }
        }

        let churn = try registry.version(model: "churn")
        let testRows = try ReportPageChecks.evalRows(registry, churn)
        let curves = try island.evaluation(of: "churn")
        XCTAssertEqual(curves["kind"] as? String, "classifier")
        XCTAssertEqual(curves["source"] as? String, "recomputed")
        XCTAssertEqual(curves["rows"] as? Int, testRows)
        let auc = try XCTUnwrap(curves["auc"] as? Double)
        XCTAssertEqual(auc, try XCTUnwrap(churn.metric("auc")), accuracy: 1e-9, "the ROC curve must enclose the registered test AUC")
        let bins = try XCTUnwrap(curves["calibration"] as? [[String: Any]])
        XCTAssertEqual(bins.compactMap { $0["count"] as? Int }.reduce(0, +), testRows)
        let positives = try XCTUnwrap(curves["positives"] as? Int)
        let averagePrecision = try XCTUnwrap(curves["averagePrecision"] as? Double)
        XCTAssertGreaterThan(averagePrecision, Double(positives) / Double(testRows), "a useful model beats the prevalence")
        XCTAssertLessThanOrEqual(averagePrecision, 1)
        for heading in ["ROC curve", "Precision-recall curve", "Calibration", "SHAP summary of the top", "Mean |SHAP|"] {
            XCTAssertTrue(html.contains(heading), heading)
        }
        XCTAssertGreaterThan(try island.model("churn")["shapFeatures"] as? Int ?? 0, 0)

        let engagement = try registry.version(model: "engagement")
        let fit = try island.evaluation(of: "engagement")
        XCTAssertEqual(fit["kind"] as? String, "regression")
        XCTAssertEqual(try XCTUnwrap(fit["r2"] as? Double), try XCTUnwrap(engagement.metric("r2")), accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(fit["mae"] as? Double), try XCTUnwrap(engagement.metric("mae")), accuracy: 1e-9)
        XCTAssertTrue(html.contains("Predicted vs observed"))

        let byPrefix = try engage.run(["report", String(runID.dropLast(3)), "--out", "p.html"], in: directory)
        XCTAssertEqual(byPrefix.status, 0, byPrefix.output)
        XCTAssertEqual(try ReportIsland(html: String(contentsOfFile: directory + "/p.html", encoding: .utf8)).run, runID)

        let unknown = try engage.run(["report", "run-nope", "--out", "x.html"], in: directory)
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.output.contains("no run 'run-nope'") && unknown.output.contains(runID), unknown.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/x.html"))

        try FileManager.default.moveItem(atPath: directory + "/work/shards", toPath: directory + "/work/moved")
        let withoutShards = try engage.run(["report", "latest", "--out", "n.html"], in: directory)
        XCTAssertEqual(withoutShards.status, 0, withoutShards.output)
        XCTAssertTrue(withoutShards.output.contains("note: churn@1: curves unavailable: the shard directory"), withoutShards.output)
        let degraded = try String(contentsOfFile: directory + "/n.html", encoding: .utf8)
        XCTAssertTrue(degraded.contains("Curves unavailable: the shard directory"), "the page says why the curves are missing")
        XCTAssertEqual(try ReportIsland(html: degraded).evaluation(of: "churn")["kind"] as? String, "unavailable")
    }

    func testFairnessQualityDriftStoredCurvesAndSHAPComeFromTheRegistrysDocuments() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("report-docs")
        let databasePath = directory + "/registry/engage.sqlite"
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

        let result = try engage.run(["report", "run-docs", "--registry", databasePath, "--out", "docs.html"], in: directory)
        XCTAssertEqual(result.status, 0, result.output)
        let html = try String(contentsOfFile: directory + "/docs.html", encoding: .utf8)
        ReportPageChecks.assertSelfContained(html)
        let island = try ReportIsland(html: html)

        let stored = try island.evaluation(of: "churn")
        XCTAssertEqual(stored["source"] as? String, "stored")
        XCTAssertEqual(try XCTUnwrap(stored["auc"] as? Double), 0.76, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(stored["averagePrecision"] as? Double), 0.65, accuracy: 1e-12)
        XCTAssertEqual(try island.evaluation(of: "spend")["kind"] as? String, "unavailable")
        XCTAssertTrue(html.contains("Curves unavailable: spend@1 has no training report"))

        let fairnessHTML = try ReportPageChecks.slice(html, from: "<h4>Fairness</h4>", to: "</section>")
        let rates = fairness.attributes[0].groups.map(\.selectionRate)
        let below = rates.filter { $0 < 0.8 * rates.max()! }.count
        XCTAssertGreaterThan(below, 0, "the fixture must put a group under the four-fifths line")
        XCTAssertEqual(fairnessHTML.components(separatedBy: "class=\"bar flagged\"").count - 1, below)
        XCTAssertEqual(fairnessHTML.components(separatedBy: "class=\"bar\"").count - 1, rates.count - below)
        XCTAssertTrue(fairnessHTML.contains("80% of highest"))
        XCTAssertTrue(fairnessHTML.contains(ReportPageChecks.format(try XCTUnwrap(fairness.attributes[0].disparateImpact), digits: 3)))
        XCTAssertTrue(fairnessHTML.contains("&lt;b&gt;nb&lt;/b&gt;&amp;"), "group names are escaped")
        XCTAssertFalse(html.contains("<b>nb</b>"), "no registry text reaches the page unescaped")
        XCTAssertEqual(try island.model("churn")["fairnessVerdict"] as? String, fairness.verdict.rawValue)

        XCTAssertEqual(try island.model("churn")["shapFeatures"] as? Int, 1)
        XCTAssertTrue(try ReportPageChecks.slice(html, from: "<h4>SHAP summary</h4>", to: "<h4>Fairness</h4>").contains(">days_since_login<"))

        let qualityHTML = try ReportPageChecks.slice(html, from: "<section id=\"data-quality\">", to: "</section>")
        XCTAssertFalse(quality.findings.isEmpty)
        for finding in quality.findings { XCTAssertTrue(qualityHTML.contains(">\(finding.rule)<"), finding.rule) }
        XCTAssertTrue(qualityHTML.contains("\(quality.warnings.count) warning"))
        XCTAssertTrue(qualityHTML.contains("Share of missing values by column") && qualityHTML.contains("class=\"bar flagged\""),
                      "the column missing a tenth of its values is charted above the warning line")

        let driftHTML = try ReportPageChecks.slice(html, from: "<section id=\"drift\">", to: "</section>")
        XCTAssertEqual(drift.driftedFeatures, ["spend"])
        XCTAssertTrue(driftHTML.contains(">drifted<"))
        XCTAssertTrue(driftHTML.contains(">spend<") && driftHTML.contains(">plan<"))
        XCTAssertEqual(try island.drift()["drifted"] as? [String], ["spend"])
    }

    func testAnEmptyRegistryAndAnUnwritableOutputAreClearErrors() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("report-errors")
        let databasePath = directory + "/registry.sqlite"
        let registry = try ModelRegistry(path: databasePath)
        let empty = try engage.run(["report", "latest", "--registry", databasePath], in: directory)
        XCTAssertNotEqual(empty.status, 0)
        XCTAssertTrue(empty.output.contains("records no runs yet"), empty.output)

        try registry.beginRun(id: "run-a", configSHA256: "c", datasetSHA256: "d", startedAt: Date())
        let unwritable = try engage.run(["report", "latest", "--registry", databasePath, "--out", directory + "/missing/dir/r.html"], in: directory)
        XCTAssertNotEqual(unwritable.status, 0)
        XCTAssertTrue(unwritable.output.contains("cannot write \(directory)/missing/dir/r.html"), unwritable.output)

        let noVersions = try engage.run(["report", "run-a", "--registry", databasePath, "--out", "a.html"], in: directory)
        XCTAssertEqual(noVersions.status, 0, noVersions.output)
        let html = try String(contentsOfFile: directory + "/a.html", encoding: .utf8)
        XCTAssertTrue(html.contains("This run registered no model versions"))
        XCTAssertTrue(html.contains("No data-quality report was recorded for this run."))
        XCTAssertTrue(html.contains("No drift data for this run."))
    }
}

/// Checks shared by the report tests.
enum ReportPageChecks {
    /// The page must load nothing: no URL, no external stylesheet, script or image.
    static func assertSelfContained(_ html: String, file: StaticString = #filePath, line: UInt = #line) {
        for forbidden in ["http://", "https://", "<link", "src=", "@import", "url("] {
            XCTAssertFalse(html.contains(forbidden), "the report refers to something outside itself: \(forbidden)", file: file, line: line)
        }
    }

    /// A number as the report prints it (Unicode minus sign).
    static func format(_ value: Double, digits: Int = 4) -> String {
        String(format: "%.\(digits)f", value).replacingOccurrences(of: "-", with: "−")
    }

    static func slice(_ html: String, from start: String, to end: String) throws -> String {
        let lower = try XCTUnwrap(html.range(of: start), "no \(start) in the page")
        let upper = try XCTUnwrap(html.range(of: end, range: lower.upperBound..<html.endIndex), "no \(end) after \(start)")
        return String(html[lower.upperBound..<upper.lowerBound])
    }

    /// The test rows a version was evaluated on, from its `training` report.
    static func evalRows(_ registry: ModelRegistry, _ version: ModelVersion) throws -> Int {
        let training = try XCTUnwrap(try registry.reports(model: version.model, version: version.version)["training"])
        let facts = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(training.utf8)) as? [String: Any])
        return try XCTUnwrap(facts["evalRows"] as? Int)
    }
}

/// The JSON data island of a report page.
struct ReportIsland {
    let root: [String: Any]

    init(html: String) throws {
        let open = "<script type=\"application/json\" id=\"engage-report-data\">"
        let json = try ReportPageChecks.slice(html, from: open, to: "</script>")
        root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    var run: String? { root["run"] as? String }

    func model(_ name: String) throws -> [String: Any] {
        let models = try XCTUnwrap(root["models"] as? [[String: Any]])
        return try XCTUnwrap(models.first { $0["model"] as? String == name }, "no \(name) in the report data")
    }

    func evaluation(of name: String) throws -> [String: Any] {
        try XCTUnwrap(try model(name)["evaluation"] as? [String: Any])
    }

    func drift() throws -> [String: Any] { try XCTUnwrap(root["drift"] as? [String: Any]) }
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
