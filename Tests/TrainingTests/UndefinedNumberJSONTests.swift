import Dataset
@testable import ModelZoo
@testable import Training
import XCTest

/// Every report type with degenerate inputs encodes (undefined numbers as `null`) and reads back.
final class UndefinedNumberJSONTests: XCTestCase {
    private func encoded<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder.sortedKeys.encode(value), as: UTF8.self)
    }

    func testUndefinedMetricsAreNullAndReadBackAsNaN() throws {
        let oneClass = [Double](repeating: 1, count: 10)
        let constant = [Double](repeating: 0.5, count: 10)
        let metrics = [MetricDefinition.auc, .logLoss, .accuracy, .r2, .rmse, .mae].map { $0.measure(split: "test", labels: oneClass, predictions: constant) }
        XCTAssertTrue(metrics.contains { !$0.value.isFinite }, "AUC of one class and R² of a constant label are undefined")
        let json = try encoded(metrics)
        XCTAssertFalse(json.lowercased().contains("nan"))
        XCTAssertTrue(json.contains("\"value\":null"))
        let back = try EngageJSONDecoder().decode([MetricValue].self, from: Data(json.utf8))
        XCTAssertEqual(back.count, metrics.count)
        for (a, b) in zip(metrics, back) { XCTAssertTrue(a.value == b.value || (!a.value.isFinite && b.value.isNaN)) }
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(json.utf8)), "plain JSON readers parse it")
    }

    func testAStringThatSpellsNullIsLeftAlone() throws {
        struct Doc: Codable, Equatable { var name: String; var value: Double }
        let json = try encoded(Doc(name: "null \"null\" \\ null", value: .nan))
        let back = try EngageJSONDecoder().decode(Doc.self, from: Data(json.utf8))
        XCTAssertEqual(back.name, "null \"null\" \\ null")
        XCTAssertTrue(back.value.isNaN)
        XCTAssertEqual(try EngageJSONDecoder().decode(Doc.self, from: Data(#"{"name":"old","value":"nan"}"#.utf8)).name, "old", "old registry spelling")
    }

    func testDegenerateJobReportsEncode() throws {
        let data = CustomerGenerator(rows: 600, seed: 2).generate().customers
        var oneClassTest = data.rows(Array(400..<600))
        try oneClassTest.set("churn_30_day", .numeric(Array(repeating: 0, count: 200)))
        try oneClassTest.set("engagement_score", .numeric(Array(repeating: 3, count: 200)))
        // Fairness groups that are empty in the test rows: every test customer in one gender.
        try oneClassTest.set("gender", .categorical(codes: Array(repeating: 0, count: 200), levels: ["female", "male", "other"]))
        var parameters = GBDTParameters()
        parameters.trees = 5
        for (objective, target) in [(ModelObjective.binary, "churn_30_day"), (.regression, "engagement_score"), (.quantile, "engagement_score")] {
            var spec = TrainingJobSpec(model: "m", kind: .gbdt, objective: objective, target: target,
                                       excludedColumns: [CustomerSchema.idColumn, CustomerSchema.anomalyLabel] + CustomerSchema.targets + CustomerSchema.sensitive,
                                       quantiles: objective == .quantile ? [0.1, 0.5, 0.9] : [], parameters: parameters, role: .full, trainShards: [], evalShards: [])
            spec.sensitive = CustomerSchema.sensitive
            spec.shapSummary = true
            let outcome = try JobRunner.run(spec: spec, threads: 1, inputs: JobInputs(train: data.rows(Array(0..<400)), eval: oneClassTest))
            let json = try encoded(outcome.report)
            XCTAssertFalse(json.contains("NaN"), "\(objective)")
            let back = try EngageJSONDecoder().decode(JobReport.self, from: Data(json.utf8))
            XCTAssertEqual(back.metrics.map(\.name), outcome.report.metrics.map(\.name))
            for (name, document) in outcome.report.reports {
                XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(document.utf8)), "\(objective) \(name)")
                XCTAssertFalse(document.contains("NaN"), "\(objective) \(name)")
            }
            if let fairness = outcome.report.reports[FairnessReport.registryName] {
                _ = try FairnessReport.decode(json: fairness)
            }
            _ = try encoded(outcome.report.importance)
        }
    }
}
