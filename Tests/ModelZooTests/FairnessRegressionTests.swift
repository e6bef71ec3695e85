import Dataset
import XCTest
@testable import ModelZoo

final class FairnessRegressionTests: XCTestCase {
    let groups = SensitiveAttribute(name: "g", values: ["a", "a", "a", "a", "a", "b", "b", "b", "b", "b"])
    let predictions: [Double] = [5, 9, 9, 1, 2, 3, 4, 9, 0, 7]
    let labels: [Double] = [4, 10, 7, 1, 3, 3, 6, 8, 1, 4]

    func testGroupMeansAndMeanAbsoluteError() throws {
        let report = try RegressionFairness().report(labels: labels, predictions: predictions, sensitive: [groups])
        let (a, b) = try (XCTUnwrap(report.attributes.first?.groups.first), XCTUnwrap(report.attributes.first?.groups.last))
        XCTAssertEqual(a.meanPrediction, 26.0 / 5)
        XCTAssertEqual(a.meanLabel, 25.0 / 5)
        XCTAssertEqual(a.mae, (1 + 1 + 2 + 0 + 1) / 5.0)
        XCTAssertEqual(b.mae, (0 + 2 + 1 + 1 + 3) / 5.0)
        XCTAssertEqual(report.overall.mae, Metrics.mae(labels: labels, predictions: predictions))
        XCTAssertEqual(report.attributes[0].maeDifference, 1.4 - 1.0, accuracy: 1e-15)
        XCTAssertEqual(report.attributes[0].meanPredictionDifference, 26.0 / 5 - 23.0 / 5, accuracy: 1e-15)
    }

    func testTopShareSelectionKeepsTiesAndJudgesDisparateImpact() throws {
        let report = try RegressionFairness(topShare: 0.2).report(labels: labels, predictions: predictions, sensitive: [groups])
        // The top 2 of 10 are 9 and 9; the third 9 is tied with them and selected too.
        XCTAssertEqual(report.selectionCutoff, 9)
        XCTAssertEqual(report.overall.selected, 3)
        let attribute = report.attributes[0]
        XCTAssertEqual(attribute.groups.map(\.selected), [2, 1])
        XCTAssertEqual(attribute.disparateImpact, 0.5)
        XCTAssertEqual(attribute.verdict, .fail)
        XCTAssertEqual(FairnessReport(regressor: report).verdict, .fail)

        let wider = try RegressionFairness(topShare: 0.5).report(labels: labels, predictions: predictions, sensitive: [groups])
        XCTAssertEqual(wider.selectionCutoff, 5)
        XCTAssertEqual(wider.attributes[0].groups.map(\.selected), [3, 2])
        XCTAssertEqual(wider.attributes[0].verdict, .fail, "2/5 over 3/5 is below 0.8")
        let lenient = try RegressionFairness(topShare: 0.5, minDisparateImpact: 0.6).report(labels: labels, predictions: predictions, sensitive: [groups])
        XCTAssertEqual(lenient.verdict, .pass)
    }

    func testSelectionDoesNotDependOnRowOrder() throws {
        let order = [7, 3, 9, 0, 5, 1, 8, 2, 6, 4]
        let shuffled = try RegressionFairness().report(
            labels: order.map { labels[$0] }, predictions: order.map { predictions[$0] },
            sensitive: [SensitiveAttribute(name: "g", values: order.map { $0 < 5 ? "a" : "b" })])
        let selected = Dictionary(uniqueKeysWithValues: shuffled.attributes[0].groups.map { ($0.group, $0.selected) })
        XCTAssertEqual(selected, ["a": 2, "b": 1])
    }

    func testBadInputIsRefused() {
        XCTAssertThrowsError(try RegressionFairness(topShare: 0).report(labels: [1], predictions: [1], sensitive: []))
        XCTAssertThrowsError(try RegressionFairness().report(labels: [1, 2], predictions: [1, .infinity], sensitive: [], predictionName: "ltv")) {
            guard case .invalidValue(let column, let row, _, _) = $0 as? FairnessError else { return XCTFail("\($0)") }
            XCTAssertEqual(column, "ltv")
            XCTAssertEqual(row, 1)
        }
        XCTAssertThrowsError(try RegressionFairness().report(labels: [1, 2], predictions: [1], sensitive: []))
    }
}

