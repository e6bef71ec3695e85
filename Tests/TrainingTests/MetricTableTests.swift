import ModelZoo
@testable import Training
import XCTest

/// Every metric a runner reports is a row of the metric table: with a better direction, or
/// explicitly without one (counts, shares, interval coverage).
func assertInMetricTable(_ metrics: [MetricValue], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertFalse(metrics.isEmpty, file: file, line: line)
    for metric in metrics {
        guard let definition = MetricDefinition.of(metric.name) else {
            XCTFail("\(metric.split) \(metric.name) is not in the metric table", file: file, line: line)
            continue
        }
        if definition.direction == nil {
            XCTAssertTrue(MetricTableTests.directionless(metric.name), "\(metric.name) has no direction", file: file, line: line)
        }
    }
}

final class MetricTableTests: XCTestCase {
    static func directionless(_ name: String) -> Bool {
        [MetricDefinition.flaggedShare.name, MetricDefinition.evaluatedUsers.name].contains(name) || MetricFamily.coverage.contains(name)
    }

    func testNamesAndDirectionsOfTheTable() {
        let higher = ["auc", "accuracy", "r2", "flag_precision", "reference_auc", "auc_lift", "auc_churn", "auc_isolation_forest",
                      "hr@10", "ndcg@10", "popularity_hr@10", "mf_ndcg@10"]
        let lower = ["logloss", "rmse", "mae", "pinball_p10", "pinball_p50"]
        for name in higher { XCTAssertEqual(MetricDefinition.of(name)?.direction, .higherIsBetter, name) }
        for name in lower { XCTAssertEqual(MetricDefinition.of(name)?.direction, .lowerIsBetter, name) }
        for name in ["coverage_p10_p90", "flagged_share", "evaluated_users"] {
            XCTAssertNotNil(MetricDefinition.of(name), name)
            XCTAssertNil(MetricDefinition.of(name)?.direction, name)
        }
        for name in ["log_loss", "pinball_0.5", "hr@", "hr@x", "mf_auc", "coverage_p10", "auc_", "brier"] {
            XCTAssertNil(MetricDefinition.of(name), name)
        }
        XCTAssertEqual(LogLossMetric().name, "logloss")
        XCTAssertEqual(PinballMetric(alpha: 0.9).name, "pinball_p90")
        XCTAssertEqual(MetricDefinition.coverage(low: 0.1, high: 0.9).name, "coverage_p10_p90")
        XCTAssertEqual(MetricDefinition.hitRate(k: 10, of: .matrixFactorization).name, "mf_hr@10")
    }

    func testGBDTObjectiveMetricsAreInTheTable() {
        let labels: [Double] = [0, 1, 0, 1], predictions = [0.2, 0.8, 0.4, 0.6]
        assertInMetricTable(GBDTJobRunner.metrics(objective: .binary, labels: labels, predictions: predictions, split: "test")
            + GBDTJobRunner.metrics(objective: .regression, labels: labels, predictions: predictions, split: "test"))
    }
}
