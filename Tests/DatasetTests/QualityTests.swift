import Foundation
import XCTest
@testable import Dataset

final class QualityTests: XCTestCase {
    func table(_ columns: [(String, Column)]) throws -> Table {
        try Table(names: columns.map(\.0), columns: columns.map(\.1))
    }

    func findings(_ table: Table, _ context: QualityContext = QualityContext(), thresholds: QualityThresholds = QualityThresholds()) throws -> [QualityFinding] {
        try DataQualityChecker(thresholds: thresholds).report(table, context: context).findings
    }

    func testNullRatesAreReportedForEveryColumnAndJudgedAgainstBothLimits() throws {
        let t = try table([
            ("few", .numeric([1, .nan, 3, 4, 5, 6, 7, 8, 9, 10])),            // 10%: warning
            ("most", .categorical(codes: [-1, -1, -1, -1, -1, -1, 0, 1, 0, -1], levels: ["a", "b"])), // 70%: error
            ("none", .numeric([1, 2, 3, 4, 5, 6, 7, 8, 9, 11])),
        ])
        let report = try DataQualityChecker().report(t, context: QualityContext())
        XCTAssertEqual(report.nullRates, [ColumnNullRate(column: "few", missing: 1, rate: 0.1),
                                          ColumnNullRate(column: "most", missing: 7, rate: 0.7),
                                          ColumnNullRate(column: "none", missing: 0, rate: 0)])
        let nulls = report.findings.filter { $0.rule == "null_rate" }
        XCTAssertEqual(nulls.map(\.columns), [["most"], ["few"]], "errors come first")
        XCTAssertEqual(nulls.map(\.severity), [.error, .warning])
        XCTAssertEqual(nulls.map(\.threshold), [0.5, 0.05])
        XCTAssertTrue(report.hasErrors)
        XCTAssertThrowsError(try report.requireNoErrors()) {
            let text = String(describing: $0)
            XCTAssertTrue(text.contains("null_rate"), text)
            XCTAssertTrue(text.contains("most"), text)
            XCTAssertFalse(text.contains("few"), "warnings do not stop a run: \(text)")
        }
        let lenient = try findings(t, thresholds: QualityThresholds(nullRateWarning: 0.2, nullRateError: 0.8))
        XCTAssertEqual(lenient.filter { $0.rule == "null_rate" }.map(\.severity), [.warning])
    }