final class FairnessRecommenderTests: XCTestCase {
    // Catalogue of 6 items: 0-2 music, 3-4 sports, 5 art.
    let categories = ["music", "music", "music", "sports", "sports", "art"]

    func testHitRateByGroupCoverageAndExposure() throws {
        let report = try RecommenderFairness(k: 2).report(
            hits: [true, false, true, true, false, false],
            recommendations: [[0, 3], [0, 1], [3, 0, 5], [1, 0], [4, 0], [0, 1]],
            itemCategories: categories,
            sensitive: [SensitiveAttribute(name: "gender", values: ["f", "f", "f", "m", "m", "m"])])
        XCTAssertEqual(report.overall.hitRate, 0.5)
        let groups = report.attributes[0].groups
        XCTAssertEqual(groups.map(\.hitRate), [2.0 / 3, 1.0 / 3])
        XCTAssertEqual(try XCTUnwrap(report.attributes[0].hitRateRatio), 0.5, accuracy: 1e-15)
        XCTAssertEqual(report.verdict, .fail)
        // Only the first k = 2 items count: item 5 (third in user 2's list) is never shown.
        XCTAssertEqual(report.catalogueCoverage, 4.0 / 6)
        XCTAssertEqual(report.exposure.map(\.category), ["music", "sports", "art"])
        XCTAssertEqual(report.exposure.map(\.slots), [9, 3, 0])
        XCTAssertEqual(report.exposure[0].share, 0.75)
        XCTAssertEqual(report.exposure[0].catalogueShare, 0.5)
        XCTAssertEqual(report.exposure[0].exposureRatio, 1.5)
        XCTAssertEqual(report.exposure[2].exposureRatio, 0)
        XCTAssertEqual(FairnessReport(recommender: report).worstDisparateImpact ?? -1, 0.5, accuracy: 1e-15)
    }

    func testUnknownItemIsRefusedNamingTheUser() {
        XCTAssertThrowsError(try RecommenderFairness().report(hits: [true, false], recommendations: [[0], [6]], itemCategories: categories, sensitive: [])) {
            XCTAssertEqual($0 as? FairnessError, .invalidValue(column: "recommendations", row: 1, value: 6, expected: "an item index in 0..<6"))
        }
    }
}

final class FairnessReportTests: XCTestCase {
    func testNumbersFlattenEverySectionAndLeaveOutUndefinedValues() throws {
        let sensitive = [SensitiveAttribute(name: "g", values: ["a", "a", "b", "b"])]
        let classifier = try ClassifierFairness(threshold: 0.95).report(labels: [0, 1, 1, 0], scores: [0.1, 0.9, 0.5, 0.3], sensitive: sensitive)
        let regressor = try RegressionFairness().report(labels: [1, 2, 3, 4], predictions: [1, 2, 3, 5], sensitive: sensitive)
        let proxy = ProxyFinding(feature: "zip", attribute: "g", measure: .cramersV, value: 0.7, threshold: 0.6)
        let report = FairnessReport(classifier: classifier, regressor: regressor, proxies: [proxy])
        let numbers = report.numbers()
        XCTAssertEqual(numbers.filter { $0.group == "a" && $0.metric == "selection_rate" }.map(\.value), [0, 0], "classifier, then regressor")
        XCTAssertFalse(numbers.contains { $0.metric == "demographic_parity_ratio" }, "0/0 is left out")
        XCTAssertEqual(numbers.first { $0.metric == "disparate_impact" }?.value, 0, "the regressor selects one row of group b only")
        XCTAssertEqual(numbers.last, FairnessMeasure(attribute: "g", group: nil, metric: "proxy_cramers_v:zip", value: 0.7))
        XCTAssertEqual(report.verdict, .fail)
        XCTAssertTrue(numbers.allSatisfy { $0.value.isFinite })
    }
}
