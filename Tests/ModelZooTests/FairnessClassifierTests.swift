import Dataset
import XCTest
@testable import ModelZoo

final class FairnessClassifierTests: XCTestCase {
    // Expected values from Fairlearn 0.15.0 and scikit-learn 1.9.1:
    //   y = np.array(<labels>); s = np.array(<scores>); g = np.array(<groups>); p = (s > 0.5).astype(int)
    //   mf = MetricFrame(metrics={'sr': selection_rate, 'tpr': true_positive_rate, 'fpr': false_positive_rate},
    //                    y_true=y, y_pred=p, sensitive_features=g)
    //   mf.by_group; roc_auc_score(y[g == k], s[g == k])
    //   demographic_parity_difference / _ratio, equalized_odds_difference / _ratio (y, p, sensitive_features=g)
    //   calibration_curve(y[g == 'b'], s[g == 'b'], n_bins=5)
    static let labels: [Double] = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0]
    static let scores = [0.91, 0.12, 0.55, 0.48, 0.50, 0.33, 0.77, 0.61, 0.85, 0.05, 0.42, 0.66, 0.71, 0.20, 0.50,
                         0.93, 0.38, 0.10, 0.58, 0.44, 0.62, 0.27, 0.52, 0.81, 0.15, 0.36, 0.49, 0.70, 0.64, 0.30]
    static let groups = Array(repeating: "a", count: 10) + Array(repeating: "b", count: 10) + Array(repeating: "c", count: 10)

    func fixtureReport(bins: Int = 5) throws -> ClassifierFairnessReport {
        try ClassifierFairness(threshold: 0.5, calibrationBins: bins).report(
            labels: Self.labels, scores: Self.scores, sensitive: [SensitiveAttribute(name: "g", values: Self.groups)])
    }

    func testPerGroupRatesAndDisparitiesEqualFairlearn() throws {
        let report = try fixtureReport()
        let g = try XCTUnwrap(report.attribute("g"))
        XCTAssertEqual(g.groups.map(\.group), ["a", "b", "c"])
        let expected: [(selection: Double, tpr: Double, fpr: Double, auc: Double)] = [
            (0.5, 0.8, 0.2, 0.88), (0.4, 0.5, 0.3333333333333333, 0.7916666666666667), (0.5, 0.75, 0.3333333333333333, 0.7916666666666667),
        ]
        for (group, want) in zip(g.groups, expected) {
            XCTAssertEqual(group.count, 10)
            XCTAssertEqual(group.selectionRate, want.selection, accuracy: 1e-12, group.group)
            XCTAssertEqual(group.truePositiveRate, want.tpr, accuracy: 1e-12, group.group)
            XCTAssertEqual(group.falsePositiveRate, want.fpr, accuracy: 1e-12, group.group)
            XCTAssertEqual(try XCTUnwrap(group.auc), want.auc, accuracy: 1e-12, group.group)
        }
        XCTAssertEqual(g.demographicParityDifference, 0.09999999999999998, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(g.demographicParityRatio), 0.8, accuracy: 1e-12)
        XCTAssertEqual(g.equalizedOddsDifference, 0.30000000000000004, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(g.equalizedOddsRatio), 0.6000000000000001, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(report.overall.auc), 0.82579185520362, accuracy: 1e-12)
        XCTAssertEqual(report.overall.selected, 14)
    }

    func testCalibrationEqualsScikitLearnWithScoresOnBinEdges() throws {
        // Group b holds 0.20 and 0.50, exactly on edges of five bins: they belong to the lower bin.
        let b = try XCTUnwrap(try fixtureReport(bins: 5).attribute("g")?.groups[1].calibration)
        XCTAssertEqual(b.map(\.observedRate), [0.0, 0.0, 0.5, 0.5, 1.0])
        let expectedMeans = [0.15000000000000002, 0.38, 0.485, 0.685, 0.93]
        for (bin, want) in zip(b, expectedMeans) { XCTAssertEqual(bin.meanScore, want, accuracy: 1e-12) }
        XCTAssertEqual(b.map(\.count), [2, 1, 4, 2, 1])
    }

    func testDisparateImpactAtTheThresholdPassesAndAboveItFails() throws {
        XCTAssertEqual(try fixtureReport().verdict, .pass, "disparate impact 0.4/0.5 = 0.8 meets the four-fifths rule")
        let strict = try ClassifierFairness(minDisparateImpact: 0.85).report(
            labels: Self.labels, scores: Self.scores, sensitive: [SensitiveAttribute(name: "g", values: Self.groups)])
        XCTAssertEqual(strict.verdict, .fail)
        XCTAssertEqual(try XCTUnwrap(strict.worstDisparateImpact), 0.8, accuracy: 1e-12)
    }

    func testGroupsWithoutPositivesOrNegativesGetZeroRatesAsFairlearn() throws {
        // Fairlearn: a group without positives has TPR 0 (sklearn's normalised confusion matrix),
        // so equalized_odds_ratio is 0. Checked with fairlearn 0.15.0 on this input: by_group
        // tpr = [0.5, 0.0], fpr = [0.5, 0.0]; equalized_odds_ratio = 0.0, difference = 0.5.
        let report = try ClassifierFairness().report(
            labels: [0, 0, 1, 1, 0, 0], scores: [0.2, 0.9, 0.8, 0.1, 0.3, 0.4],
            sensitive: [SensitiveAttribute(name: "g", values: ["a", "a", "a", "a", "b", "b"])])
        let b = try XCTUnwrap(report.attribute("g")?.groups.last)
        XCTAssertEqual(b.positives, 0)
        XCTAssertEqual(b.truePositiveRate, 0)
        XCTAssertNil(b.auc, "AUC is undefined for a one-class group")
        let g = try XCTUnwrap(report.attribute("g"))
        XCTAssertEqual(g.equalizedOddsRatio, 0)
        XCTAssertEqual(g.equalizedOddsDifference, 0.5)
        let allPositive = try ClassifierFairness().report(labels: [1, 1], scores: [0.9, 0.2], sensitive: [])
        XCTAssertEqual(allPositive.overall.falsePositiveRate, 0)
    }

    func testNobodySelectedLeavesRatiosUndefinedAndOutOfTheJSON() throws {
        let report = try ClassifierFairness(threshold: 0.95).report(
            labels: [0, 1, 1, 0], scores: [0.1, 0.9, 0.5, 0.3], sensitive: [SensitiveAttribute(name: "g", values: ["a", "a", "b", "b"])])
        let g = try XCTUnwrap(report.attribute("g"))
        XCTAssertNil(g.demographicParityRatio)
        XCTAssertNil(g.disparateImpact)
        XCTAssertNil(g.equalizedOddsRatio)
        XCTAssertEqual(g.demographicParityDifference, 0)
        XCTAssertEqual(report.verdict, .undefined)
        let json = try FairnessReport(classifier: report).json()
        XCTAssertFalse(json.contains("demographicParityRatio"), json)
        XCTAssertFalse(json.lowercased().contains("nan"), json)
        XCTAssertEqual(try FairnessReport.decode(json: json).classifier, report)
    }

    func testScoreEqualToThresholdIsNotSelected() throws {
        let report = try ClassifierFairness(threshold: 0.5).report(labels: [1, 0], scores: [0.5, 0.5000001], sensitive: [])
        XCTAssertEqual(report.overall.selected, 1)
        XCTAssertEqual(report.overall.truePositives, 0)
        XCTAssertEqual(report.overall.falsePositives, 1)
    }

    func testMissingAndNumericSensitiveValuesBecomeNamedGroups() throws {
        let numeric = SensitiveAttribute(name: "senior", column: .numeric([1, 0, .nan, 1, 2.5, 0]))
        XCTAssertEqual(numeric.groups, ["0", "1", "2.5", FairnessGroups.missingLabel])
        XCTAssertEqual(numeric.rowGroups, [1, 0, 3, 1, 2, 0])
        let categorical = SensitiveAttribute(name: "region", column: .categorical(codes: [2, -1, 2, 0], levels: ["eu", "na", "apac"]))
        XCTAssertEqual(categorical.groups, ["eu", "apac", FairnessGroups.missingLabel], "levels that never occur are not groups")
        XCTAssertEqual(categorical.rowGroups, [1, 2, 1, 0])
        let report = try ClassifierFairness().report(labels: [1, 0, 1, 0, 1, 0], scores: [0.9, 0.1, 0.8, 0.7, 0.6, 0.2], sensitive: [numeric])
        XCTAssertEqual(report.attribute("senior")?.groups.map(\.count), [2, 2, 1, 1])
    }

    func testCalibrationIsLeftOutWhenScoresAreNotProbabilities() throws {
        let report = try ClassifierFairness(threshold: 0).report(labels: [1, 0, 1], scores: [2.5, -1, 0.3], sensitive: [])
        XCTAssertNil(report.overall.calibration)
        XCTAssertEqual(report.overall.selected, 2)
    }

    func testBadInputIsRefusedNamingColumnAndRow() {
        XCTAssertThrowsError(try ClassifierFairness().report(labels: [0, 1, 2], scores: [0.1, 0.2, 0.3], sensitive: [], labelName: "churn")) {
            XCTAssertEqual($0 as? FairnessError, .invalidValue(column: "churn", row: 2, value: 2, expected: "a 0/1 label"))
            XCTAssertTrue(String(describing: $0).contains("column 'churn', row 3"), String(describing: $0))
        }
        XCTAssertThrowsError(try ClassifierFairness().report(labels: [0, 1], scores: [0.1, .nan], sensitive: [], scoreName: "p")) {
            guard case .invalidValue(let column, let row, let value, _) = $0 as? FairnessError else { return XCTFail("\($0)") }
            XCTAssertEqual(column, "p")
            XCTAssertEqual(row, 1)
            XCTAssertTrue(value.isNaN)
        }
        XCTAssertThrowsError(try ClassifierFairness().report(labels: [0, 1], scores: [0.1], sensitive: [])) {
            XCTAssertEqual($0 as? FairnessError, .lengthMismatch(what: "scores 'score'", expected: 2, actual: 1))
        }
        XCTAssertThrowsError(try ClassifierFairness().report(labels: [0, 1], scores: [0.1, 0.2], sensitive: [SensitiveAttribute(name: "g", values: ["a"])])) {
            XCTAssertEqual($0 as? FairnessError, .lengthMismatch(what: "sensitive attribute 'g'", expected: 2, actual: 1))
        }
        XCTAssertThrowsError(try ClassifierFairness(minDisparateImpact: 1.5).report(labels: [0], scores: [0], sensitive: []))
        XCTAssertThrowsError(try ClassifierFairness().report(labels: [], scores: [], sensitive: [])) {
            XCTAssertEqual($0 as? FairnessError, .empty)
        }
    }
}