    func testDuplicateIdsAreAnErrorNamingTheRows() throws {
        let t = try table([("user_id", .numeric([10, 11, 10, 12, 11, .nan, .nan]))])
        let found = try findings(t, QualityContext(idColumn: "user_id")).filter { $0.rule == "duplicate_ids" }
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found[0].severity, .error)
        XCTAssertEqual(found[0].value, 2, "missing ids are not duplicates")
        XCTAssertTrue(found[0].message.contains("user_id 10 in rows 1 and 3"), found[0].message)
        XCTAssertTrue(found[0].message.contains("user_id 11 in rows 2 and 5"), found[0].message)
        let textIDs = try table([("id", .categorical(codes: [0, 1, 2], levels: ["a", "b", "c"]))])
        XCTAssertEqual(try findings(textIDs, QualityContext(idColumn: "id")), [])
    }

    func testInfiniteValuesAreAnErrorButMissingValuesAreNot() throws {
        let t = try table([("x", .numeric([1, .infinity, 3, -.infinity, .nan, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]))])
        let found = try findings(t).filter { $0.rule == "non_finite" }
        XCTAssertEqual(found.map(\.value), [2])
        XCTAssertEqual(found.first?.severity, .error)
        XCTAssertTrue(found.first?.message.contains("row 2") ?? false, "\(found)")
    }

    func testNearZeroVarianceUsesPopulationVarianceAndExplainsBinaryColumns() throws {
        // np.var([0.1, 0.12, 0.11, 0.09, 0.13]) == 0.0002 (ddof=0)
        var ones = Array(repeating: 0.0, count: 200)
        ones[0] = 1 // 0.5% ones: variance 0.004975
        let t = try table([
            ("small", .numeric([0.1, 0.12, 0.11, 0.09, 0.13] + Array(repeating: .nan, count: 195))),
            ("spread", .numeric((0..<200).map(Double.init))),
            ("rare_flag", .numeric(ones)),
            ("constant", .numeric(Array(repeating: 4, count: 200))),
            ("dominant", .categorical(codes: (0..<200).map { $0 == 7 ? 1 : 0 }, levels: ["x", "y"])),
        ])
        let found = try findings(t, thresholds: QualityThresholds(nullRateWarning: 1, nullRateError: 1)).filter { $0.rule == "near_zero_variance" }
        XCTAssertEqual(found.map { $0.columns[0] }, ["small", "rare_flag", "constant", "dominant"])
        XCTAssertEqual(found[0].value, 0.0002, accuracy: 1e-15)
        XCTAssertEqual(found[1].value, 0.005 * 0.995, accuracy: 1e-15)
        XCTAssertTrue(found[1].message.contains("0/1 column with 0.50% ones"), found[1].message)
        XCTAssertEqual(found[2].value, 0)
        XCTAssertEqual(found[3].value, 0.005 * 0.995, accuracy: 1e-15)
        XCTAssertTrue(found[3].message.contains("level 'x'"), found[3].message)
        XCTAssertTrue(found.allSatisfy { $0.severity == .warning })
    }

    func testCorrelatedPairsMatchPandasPairwiseCorrelation() throws {
        // df = pd.DataFrame({'x': x, 'y': y, 'z': z}); df.corr()
        //   x~y 0.9973613884638861, x~z 0.36885245901639346, y~z 0.45698443382619774
        let x: [Double] = [1, 2, 3, 4, 5, 6, 7, 8]
        let y = [1.1, 2.3, 2.9, 4.2, .nan, 6.1, 6.8, 8.3]
        let z: [Double] = [5, 3, 4, 1, 2, 8, .nan, 6]
        XCTAssertEqual(try XCTUnwrap(CorrelatedPairsRule.pearson(x, y)).0, 0.9973613884638861, accuracy: 1e-14)
        XCTAssertEqual(try XCTUnwrap(CorrelatedPairsRule.pearson(x, z)).0, 0.36885245901639346, accuracy: 1e-14)
        XCTAssertEqual(try XCTUnwrap(CorrelatedPairsRule.pearson(y, z)).0, 0.45698443382619774, accuracy: 1e-14)
        let t = try table([("x", .numeric(x)), ("y", .numeric(y)), ("z", .numeric(z)), ("minus_x", .numeric(x.map { -2 * $0 + 1 }))])
        let found = try findings(t, thresholds: QualityThresholds(nullRateWarning: 1, nullRateError: 1, minVariance: 0))
        XCTAssertEqual(found.map(\.columns), [["x", "y"], ["x", "minus_x"], ["y", "minus_x"]])
        XCTAssertEqual(found[1].value, 1, accuracy: 1e-15)
        XCTAssertTrue(found[1].message.contains("r = -1"), found[1].message)
        XCTAssertEqual(found[0].value, 0.9973613884638861, accuracy: 1e-14)
        let strict = try findings(t, thresholds: QualityThresholds(nullRateWarning: 1, nullRateError: 1, minVariance: 0, maxCorrelation: 0.999))
        XCTAssertEqual(strict.map(\.columns), [["x", "minus_x"]])
    }

    func testClassBalanceOfBinaryTargets() throws {
        let t = try table([
            ("rare", .numeric([1, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
            ("balanced", .numeric([1, 0, 1, 0, 1, 0, 1, 0, .nan, 1])),
            ("not_binary", .numeric([0, 1, 2, 0, 1, 0, 1, 0, 1, 0])),
        ])
        let found = try findings(t, QualityContext(binaryTargets: ["rare", "balanced", "not_binary", "absent"]),
                                 thresholds: QualityThresholds(minVariance: 0)).filter { $0.rule == "class_balance" }
        XCTAssertEqual(found.map(\.columns), [["not_binary"], ["rare"]])
        XCTAssertEqual(found[0].severity, .error)
        XCTAssertTrue(found[0].message.contains("row 3 holds 2.0"), found[0].message)
        XCTAssertEqual(found[1].value, 0.1)
        XCTAssertEqual(found[1].threshold, 0.2)
    }

    func testIgnoredColumnsAndTheIdAreLeftAlone() throws {
        let t = try table([("user_id", .numeric([1, 2, 3])), ("skip", .numeric([.infinity, .nan, .nan]))])
        XCTAssertEqual(try findings(t, QualityContext(idColumn: "user_id", ignored: ["skip"])), [])
    }

    func testGeneratedCustomersPassWithoutErrors() throws {
        let customers = CustomerGenerator(rows: 2000, seed: 3).generate().customers
        let report = try DataQualityChecker().report(customers, context: QualityContext(
            idColumn: CustomerSchema.idColumn, binaryTargets: ["churn_30_day"], ignored: [CustomerSchema.anomalyLabel]))
        XCTAssertFalse(report.hasErrors, "\(report.errors)")
        XCTAssertEqual(report.nullRates.count, customers.columnCount)
        let decoded = try JSONDecoder().decode(DataQualityReport.self, from: Data(try report.json().utf8))
        XCTAssertEqual(decoded, report)
    }

    func testBadThresholdsAreRefusedNamingTheSetting() {
        XCTAssertThrowsError(try DataQualityChecker(thresholds: QualityThresholds(nullRateWarning: 0.6, nullRateError: 0.5))) {
            XCTAssertTrue(String(describing: $0).contains("quality.null_rate_warning"), String(describing: $0))
        }
        XCTAssertThrowsError(try DataQualityChecker(thresholds: QualityThresholds(maxCorrelation: 1.5)))
    }
}
