import Dataset
import Foundation
import ModelZoo
import Registry
import TestSupport
import XCTest

/// The report's curves against scikit-learn on a larger run, and its rendering to a PNG with headless
/// Chromium. Runs with ENGAGE_LONG_TESTS=1 (`make test-long`).
final class ReportLongTests: XCTestCase {
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    override func setUpWithError() throws {
        guard ProcessInfo.processInfo.environment["ENGAGE_LONG_TESTS"] == "1" else {
            throw XCTSkip("set ENGAGE_LONG_TESTS=1 to run the report's scikit-learn agreement and PNG rendering")
        }
    }

    func testCurvesAgreeWithScikitLearnAndTheReportRendersToAPNG() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("report-long")
        _ = try smallClusterFile(in: directory, rows: 20_000, trees: 60, models: """
          churn: { kind: gbdt, objective: binary, target: churn_30_day, trees: 60, leaves: 31, shap: true }
        """)
        let pipeline = try engage.run(["run", "--config", "cluster.yaml"], in: directory, timeout: 600)
        XCTAssertEqual(pipeline.status, 0, pipeline.output)
        let report = try engage.run(["report", "latest", "--out", "report.html"], in: directory)
        XCTAssertEqual(report.status, 0, report.output)
        let html = try String(contentsOfFile: directory + "/report.html", encoding: .utf8)
        let curves = try ReportIsland(html: html).evaluation(of: "churn")

        // The same test rows scored by the same artifact, handed to scikit-learn.
        let registry = try ModelRegistry.openReadOnly(path: directory + "/registry/engage.sqlite")
        let churn = try registry.version(model: "churn")
        let training = try XCTUnwrap(try registry.reports(model: "churn", version: churn.version)["training"])
        let facts = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(training.utf8)) as? [String: Any])
        let evalShards = try XCTUnwrap(facts["evalShards"] as? [String])
        let model = try TrainedModel.decode(try registry.artifact(model: "churn", version: churn.version))
        let store = try ShardStore(directory: directory + "/work/shards")
        var labels: [Double] = [], scores: [Double] = []
        for id in evalShards {
            let table = try store.read(id)
            labels += try table.numeric(model.header.target)
            scores += try model.predict(table)[0]
        }
        let csv = directory + "/scored.csv"
        try CSV.write(try Table(names: ["label", "score"], columns: [.numeric(labels), .numeric(scores)]), to: csv)
        let expected = try ScikitLearn.curves(csv: csv)

        XCTAssertEqual(curves["rows"] as? Int, labels.count)
        XCTAssertEqual(try XCTUnwrap(curves["auc"] as? Double), try XCTUnwrap(expected["auc"] as? Double), accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(curves["averagePrecision"] as? Double), try XCTUnwrap(expected["averagePrecision"] as? Double), accuracy: 1e-9)
        XCTAssertEqual(curves["rocPoints"] as? Int, expected["rocPoints"] as? Int, "roc_curve keeps the same thresholds")
        XCTAssertEqual(curves["precisionRecallPoints"] as? Int, expected["precisionRecallPoints"] as? Int)
        let bins = try XCTUnwrap(curves["calibration"] as? [[String: Any]])
        let observed = try XCTUnwrap(expected["observedRate"] as? [Double]), predicted = try XCTUnwrap(expected["meanScore"] as? [Double])
        XCTAssertEqual(bins.count, observed.count)
        for (bin, (rate, score)) in zip(bins, zip(observed, predicted)) {
            XCTAssertEqual(try XCTUnwrap(bin["observedRate"] as? Double), rate, accuracy: 1e-9)
            XCTAssertEqual(try XCTUnwrap(bin["meanScore"] as? Double), score, accuracy: 1e-9)
        }

        let png = directory + "/report.png"
        let render = try Subprocess.run(["bash", Self.repository + "/bench/render_report.sh", directory + "/report.html", png, "1400", "9000"])
        guard render.status == 0 else { return XCTFail("bench/render_report.sh failed: \(render.stdout)\(render.stderr)") }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "a PNG")
        let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual([width, height], [1400, 9000])
        XCTAssertGreaterThan(bytes.count, 100_000, "a blank page compresses to a few kilobytes; charts and tables do not")
    }
}

/// scikit-learn's numbers for a CSV of `label,score`, from the first Python that imports it:
/// $ENGAGE_PYTHON, bench/.venv (made by `make bench`), or python3.
private enum ScikitLearn {
    static let script = """
        import json, sys
        import numpy as np
        from sklearn.calibration import calibration_curve
        from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve
        data = np.genfromtxt(sys.argv[1], delimiter=",", names=True)
        y, s = data["label"], data["score"]
        fpr, tpr, _ = roc_curve(y, s)
        precision, recall, _ = precision_recall_curve(y, s)
        observed, mean_score = calibration_curve(y, s, n_bins=10, strategy="uniform")
        print(json.dumps({"auc": roc_auc_score(y, s), "averagePrecision": average_precision_score(y, s),
                          "rocPoints": len(fpr), "precisionRecallPoints": len(precision),
                          "observedRate": observed.tolist(), "meanScore": mean_score.tolist()}))
        """

    static func curves(csv: String) throws -> [String: Any] {
        let venv = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("bench/.venv/bin/python").path
        let candidates = [ProcessInfo.processInfo.environment["ENGAGE_PYTHON"], venv, "python3"].compactMap { $0 }
        for python in candidates {
            guard try Subprocess.run([python, "-c", "import sklearn"]).status == 0 else { continue }
            let result = try Subprocess.run([python, "-c", script, csv])
            XCTAssertEqual(result.status, 0, result.stderr)
            return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        }
        throw XCTSkip("no Python with scikit-learn (tried \(candidates.joined(separator: ", "))); `make bench` creates bench/.venv")
    }
}

/// Runs a program found on PATH to completion, its output collected in temporary files (no pipe to fill).
private enum Subprocess {
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let base = NSTemporaryDirectory() + "engage-subprocess-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return (process.terminationStatus, read(base + ".out"), read(base + ".err"))
    }
}
