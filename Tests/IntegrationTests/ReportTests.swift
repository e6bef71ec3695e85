import Dataset
import Foundation
import ModelZoo
import Registry
import TestSupport
import XCTest

/// `engage report` as a person runs it: the real binary on the registry and shards of a real run,
/// and its errors. What the page draws from each registry document is tested in-process in ReportTests.
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
        XCTAssertEqual(ReportPageReader.externalReferences(in: html), [])
        XCTAssertTrue(html.contains("<svg"))

        let registry = try ModelRegistry.openReadOnly(path: directory + "/registry/engage.sqlite")
        let runID = try XCTUnwrap(try registry.runs().last?.id)
        XCTAssertTrue(result.output.contains("wrote r.html: run \(runID), 2 versions"), result.output)
        let island = try ReportIsland(html: html)
        XCTAssertEqual(island.run, runID)
        for version in try registry.versions() {
            XCTAssertTrue(html.contains("<a href=\"#model-\(version.model)-\(version.version)\">\(version.model)</a>"), version.reference)
            for metric in version.metrics {
                XCTAssertTrue(html.contains(">\(ReportPageReader.format(metric.value))<"), "\(version.reference) \(metric.split)/\(metric.name) is not in the page")
            }
        }

        let churn = try registry.version(model: "churn")
        let testRows = try evalRows(registry, churn)
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

    /// The test rows a version was evaluated on, from its `training` report.
    private func evalRows(_ registry: ModelRegistry, _ version: ModelVersion) throws -> Int {
        let training = try XCTUnwrap(try registry.reports(model: version.model, version: version.version)["training"])
        let facts = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(training.utf8)) as? [String: Any])
        return try XCTUnwrap(facts["evalRows"] as? Int)
    }
}
