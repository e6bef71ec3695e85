import XCTest
@testable import ModelZoo

/// The test-row scores and permutation importance made tree by tree beside the fit must be the
/// numbers that scoring after the fit makes: `predictRaw` on the rows, and re-predicting every
/// shuffled matrix.
final class ConcurrentEvaluationTests: XCTestCase {
    private func tables(rows: Int, seed: UInt64) throws -> (train: FeatureMatrix, trainY: [Double], test: FeatureMatrix, testY: [Double]) {
        var data = SyntheticData(seed: seed)
        func columns(_ n: Int) -> [String: [Double]] {
            var a = data.normalColumn(n)
            for r in stride(from: 0, to: n, by: 17) { a[r] = .nan }
            return ["a": a, "b": data.uniformColumn(n), "c": (0..<n).map { _ in Double(Int(data.uniform(0...5.99))) },
                    "d": data.normalColumn(n), "unused_by_trees": Array(repeating: 1, count: n)]
        }
        func labels(_ c: [String: [Double]]) -> [Double] {
            (0..<c["b"]!.count).map { r in
                let a = c["a"]![r].isNaN ? 0.5 : c["a"]![r]
                return a + 2 * c["b"]![r] + (c["c"]![r] == 3 ? 1.5 : 0) + 0.3 * c["d"]![r] + 0.5 * data.normal()
            }
        }
        let train = columns(rows), test = columns(rows / 2)
        let trainX = try SyntheticData.matrix(train, categorical: ["c"])
        let testMatrix = try SyntheticData.matrix(test, categorical: ["c"])
        // The test columns in another order, plus one the model never saw: lookups go by name.
        let testX = try FeatureMatrix(names: testMatrix.names.reversed() + ["other"],
                                      columns: testMatrix.columns.reversed() + [data.normalColumn(rows / 2)],
                                      isCategorical: testMatrix.isCategorical.reversed() + [false])
        return (trainX, labels(train), testX, labels(test))
    }

    func testScoresAndPermutationImportanceEqualScoringAfterTheFit() throws {
        let (train, trainY, test, testY) = try tables(rows: 1_200, seed: 3)
        for objective in [ObjectiveKind.regression, .binary] {
            let y = objective == .binary ? trainY.map { $0 > 1.5 ? 1.0 : 0.0 } : trainY
            let labels = objective == .binary ? testY.map { $0 > 1.5 ? 1.0 : 0.0 } : testY
            let p = SyntheticData.parameters(trees: 40, leaves: 15, minDataInLeaf: 10)
            let evaluation = try ConcurrentEvaluation(x: test, featureNames: train.names, permutationRows: 250, repeats: 2, seed: 21)
            let model = try GBDTTrainer(objective: objective, parameters: p).fit(train, labels: y, evaluation: evaluation).model
            let loss: ([Double], [Double]) -> Double = objective == .binary
                ? { 1 - Metrics.auc(labels: $0, scores: $1) } : { Metrics.rmse(labels: $0, predictions: $1) }
            let first = Array(labels.prefix(250))
            let result = try XCTUnwrap(evaluation.finish(model: model, labels: first, loss: loss))
            XCTAssertEqual(result.raw, try model.predictRaw(test, threads: 1), "\(objective): the same sums in the same order")
            let repredicted = try PermutationImportance.compute(x: test.prefix(250), labels: first, repeats: 2, seed: 21,
                                                                predict: { try model.predict($0) }, loss: loss)
            XCTAssertEqual(result.importance, repredicted, "\(objective): bit for bit as re-predicting every shuffled matrix")
            XCTAssertEqual(result.importance[test.names.firstIndex(of: "other")!], 0)
            XCTAssertEqual(result.importance[test.names.firstIndex(of: "unused_by_trees")!], 0)
            XCTAssertGreaterThan(result.importance[test.names.firstIndex(of: "b")!], 0.05, "\(objective): shuffling b must hurt")
        }
    }

    func testMoreThanSixtyFourFeaturesShareMaskBitsButNotResults() throws {
        var data = SyntheticData(seed: 8)
        let features = 70, rows = 400
        let columns = (0..<features).map { _ in data.normalColumn(rows) }
        let y = (0..<rows).map { r in columns[3][r] - 2 * columns[67][r] + 0.5 * columns[40][r] + 0.1 * data.normal() }
        let x = try FeatureMatrix(names: (0..<features).map { "f\($0)" }, columns: columns, isCategorical: Array(repeating: false, count: features))
        let evaluation = try ConcurrentEvaluation(x: x, featureNames: x.names, permutationRows: rows, seed: 5)
        let model = try GBDTTrainer(objective: .regression, parameters: SyntheticData.parameters(trees: 15, minDataInLeaf: 5))
            .fit(x, labels: y, evaluation: evaluation).model
        let loss: ([Double], [Double]) -> Double = { Metrics.rmse(labels: $0, predictions: $1) }
        let result = try XCTUnwrap(evaluation.finish(model: model, labels: y, loss: loss))
        XCTAssertEqual(result.importance, try PermutationImportance.compute(x: x, labels: y, seed: 5, predict: { try model.predict($0) }, loss: loss))
        XCTAssertTrue(result.importance[3] > 0.1 && result.importance[67] > 0.1, "\(result.importance[3]), \(result.importance[67])")
    }

    func testTreesThatEarlyStoppingDropsLeaveNoResult() throws {
        let (train, trainY, test, testY) = try tables(rows: 800, seed: 4)
        var p = SyntheticData.parameters(trees: 300, leaves: 31, minDataInLeaf: 5)
        p.learningRate = 0.5
        p.earlyStoppingRounds = 3
        let evaluation = try ConcurrentEvaluation(x: test, featureNames: train.names, permutationRows: 100, seed: 1)
        let model = try GBDTTrainer(objective: .regression, parameters: p)
            .fit(train, labels: trainY, validation: (test, testY), evaluation: evaluation).model
        XCTAssertLessThan(model.trees.count, 300)
        XCTAssertNil(evaluation.finish(model: model, labels: Array(testY.prefix(100)), loss: { Metrics.rmse(labels: $0, predictions: $1) }),
                     "the trees seen are more than the model kept")
    }

    func testAFailedFitStillEndsTheThread() throws {
        let (train, trainY, test, _) = try tables(rows: 200, seed: 5)
        let evaluation = try ConcurrentEvaluation(x: test, featureNames: train.names, permutationRows: 50, seed: 1)
        XCTAssertThrowsError(try GBDTTrainer(objective: .regression, parameters: SyntheticData.parameters())
            .fit(train, labels: Array(trainY.dropLast()), evaluation: evaluation))
        evaluation.close()
        evaluation.close()
        let model = try GBDTTrainer(objective: .regression, parameters: SyntheticData.parameters(trees: 3)).train(train, labels: trainY)
        XCTAssertNil(evaluation.finish(model: model, labels: [], loss: { _, _ in 0 }), "no fit started: nothing to report")
    }
}
