import XCTest
@testable import ModelZoo

final class GBDTBinaryTests: XCTestCase {
    func testSeparableRuleGivesPerfectAUC() throws {
        var data = SyntheticData(seed: 21)
        func sample(_ n: Int) -> (FeatureMatrix, [Double]) {
            let x1 = data.uniformColumn(n), x2 = data.normalColumn(n)
            let y = zip(x1, x2).map { $0 > 0.6 && $1 > -0.5 ? 1.0 : 0.0 }
            return (try! SyntheticData.matrix(["x1": x1, "x2": x2]), y)
        }
        let (train, trainY) = sample(2_000)
        let (test, testY) = sample(1_000)
        let model = try GBDTTrainer(objective: .binary, parameters: SyntheticData.parameters(trees: 50))
            .train(train, labels: trainY)
        let probabilities = try model.predict(test)
        XCTAssertGreaterThan(Metrics.auc(labels: testY, scores: probabilities), 0.998)
        XCTAssertTrue(probabilities.allSatisfy { $0 > 0 && $0 < 1 })
        XCTAssertGreaterThan(Metrics.accuracy(labels: testY, probabilities: probabilities), 0.98)
    }

    func testLogisticDataMatchesTrueProbabilityAUCAndIsCalibrated() throws {
        var data = SyntheticData(seed: 22)
        func sample(_ n: Int) -> (FeatureMatrix, [Double], [Double]) {
            let x1 = data.normalColumn(n), x2 = data.normalColumn(n), x3 = data.normalColumn(n)
            let truth = (0..<n).map { BinaryLogisticObjective.sigmoid(1.5 * x1[$0] - 2 * x2[$0] + 0.5 * x3[$0] - 0.5) }
            let y = truth.map { data.uniform() < $0 ? 1.0 : 0.0 }
            return (try! SyntheticData.matrix(["x1": x1, "x2": x2, "x3": x3]), y, truth)
        }
        let (train, trainY, _) = sample(8_000)
        let (test, testY, truth) = sample(8_000)
        var p = SyntheticData.parameters(trees: 150, leaves: 7)
        p.learningRate = 0.05
        p.minDataInLeaf = 50
        let model = try GBDTTrainer(objective: .binary, parameters: p).train(train, labels: trainY)
        let probabilities = try model.predict(test)
        let bayes = Metrics.auc(labels: testY, scores: truth)
        XCTAssertEqual(Metrics.auc(labels: testY, scores: probabilities), bayes, accuracy: 0.01)
        let rate = testY.reduce(0, +) / Double(testY.count)
        let meanProbability = probabilities.reduce(0, +) / Double(probabilities.count)
        XCTAssertEqual(meanProbability, rate, accuracy: 0.015)
        let raw = try model.predictRaw(test)
        for (r, probability) in zip(raw, probabilities).prefix(20) {
            XCTAssertEqual(BinaryLogisticObjective.sigmoid(r), probability, accuracy: 1e-15)
        }
    }

    func testInitialScoreIsLogOddsOfPositiveRate() throws {
        let objective = try ObjectiveKind.binary.makeObjective(labels: [1, 0, 0, 0])
        XCTAssertEqual(objective.initialScore(), log(0.25 / 0.75), accuracy: 1e-12)
        XCTAssertThrowsError(try ObjectiveKind.binary.makeObjective(labels: [0, 2])) { error in
            XCTAssertTrue("\(error)".contains("0 or 1"), "\(error)")
        }
    }

    func testBinaryGradientsAreDerivativesOfLogLoss() throws {
        let labels: [Double] = [0, 1, 1, 0]
        let scores: [Double] = [-1.3, 0.2, 2.5, 0.7]
        let objective = try ObjectiveKind.binary.makeObjective(labels: labels)
        var g = [Double](repeating: 0, count: 4), h = g
        scores.withUnsafeBufferPointer { s in
            g.withUnsafeMutableBufferPointer { gp in
                h.withUnsafeMutableBufferPointer { hp in
                    objective.computeGradients(scores: s.baseAddress!, gradients: gp.baseAddress!,
                                               hessians: hp.baseAddress!, range: 0..<4)
                }
            }
        }
        func loss(_ s: Double, _ y: Double) -> Double { -(y * log(1 / (1 + exp(-s))) + (1 - y) * log(1 - 1 / (1 + exp(-s)))) }
        let e = 1e-5
        for i in 0..<4 {
            let numeric = (loss(scores[i] + e, labels[i]) - loss(scores[i] - e, labels[i])) / (2 * e)
            let second = (loss(scores[i] + e, labels[i]) - 2 * loss(scores[i], labels[i]) + loss(scores[i] - e, labels[i])) / (e * e)
            XCTAssertEqual(g[i], numeric, accuracy: 1e-6)
            XCTAssertEqual(h[i], second, accuracy: 1e-4)
        }
    }
}
