import Foundation
import XCTest
@testable import Dataset

final class DriftKolmogorovSmirnovTests: XCTestCase {
    // scipy 1.17.1: ks_2samp(a, b) -> (statistic, pvalue)
    func testExactTwoSampleEqualsScipyForEqualSizes() throws {
        let a = [0.61, -1.2, 0.33, 2.1, -0.45, 0.08, 1.7, -0.9], b = [1.4, 0.95, 2.6, 0.2, 1.1, 3.0, 0.7, 1.9]
        let result = try XCTUnwrap(KolmogorovSmirnov.test(a, b))
        XCTAssertEqual(result.method, .exact)
        XCTAssertEqual(result.statistic, 0.625, accuracy: 1e-15)
        XCTAssertEqual(result.pValue, 0.08702408702408701, accuracy: 1e-15)
    }

    func testExactTwoSampleEqualsScipyForUnequalSizesWithTies() throws {
        let result = try XCTUnwrap(KolmogorovSmirnov.test([0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5], [1, 1, 2, 3, 3, 7, 8, 9, 10]))
        XCTAssertEqual(result.method, .exact)
        XCTAssertEqual(result.statistic, 0.4444444444444444, accuracy: 1e-15)
        XCTAssertEqual(result.pValue, 0.32377622377622384, accuracy: 1e-15)
    }

    func testAsymptoticTwoSampleEqualsScipyAboveTenThousand() throws {
        // A = np.arange(12000) / 12000; B = np.arange(3000) / 3000 * 1.03 + 0.001; B2 = np.arange(90) / 90 * 1.2
        let a = (0..<12000).map { Double($0) / 12000 }
        let b = (0..<3000).map { Double($0) / 3000 * 1.03 + 0.001 }
        let result = try XCTUnwrap(KolmogorovSmirnov.test(a, b))
        XCTAssertEqual(result.method, .asymptotic)
        XCTAssertEqual(result.statistic, 0.030166666666666675, accuracy: 1e-15)
        XCTAssertEqual(result.pValue, 0.02483297095188919, accuracy: 1e-12)
        let small = try XCTUnwrap(KolmogorovSmirnov.test(a, (0..<90).map { Double($0) / 90 * 1.2 }))
        XCTAssertEqual(small.statistic, 0.16666666666666663, accuracy: 1e-15)
        XCTAssertEqual(small.pValue, 0.012504360166987067, accuracy: 1e-12, "n = round(12000·90/12090) = 89: Pomeranz's recursion")
    }

    func testMissingValuesAreLeftOutAndIdenticalSamplesDoNotDrift() throws {
        let result = try XCTUnwrap(KolmogorovSmirnov.test([1, 2, .nan, 3], [3, 2, 1]))
        XCTAssertEqual(result.statistic, 0)
        XCTAssertEqual(result.pValue, 1)
        XCTAssertEqual(result.sizes, [3, 3])
        XCTAssertNil(KolmogorovSmirnov.test([.nan], [1]))
    }

    func testKolmogorovSurvivalEqualsScipyInEveryRegime() {
        // scipy 1.17.1: kstwo.sf(x, n)
        let cases: [(n: Int, x: Double, sf: Double, regime: String)] = [
            (100, 0.05, 0.9532159710635725, "Durbin matrix, n ≤ 140"),
            (100, 0.15, 0.019839242125641813, "Pomeranz"),
            (100, 0.25, 5.408871776434847e-06, "Smirnov, n ≤ 140"),
            (1000, 0.012, 0.9984464668620097, "Durbin matrix, n > 140"),
            (200_000, 0.002, 0.39995085369038097, "Pelz–Good"),
            (5000, 0.03, 0.00024159234422666817, "Smirnov tail"),
            (5, 0.18, 0.987417088, "Ruben–Gambino, nx ≤ 1"),
            (5, 0.85, 0.0001518750000000001, "Ruben–Gambino, nx ≥ n − 1"),
            (20, 0.6, 2.0483011649719853e-07, "x ≥ 0.5"),
        ]
        for c in cases {
            XCTAssertEqual(KolmogorovDistribution.survival(n: c.n, x: c.x), c.sf, accuracy: c.sf * 1e-10, c.regime)
        }
        XCTAssertEqual(KolmogorovDistribution.survival(n: 500, x: 0.0009), 1, "nx ≤ 0.5")
    }
}

