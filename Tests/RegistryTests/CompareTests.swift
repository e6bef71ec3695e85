import Foundation
import ModelZoo
import Registry
import TestSupport
import XCTest

final class CompareTests: XCTestCase {
    func testCompareShowsMetricImportanceFairnessAndParameterChanges() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.register(Sample.churn(auc: 0.80, impact: 0.9, features: ["days_since_login", "age", "region_code"],
                                           parameters: #"{"max_depth":6,"learning_rate":0.1,"early":{"rounds":10,"metric":"auc"},"bins":[1,2]}"#))
        var other = Sample.churn(auc: 0.85, impact: 0.75, features: ["age", "days_since_login", "plan"],
                                 parameters: #"{"max_depth":8,"learning_rate":0.1,"early":{"rounds":20,"metric":"auc"},"bins":[1,3],"subsample":0.8}"#)
        other.metrics.append(MetricValue(split: "test", name: "coverage_p10_p90", value: 0.8))
        try registry.register(other)

        let comparison = try registry.compare(model: "churn", base: 1, other: 2)
        XCTAssertEqual([comparison.base, comparison.other], [1, 2])

        let auc = try XCTUnwrap(comparison.metrics.first { $0.split == "test" && $0.name == "auc" })
        XCTAssertEqual(auc.delta ?? 0, 0.05, accuracy: 1e-12)
        XCTAssertEqual(auc.improved, true)
        let logloss = try XCTUnwrap(comparison.metrics.first { $0.name == "logloss" })
        XCTAssertEqual(logloss.delta, 0)
        XCTAssertNil(logloss.improved, "an unchanged metric neither improved nor worsened")
        let coverage = try XCTUnwrap(comparison.metrics.first { $0.name == "coverage_p10_p90" })
        XCTAssertNil(coverage.base)
        XCTAssertNil(coverage.delta)
        XCTAssertEqual(comparison.metrics.map { "\($0.split)/\($0.name)" }, ["test/auc", "test/logloss", "oof/auc", "test/coverage_p10_p90"])

        // gains are 100, 50, 33 in the order given
        XCTAssertEqual(comparison.importance.map(\.feature), ["age", "days_since_login", "plan", "region_code"])
        let age = comparison.importance[0]
        XCTAssertEqual([age.baseRank, age.otherRank, age.rankChange], [2, 1, 1])
        XCTAssertEqual(age.shareDelta ?? 0, 100.0 / 183 - 50.0 / 183, accuracy: 1e-12)
        XCTAssertEqual(comparison.importance[1].rankChange, -1)
        XCTAssertEqual([comparison.importance[2].baseRank, comparison.importance[2].otherRank], [nil, 3])
        XCTAssertEqual([comparison.importance[3].baseRank, comparison.importance[3].otherRank], [3, nil])

        XCTAssertEqual(comparison.baseFairnessVerdict, .pass)
        XCTAssertEqual(comparison.otherFairnessVerdict, .fail)
        let impact = try XCTUnwrap(comparison.fairness.first { $0.attribute == "gender" && $0.metric == "disparate_impact" })
        XCTAssertNil(impact.group)
        XCTAssertEqual(impact.delta ?? 0, -0.15, accuracy: 1e-12)
        let male = try XCTUnwrap(comparison.fairness.first { $0.group == "male" })
        XCTAssertEqual(male.delta ?? 0, 0.30 * 0.75 - 0.30 * 0.9, accuracy: 1e-12)

        XCTAssertEqual(comparison.parameters, [
            ParameterChange(path: "bins", base: "[1,2]", other: "[1,3]"),
            ParameterChange(path: "early.rounds", base: "10", other: "20"),
            ParameterChange(path: "max_depth", base: "6", other: "8"),
            ParameterChange(path: "subsample", base: nil, other: "0.8"),
        ])
        XCTAssertEqual(try registry.compare(model: "churn", base: 2, other: 2).parameters, [])
        XCTAssertThrowsError(try registry.compare(model: "churn", base: 1, other: 3)) { error in
            XCTAssertEqual(error as? RegistryError, .notFound("churn@3"))
        }
    }

    func testComparisonEncodesAsJSON() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.register(Sample.churn(auc: 0.80))
        var nan = Sample.churn(auc: 0.81)
        nan.metrics[1].value = .nan
        try registry.register(nan)
        let data = try ModelVersion.jsonEncoder().encode(try registry.compare(model: "churn", base: 1, other: 2))
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["model"] as? String, "churn")
        let metrics = try XCTUnwrap(object["metrics"] as? [[String: Any]])
        XCTAssertTrue(metrics[1]["other"] is NSNull, "an undefined metric is null, never a \"nan\" string: \(metrics[1])")
    }
}
