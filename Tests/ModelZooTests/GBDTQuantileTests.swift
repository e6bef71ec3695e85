import XCTest
@testable import ModelZoo

final class GBDTQuantileTests: XCTestCase {
    func testAlpha90CoversNinetyPercentOfFreshData() throws {
        var data = SyntheticData(seed: 31)
        func sample(_ n: Int) -> (FeatureMatrix, [Double]) {
            let x = data.uniformColumn(n, 0...4), other = data.uniformColumn(n)
            let y = x.map { $0 + (1 + 0.5 * $0) * data.uniform() }
            return (try! SyntheticData.matrix(["x": x, "other": other]), y)
        }
        let (train, trainY) = sample(4_000)
        let (test, testY) = sample(4_000)
        let model = try GBDTTrainer(objective: .quantile(alpha: 0.9), parameters: SyntheticData.parameters(trees: 100, leaves: 7))
            .train(train, labels: trainY)
        let predictions = try model.predict(test)
        let coverage = Double(zip(testY, predictions).filter { $0 <= $1 }.count) / Double(testY.count)
        XCTAssertEqual(coverage, 0.9, accuracy: 0.02)
        // The true 0.9-quantile is x + 0.9·(1 + 0.5x); the model's pinball loss should be close to it.
        let x = test.columns[test.index(of: "x")!]
        let truth = x.map { $0 + 0.9 * (1 + 0.5 * $0) }
        let optimal = Metrics.pinball(labels: testY, predictions: truth, alpha: 0.9)
        XCTAssertLessThan(Metrics.pinball(labels: testY, predictions: predictions, alpha: 0.9), optimal * 1.05)
    }

    func testInitialScoreIsLabelPercentile() throws {
        let labels = (1...10).map(Double.init)
        let objective = try ObjectiveKind.quantile(alpha: 0.5).makeObjective(labels: labels)
        XCTAssertEqual(objective.initialScore(), 5.5, accuracy: 1e-12)
        // Initial scores LightGBM 4.7 gives these labels (single-leaf models, see referencePercentile).
        let sample: [Double] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
        for (alpha, expected) in [(0.1, 1.0), (0.3, 3.0), (0.9, 6.0)] {
            XCTAssertEqual(try ObjectiveKind.quantile(alpha: alpha).makeObjective(labels: sample).initialScore(), expected,
                           accuracy: 1e-12)
        }
        XCTAssertThrowsError(try ObjectiveKind.quantile(alpha: 1.5).makeObjective(labels: labels))
    }

    /// numpy's default `np.quantile` (method "linear") written out with a full sort. LightGBM 4.7
    /// agrees: with `min_data_in_leaf` above the row count, a 1-iteration quantile model's
    /// single leaf is its initial score, and for labels 1...10 at alpha 0.5 it is 5.5.
    private func referencePercentile(_ values: [Double], alpha: Double) -> Double {
        let sorted = values.sorted()
        if sorted.count <= 1 { return sorted.first ?? 0 }
        let h = alpha * Double(sorted.count - 1)
        let k = Int(h.rounded(.down))
        return k + 1 < sorted.count ? sorted[k] + (h - Double(k)) * (sorted[k + 1] - sorted[k]) : sorted[k]
    }

    func testPercentileMatchesNumpyLinearAsLightGBM() {
        var data = SyntheticData(seed: 32)
        for trial in 0..<300 {
            let n = 1 + trial % 37
            var values = (0..<n).map { _ in trial % 3 == 0 ? Double(Int(data.uniform(0...4))) : data.normal() }
            let alpha = [0.05, 0.1, 0.5, 0.9, 0.95, data.uniform(0.01...0.99)][trial % 6]
            let expected = referencePercentile(values, alpha: alpha)
            let got = values.withUnsafeMutableBufferPointer { Percentile.lightGBM($0, alpha: alpha) }
            XCTAssertEqual(got, expected, accuracy: 1e-12, "n=\(n) alpha=\(alpha)")
        }
    }

    func testSelectFindsOrderStatistics() {
        var data = SyntheticData(seed: 33)
        for trial in 0..<200 {
            let n = 1 + trial % 50
            let values = (0..<n).map { _ in Double(Int(data.uniform(0...6))) }
            let k = trial % n
            var copy = values
            let got = copy.withUnsafeMutableBufferPointer { Percentile.select($0, k: k) }
            XCTAssertEqual(got, values.sorted()[k])
            XCTAssertTrue(copy[..<k].allSatisfy { $0 <= got } && copy[k...].allSatisfy { $0 >= got })
        }
    }
}