final class DriftTestsOfCategoriesAndStability: XCTestCase {
    // scipy 1.17.1: chi2_contingency(np.array(table)) -> (statistic, pvalue, dof)
    func testChiSquaredEqualsScipyWithAndWithoutYatesCorrection() throws {
        let cases: [(reference: [Int], current: [Int], statistic: Double, p: Double)] = [
            ([30, 20], [25, 35], 2.9699999999999998, 0.08482185440586089),
            ([100, 50, 30], [90, 70, 20], 5.859649122807017, 0.05340640686841989),
            ([500, 400, 300, 200, 100, 50], [450, 420, 330, 180, 90, 80], 13.049979545486607, 0.022914880355852207),
            ([5000, 3], [4000, 40], 38.91885544839427, 4.4179268951371734e-10),
        ]
        for c in cases {
            let levels = c.reference.indices.map { "level\($0)" }
            let result = try XCTUnwrap(ChiSquaredTest.test(reference: Dictionary(uniqueKeysWithValues: zip(levels, c.reference)),
                                                           current: Dictionary(uniqueKeysWithValues: zip(levels, c.current))))
            XCTAssertEqual(result.degreesOfFreedom, c.reference.count - 1)
            XCTAssertEqual(result.statistic, c.statistic, accuracy: c.statistic * 1e-13)
            XCTAssertEqual(result.pValue, c.p, accuracy: c.p * 1e-12)
        }
        XCTAssertNil(ChiSquaredTest.test(reference: ["a": 3], current: ["a": 5]), "one level: nothing to test")
    }

    func testChiSquaredSurvivalEqualsScipy() {
        // scipy 1.17.1: chi2.sf(x, k)
        let cases: [(k: Double, x: Double, sf: Double)] = [
            (1, 0.5, 0.47950012218695337), (1, 30, 4.3204630578274955e-08), (2, 3, 0.22313016014842982),
            (5, 11.07, 0.050009618622405425), (10, 200, 1.6139305336977317e-37), (3, 0.01, 0.9997348349413444),
        ]
        for c in cases {
            XCTAssertEqual(IncompleteGamma.upperRegularized(c.k / 2, c.x / 2), c.sf, accuracy: c.sf * 1e-12, "k=\(c.k) x=\(c.x)")
        }
    }

    // PSI as documented, in numpy:
    //   edges = unique-consecutive(np.quantile(sorted present reference, i / bins) for i in 1..bins-1)
    //   counts = np.bincount(np.searchsorted(edges, values, side='left'), minlength=len(edges) + 1), plus a missing bin
    //   shares floored at 1e-4; psi = sum((a - e) * log(a / e))
    func testPopulationStabilityIndexMatchesItsNumpyDefinition() throws {
        // ref = np.arange(1000) / 10.0; cur = np.arange(800) / 10.0 * 1.1 + 3   -> 0.21223650547559228
        let shifted = try XCTUnwrap(PopulationStabilityIndex.numeric(reference: (0..<1000).map { Double($0) / 10 },
                                                                     current: (0..<800).map { Double($0) / 10 * 1.1 + 3 }))
        XCTAssertEqual(shifted.value, 0.21223650547559228, accuracy: 1e-13)
        XCTAssertEqual(shifted.bins.count, 10)
        // ref2 = (np.arange(100) % 7) + 5 NaN; cur2 = (np.arange(60) % 5) + 20 NaN; bins=4 -> 1.3660148009698094
        let withMissing = try XCTUnwrap(PopulationStabilityIndex.numeric(
            reference: (0..<100).map { Double($0 % 7) } + Array(repeating: .nan, count: 5),
            current: (0..<60).map { Double($0 % 5) } + Array(repeating: .nan, count: 20), bins: 4))
        XCTAssertEqual(withMissing.value, 1.3660148009698094, accuracy: 1e-13)
        XCTAssertEqual(withMissing.bins.last?.label, "missing")
        XCTAssertEqual(PopulationStabilityIndex.numeric(reference: [1, 2, 3, 4], current: [4, 3, 2, 1])?.value, 0)
    }

