import Dataset
import Foundation
import XCTest
@testable import ModelZoo

/// The anomaly model on the full generated data set (100,000 customers), against
/// scikit-learn's IsolationForest. Run with `ENGAGE_LONG_TESTS=1 swift test -c release --filter AnomalyLongTests`.
final class AnomalyLongTests: XCTestCase {
    override func setUpWithError() throws {
        try FullSizeData.require()
    }

    /// scikit-learn 1.9.1 on the same matrix (the 53 feature columns of `CustomerGenerator(rows: 100_000,
    /// seed: 42)`, categorical codes as numbers, NaN left in):
    /// ```
    /// [roc_auc_score(y, -IsolationForest(n_estimators=100, max_samples=256, random_state=s).fit(X).score_samples(X))
    ///  for s in (0, 1, 2)]   # → 0.93913, 0.95815, 0.95250; mean 0.94993
    /// ```
    /// Over 60 seeds scikit-learn averages 0.9493 (sd 0.0107): the reference for engage's mean
    /// over 10 seeds (3 seeds cannot separate two forests whose AUC moves by 0.011 per seed). The
    /// forest now splits as scikit-learn's does, so the two means differ by seed noise alone (the
    /// standard error of a 10-seed mean is 0.0034); the bar is the real-data issue's, scikit-learn − 0.005.
    static let scikitLearnAUC = [0.93913, 0.95815, 0.95250]
    static let scikitLearn60SeedAUC = 0.9493
    static let forestMargin = 0.005

    func testIsolationForestMatchesScikitLearnAndDetectorBeatsBothParts() throws {
        let data = CustomerGenerator(rows: 100_000, seed: 42).generate()
        let x = try FeatureMatrix(table: data.customers, features: CustomerSchema.featureNames)
        let labels = try data.customers.numeric(CustomerSchema.anomalyLabel)
        let clock = ContinuousClock()
        var forestAUC = [Double]()
        for seed in UInt64(0)..<10 {
            var p = IsolationForestParameters()
            p.seed = seed
            let start = clock.now
            let scores = try IsolationForestTrainer(parameters: p).fit(x).score(x)
            let seconds = (clock.now - start).seconds
            forestAUC.append(Metrics.auc(labels: labels, scores: scores))
            print(String(format: "isolation forest seed %d: AUC %.5f, fit + score %.3f s", seed, forestAUC.last!, seconds))
        }
        let mean = forestAUC.reduce(0, +) / 10, firstThree = forestAUC.prefix(3).reduce(0, +) / 3
        print(String(format: "isolation forest mean AUC %.5f over 10 seeds (seeds 0-2: %.5f, scikit-learn %.5f), scikit-learn over 60 seeds %.5f",
                     mean, firstThree, Self.scikitLearnAUC.reduce(0, +) / 3, Self.scikitLearn60SeedAUC))
        XCTAssertGreaterThanOrEqual(mean, Self.scikitLearn60SeedAUC - Self.forestMargin)

        let start = clock.now
        let detector = try AnomalyDetectorTrainer().fit(x)
        let fitted = clock.now
        let result = try detector.evaluate(x)
        let forest = Metrics.auc(labels: labels, scores: result.forest)
        let autoencoder = Metrics.auc(labels: labels, scores: result.autoencoder)
        let combined = Metrics.auc(labels: labels, scores: result.score)
        let flagged = result.flag.filter { $0 }.count
        let hits = zip(result.flag, labels).filter { $0.0 && $0.1 == 1 }.count
        print(String(format: "detector: IF AUC %.5f, AE AUC %.5f, combined (%@) AUC %.5f; flagged %d rows, %d anomalies; fit %.2f s, score %.2f s",
                     forest, autoencoder, detector.combination.rawValue, combined, flagged, hits, (fitted - start).seconds,
                     (clock.now - fitted).seconds))
        XCTAssertGreaterThanOrEqual(combined, max(forest, autoencoder))
        XCTAssertEqual(Double(flagged), 1_000, accuracy: 5)
    }
}

/// Gate for the tests that run on full-size data: they need `ENGAGE_LONG_TESTS=1` and an
/// optimised build (in a debug build they would take hours, not minutes).
enum FullSizeData {
    static func require() throws {
        guard ProcessInfo.processInfo.environment["ENGAGE_LONG_TESTS"] == "1" else {
            throw XCTSkip("full-size model test: set ENGAGE_LONG_TESTS=1 (make test-long)")
        }
        #if DEBUG
        throw XCTSkip("full-size model test: needs an optimised build (swift test -c release)")
        #endif
    }
}
