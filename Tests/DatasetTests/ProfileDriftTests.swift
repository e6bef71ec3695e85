import Dataset
import XCTest

/// Drift against a stored profile agrees with drift against the reference rows themselves
/// when the profile keeps every value, and `DriftSpec` changes the data the way it says.
final class ProfileDriftTests: XCTestCase {
    private func table(rows: Int, seed: UInt64, shift: Double = 0) throws -> Table {
        var random = SeededRandom(seed: seed)
        let x = (0..<rows).map { _ in random.bernoulli(0.05) ? Double.nan : random.normal() + shift }
        let levels = ["basic", "plus", "pro"]
        let plan = (0..<rows).map { _ in Int32(random.index(below: 3)) }
        return try Table(names: ["x", "plan"], columns: [.numeric(x), .categorical(codes: plan, levels: levels)])
    }

    func testAProfileOfEveryValueGivesTheSameReportAsTheReferenceRows() throws {
        let reference = try table(rows: 3000, seed: 1), current = try table(rows: 2000, seed: 2, shift: 0.2)
        let detector = try DriftDetector()
        let direct = try detector.compare(reference: reference, current: current, features: ["x", "plan"])
        let profiles = try ["x", "plan"].map { ($0, FeatureProfile(try reference.column($0))) }
        let stored = try detector.compare(profiles: profiles, current: current)
        XCTAssertEqual(direct.features.map(\.feature), stored.features.map(\.feature))
        for (a, b) in zip(direct.features, stored.features) {
            XCTAssertEqual(a.psi ?? .nan, b.psi ?? .nan, accuracy: 1e-12, a.feature)
            XCTAssertEqual(a.pValue ?? .nan, b.pValue ?? .nan, accuracy: 1e-6, a.feature)
            XCTAssertEqual(a.drifted, b.drifted, a.feature)
            XCTAssertEqual(a.missingRateChange ?? .nan, b.missingRateChange ?? .nan, accuracy: 1e-12, a.feature)
        }
        XCTAssertEqual(direct.drifted, stored.drifted)
    }

    func testTheKSSampleIsBoundedAndDeterministic() throws {
        let values = (0..<50_000).map { Double(($0 * 7919) % 50_000) }
        let a = FeatureProfile.Numeric(values), b = FeatureProfile.Numeric(values)
        XCTAssertEqual(a, b)
        XCTAssertLessThanOrEqual(a.sample.count, FeatureProfile.sampleLimit)
        XCTAssertEqual(a.sample, a.sample.sorted())
        XCTAssertEqual(a.counts.count, 10)
        XCTAssertEqual(a.proportions.reduce(0, +), 1, accuracy: 1e-12)
    }

    func testDriftSpecsParseAndApply() throws {
        let data = CustomerGenerator(rows: 500, seed: 3).generate().customers
        let shifted = try DriftSpec(parsing: "covariate:days_since_last_login=+2sd").apply(to: data, seed: 3)
        let before = try data.numeric("days_since_last_login").filter { !$0.isNaN }, after = try shifted.numeric("days_since_last_login").filter { !$0.isNaN }
        XCTAssertGreaterThan(after.reduce(0, +) / Double(after.count), before.reduce(0, +) / Double(before.count))
        let flipped = try DriftSpec(parsing: "concept").apply(to: data, seed: 3)
        XCTAssertEqual(zip(try data.numeric("churn_30_day"), try flipped.numeric("churn_30_day")).filter { $0 + $1 != 1 }.count, 0)
        XCTAssertEqual(try DriftSpec(parsing: "mix:region=north@0.5"), .mix(feature: "region", level: "north", share: 0.5))
        XCTAssertThrowsError(try DriftSpec(parsing: "covariate:x=2"))
        XCTAssertThrowsError(try DriftSpec(parsing: "shift:x"))
    }
}