    func testCategoricalStabilityIndex() throws {
        let result = try XCTUnwrap(PopulationStabilityIndex.categorical(reference: ["a": 50, "b": 50], current: ["a": 80, "b": 20]))
        let expected = (0.8 - 0.5) * log(0.8 / 0.5) + (0.2 - 0.5) * log(0.2 / 0.5)
        XCTAssertEqual(result.value, expected, accuracy: 1e-15)
        let newLevel = try XCTUnwrap(PopulationStabilityIndex.categorical(reference: ["a": 10], current: ["a": 5, "c": 5]))
        XCTAssertEqual(newLevel.value, (0.5 - 1) * log(0.5) + (0.5 - 1e-4) * log(0.5 / 1e-4), accuracy: 1e-12)
    }
}

final class DriftDetectorTests: XCTestCase {
    func customers(rows: Int, seed: UInt64) -> Table {
        CustomerGenerator(rows: rows, seed: seed).generate().customers
    }

    func testSameDistributionDoesNotDriftAndAShiftedOneDoes() throws {
        let reference = customers(rows: 3000, seed: 1), current = customers(rows: 1500, seed: 2)
        let features = ["sessions_per_week", "avg_session_minutes", "trust_score", "device_type", "platform", "subscription_tier"]
            .filter { reference.index(of: $0) != nil }
        XCTAssertGreaterThanOrEqual(features.count, 4)
        let detector = try DriftDetector()
        let stable = try detector.compare(reference: reference, current: current, features: features)
        XCTAssertFalse(stable.drifted, "\(stable.features)")
        XCTAssertEqual(stable.features.count, features.count)

        var shifted = current
        for name in features {
            if case .numeric(let values) = try current.column(name) {
                let mean = values.filter { !$0.isNaN }.reduce(0, +) / Double(values.count)
                try shifted.set(name, .numeric(values.map { $0 + 0.5 * mean + 1 }))
            } else if case .categorical(let codes, let levels) = try current.column(name) {
                try shifted.set(name, .categorical(codes: codes.map { $0 < 0 ? $0 : 0 }, levels: levels))
            }
        }
        let moved = try detector.compare(reference: reference, current: shifted, features: features)
        XCTAssertTrue(moved.drifted)
        XCTAssertEqual(moved.driftedFeatures, features)
        XCTAssertEqual(moved.share, 1)
        let numeric = try XCTUnwrap(moved.features.first { $0.test == .kolmogorovSmirnov })
        XCTAssertLessThan(try XCTUnwrap(numeric.pValue), 0.05)
        let decoded = try JSONDecoder().decode(DriftReport.self, from: JSONEncoder().encode(moved))
        XCTAssertEqual(decoded, moved)
    }

    func testMismatchedColumnsAreRefusedByName() throws {
        let reference = try Table(names: ["x"], columns: [.numeric([1, 2, 3])])
        let current = try Table(names: ["x"], columns: [.categorical(codes: [0, 0, 1], levels: ["a", "b"])])
        XCTAssertThrowsError(try DriftDetector().compare(reference: reference, current: current, features: ["x"])) {
            XCTAssertEqual(String(describing: $0), "drift: column 'x' is numeric in the reference data but text in the current data")
        }
        XCTAssertThrowsError(try DriftDetector().compare(reference: reference, current: reference, features: ["y"], sources: ("ref.csv", "new.csv"))) {
            XCTAssertEqual(String(describing: $0), "drift: ref.csv has no column 'y'")
        }
        XCTAssertThrowsError(try DriftDetector(thresholds: DriftThresholds(driftedShare: 0)))
        XCTAssertThrowsError(try DriftDetector(thresholds: DriftThresholds(bins: 1)))
    }

