import XCTest
@testable import ModelZoo

/// Metrics against values computed by scikit-learn 1.9.1 (numpy float64) with:
///
/// ```python
/// import numpy as np
/// from sklearn.metrics import (roc_auc_score, r2_score, root_mean_squared_error, mean_absolute_error,
///                              log_loss, mean_pinball_loss, accuracy_score)
/// y = np.array([0,1,1,0,1,0,0,1,1,0,1,0,1,1,0,0,1,0,1,0], dtype=float)
/// s = np.array([0.1,0.8,0.8,0.3,0.6,0.3,0.2,0.9,0.4,0.4,0.7,0.5,0.5,1.0,0.0,0.6,0.35,0.05,0.95,0.8])
/// r = np.array([3.2,-1.0,4.5,0.0,2.2,7.1,-3.3,1.5,1.5,2.0,0.4,-0.8,5.5,3.3,2.1,-2.2,0.9,4.0,1.1,6.0])
/// p = np.array([2.9,-0.5,4.0,0.7,2.0,6.0,-2.0,1.5,2.5,1.0,0.0,-1.0,5.0,3.5,2.5,-3.0,1.2,3.0,0.5,5.0])
/// roc_auc_score(y, s)                      # 0.865
/// r2_score(r, p)                           # 0.9298548224809544
/// root_mean_squared_error(r, p)            # 0.6985699678629191
/// mean_absolute_error(r, p)                # 0.6
/// log_loss(y, s)                           # 0.44762751075912705
/// mean_pinball_loss(r, p, alpha=0.1)       # 0.2359999999999999   (0.5 → 0.3, 0.9 → 0.36400000000000005)
/// accuracy_score(y, (s > 0.5))             # 0.75
/// log_loss([1,0,1], [0.0,0.2,1.0])         # 12.088932313477121  (clipping at float64 eps)
/// roc_auc_score([0,0,1,1,1], [0.5,0.5,0.5,0.5,0.2])   # 0.3333333333333333
/// r2_score([2,2,2], [2,2,2]), r2_score([2,2,2], [2,2,1])  # 1.0, 0.0
/// ```
final class MetricsTests: XCTestCase {
    let y: [Double] = [0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0]
    let s: [Double] = [0.1, 0.8, 0.8, 0.3, 0.6, 0.3, 0.2, 0.9, 0.4, 0.4, 0.7, 0.5, 0.5, 1.0, 0.0, 0.6, 0.35, 0.05, 0.95, 0.8]
    let r: [Double] = [3.2, -1.0, 4.5, 0.0, 2.2, 7.1, -3.3, 1.5, 1.5, 2.0, 0.4, -0.8, 5.5, 3.3, 2.1, -2.2, 0.9, 4.0, 1.1, 6.0]
    let p: [Double] = [2.9, -0.5, 4.0, 0.7, 2.0, 6.0, -2.0, 1.5, 2.5, 1.0, 0.0, -1.0, 5.0, 3.5, 2.5, -3.0, 1.2, 3.0, 0.5, 5.0]
    let tolerance = 1e-9

    func testAUCWithTiesMatchesScikitLearn() {
        XCTAssertEqual(Metrics.auc(labels: y, scores: s), 0.865, accuracy: tolerance)
        XCTAssertEqual(Metrics.auc(labels: [0, 0, 1, 1, 1], scores: [0.5, 0.5, 0.5, 0.5, 0.2]), 0.3333333333333333,
                       accuracy: tolerance)
    }

    func testAUCIsInvariantToMonotoneTransformsAndNaNForOneClass() {
        XCTAssertEqual(Metrics.auc(labels: y, scores: s.map { exp(3 * $0) }), Metrics.auc(labels: y, scores: s))
        XCTAssertTrue(Metrics.auc(labels: [1, 1], scores: [0.2, 0.3]).isNaN)
    }

    func testRegressionMetricsMatchScikitLearn() {
        XCTAssertEqual(Metrics.r2(labels: r, predictions: p), 0.9298548224809544, accuracy: tolerance)
        XCTAssertEqual(Metrics.rmse(labels: r, predictions: p), 0.6985699678629191, accuracy: tolerance)
        XCTAssertEqual(Metrics.mae(labels: r, predictions: p), 0.6, accuracy: tolerance)
        XCTAssertEqual(Metrics.r2(labels: [2, 2, 2], predictions: [2, 2, 2]), 1.0)
        XCTAssertEqual(Metrics.r2(labels: [2, 2, 2], predictions: [2, 2, 1]), 0.0)
    }

    func testLogLossMatchesScikitLearnIncludingClipping() {
        XCTAssertEqual(Metrics.logLoss(labels: y, probabilities: s), 0.44762751075912705, accuracy: tolerance)
        XCTAssertEqual(Metrics.logLoss(labels: [1, 0, 1], probabilities: [0.0, 0.2, 1.0]), 12.088932313477121,
                       accuracy: tolerance)
    }

    func testPinballMatchesScikitLearn() {
        XCTAssertEqual(Metrics.pinball(labels: r, predictions: p, alpha: 0.1), 0.2359999999999999, accuracy: tolerance)
        XCTAssertEqual(Metrics.pinball(labels: r, predictions: p, alpha: 0.5), 0.3, accuracy: tolerance)
        XCTAssertEqual(Metrics.pinball(labels: r, predictions: p, alpha: 0.9), 0.36400000000000005, accuracy: tolerance)
    }

    func testAccuracyUsesStrictThreshold() {
        XCTAssertEqual(Metrics.accuracy(labels: y, probabilities: s), 0.75, accuracy: tolerance)
        XCTAssertEqual(Metrics.accuracy(labels: [0, 1], probabilities: [0.5, 0.5]), 0.5)
    }

    func testEmptyInputGivesNaN() {
        XCTAssertTrue(Metrics.rmse(labels: [], predictions: []).isNaN)
        XCTAssertTrue(Metrics.auc(labels: [], scores: []).isNaN)
    }

    func testEvaluationMetricDirections() {
        XCTAssertTrue(AUCMetric().isBetter(0.8, than: 0.7))
        XCTAssertTrue(LogLossMetric().isBetter(0.2, than: 0.3))
        XCTAssertFalse(RMSEMetric().isBetter(0.3, than: 0.3))
        XCTAssertEqual(PinballMetric(alpha: 0.9).evaluate(labels: r, outputs: p), 0.36400000000000005, accuracy: tolerance)
    }
}
