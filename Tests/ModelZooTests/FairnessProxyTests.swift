import Dataset
import XCTest
@testable import ModelZoo

final class FairnessProxyTests: XCTestCase {
    // Fixture values from scipy 1.17.1 / numpy:
    //   a = np.array(<a>); b = np.array(<b>); x = np.array(<x>)
    //   association(crosstab(a, b).count, method='cramer')            -> 0.6042179781166439
    //   eta of x across a: sqrt(sum n_k (mean_k - mean)^2 / sum (x - mean)^2) -> 0.9146715697596156
    //   abs(np.corrcoef(x, b)[0, 1])                                   -> 0.42591967746451226
    let a: [Int32] = [0, 1, 2, 0, 1, 2, 0, 0, 1, 2, 2, 1, 0, 1, 2, 0, 1, 1, 2, 0]
    let b: [Int32] = [0, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1]
    let x = [1.5, 2.0, 3.5, 0.5, 2.5, 4.0, 1.0, 0.0, 3.0, 5.0, 4.5, 2.0, 1.0, 2.5, 3.5, 0.5, 1.5, 3.0, 4.0, 2.0]

    func testCramersVEqualsScipy() throws {
        XCTAssertEqual(try XCTUnwrap(Association.cramersV(a, levels: 3, b, levels: 2)), 0.6042179781166439, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(Association.cramersV(a, levels: 3, a, levels: 3)), 1, accuracy: 1e-12)
        XCTAssertNil(Association.cramersV(a, levels: 3, Array(repeating: 0, count: a.count), levels: 2), "one column level only")
    }

    func testCorrelationRatioAndItsTwoGroupCaseIsAbsolutePearson() throws {
        XCTAssertEqual(try XCTUnwrap(Association.correlationRatio(x, groups: a, groupCount: 3)), 0.9146715697596156, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(Association.correlationRatio(x, groups: b, groupCount: 2)), 0.42591967746451226, accuracy: 1e-12)
        XCTAssertNil(Association.correlationRatio(Array(repeating: 3, count: a.count), groups: a, groupCount: 3))
    }

    func testMissingValuesAreLeftOutOfThePair() throws {
        var withMissing = x
        withMissing.append(.nan)
        let groups = a + [1]
        XCTAssertEqual(Association.correlationRatio(withMissing, groups: groups, groupCount: 3),
                       Association.correlationRatio(x, groups: a, groupCount: 3))
        XCTAssertEqual(Association.cramersV(a + [-1], levels: 3, b + [1], levels: 2), Association.cramersV(a, levels: 3, b, levels: 2))
    }

    func testDetectorListsOnlyFeaturesAboveTheThreshold() throws {
        let table = try Table(names: ["strong_numeric", "weak_numeric", "strong_category", "region"], columns: [
            .numeric(x), .numeric(x.indices.map { Double($0 % 2) }),
            .categorical(codes: b, levels: ["lo", "hi"]), .categorical(codes: a, levels: ["eu", "na", "apac"]),
        ])
        let findings = try ProxyDetector().detect(in: table, features: ["strong_numeric", "weak_numeric", "strong_category"], sensitive: ["region"])
        XCTAssertEqual(findings.map(\.feature), ["strong_numeric", "strong_category"])
        XCTAssertEqual(findings.map(\.measure), [.correlationRatio, .cramersV])
        XCTAssertEqual(findings[0].value, 0.9146715697596156, accuracy: 1e-12)
        XCTAssertEqual(findings[0].threshold, 0.6)
        XCTAssertEqual(try ProxyDetector(threshold: 0.95).detect(in: table, features: ["strong_numeric"], sensitive: ["region"]), [])
        XCTAssertThrowsError(try ProxyDetector().detect(in: table, features: ["nope"], sensitive: ["region"]))
    }

    func testGeneratedCustomersHaveNoProxyForTheirSensitiveAttributes() throws {
        let customers = CustomerGenerator(rows: 3000, seed: 11).generate().customers
        let findings = try ProxyDetector().detect(in: customers, features: CustomerSchema.featureNames, sensitive: CustomerSchema.sensitive)
        XCTAssertEqual(findings, [], "\(findings)")
    }
}

final class FairnessProhibitedAttributeTests: XCTestCase {
    func testProhibitedFeaturesAreRefusedNamingTheColumn() {
        XCTAssertNoThrow(try ProhibitedAttributes.check(features: ["sessions_per_week", "region_code"]))
        XCTAssertThrowsError(try ProhibitedAttributes.check(features: ["sessions_per_week", "Marital-Status"])) {
            XCTAssertEqual($0 as? FairnessError, .prohibitedFeature(column: "Marital-Status", attribute: "marital_status"))
            XCTAssertTrue(String(describing: $0).contains("column 'Marital-Status'"), String(describing: $0))
        }
        XCTAssertEqual(ProhibitedAttributes.matches(in: ["race", "x", "National Origin"]).map(\.column), ["race", "National Origin"])
        for name in CustomerSchema.prohibited {
            XCTAssertThrowsError(try ProhibitedAttributes.check(features: [name]), name)
        }
    }
}