    func testAnAllMissingColumnTakesTheOtherSidesKindAndUnseenLevelsAreCounted() throws {
        let reference = try Table(names: ["c"], columns: [.categorical(codes: [0, 1, 0, 1], levels: ["a", "b"])])
        let current = try Table(names: ["c"], columns: [.categorical(codes: [0, 2, 2, -1], levels: ["a", "b", "z"])])
        let report = try DriftDetector().compare(reference: reference, current: current, features: ["c"])
        let c = try XCTUnwrap(report.features.first)
        XCTAssertEqual(c.unseenLevels, 1)
        XCTAssertEqual(c.unseenShare, 0.5)
        XCTAssertEqual(c.missingRateChange, 0.25)
        let empty = try Table(names: ["c"], columns: [.numeric([.nan, .nan])])
        let gone = try DriftDetector().compare(reference: reference, current: empty, features: ["c"])
        XCTAssertEqual(gone.features.first?.test, .chiSquared)
        XCTAssertNil(gone.features.first?.pValue)
        let json = try XCTUnwrap(String(data: JSONEncoder().encode(gone), encoding: .utf8))
        XCTAssertTrue(json.contains("\"p_value\":null"), json)
        XCTAssertFalse(json.lowercased().contains("nan"), json)
    }

    func testCorrectionsAdjustAsBonferroniAndBenjaminiHochbergDo() {
        let p: [Double?] = [0.01, 0.04, nil, 0.03, 0.005]
        XCTAssertEqual(PValueCorrection.none.adjust(p), p)
        XCTAssertEqual(PValueCorrection.bonferroni.adjust(p), [0.04, 0.16, nil, 0.12, 0.02])
        // statsmodels multipletests([0.01, 0.04, 0.03, 0.005], method="fdr_bh")[1] -> [0.02, 0.04, 0.04, 0.02]
        let bh = PValueCorrection.bh.adjust(p)
        for (value, expected) in zip(bh, [0.02, 0.04, nil, 0.04, 0.02] as [Double?]) {
            XCTAssertEqual(value ?? -1, expected ?? -1, accuracy: 1e-15)
        }
    }

    func testTheVerdictUsesAdjustedPValuesAndPSIAtTheThreshold() throws {
        let values = (0..<400).map { Double($0) / 400 }
        let reference = try Table(names: ["x", "y"], columns: [.numeric(values), .numeric(values)])
        let current = try Table(names: ["x", "y"], columns: [.numeric(values), .numeric(values.map { $0 + 0.15 })])
        let plain = try DriftDetector().compare(reference: reference, current: current, features: ["x", "y"])
        XCTAssertEqual(plain.driftedFeatures, ["y"])
        XCTAssertEqual(plain.features.first?.feature, "y", "drifted features first")
        XCTAssertTrue(plain.drifted, "1 of 2 ≥ 0.5")
        let strict = try DriftDetector(thresholds: DriftThresholds(alpha: 0.05, psiThreshold: 10, driftedShare: 0.6, correction: .bonferroni))
        let corrected = try strict.compare(reference: reference, current: current, features: ["x", "y"])
        let y = try XCTUnwrap(corrected.features.first { $0.feature == "y" })
        XCTAssertEqual(try XCTUnwrap(y.adjustedPValue), min(1, try XCTUnwrap(y.pValue) * 2), accuracy: 1e-15)
        XCTAssertFalse(corrected.drifted, "0.5 < 0.6")
    }
}
