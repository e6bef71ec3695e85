import XCTest
@testable import ModelZoo

final class GBDTRegressionTests: XCTestCase {
    private func step(_ x: Double) -> Double { x < 3 ? 1 : (x < 7 ? 5 : -2) }

    /// x on a grid of 100 values (each its own bin), so both steps fall between bins.
    func testStepFunctionIsRecovered() throws {
        var data = SyntheticData(seed: 1)
        func sample(_ n: Int) -> FeatureMatrix {
            try! SyntheticData.matrix(["x": (0..<n).map { _ in Double(Int(data.uniform(0...99.999))) / 10 },
                                       "noise": data.uniformColumn(n)])
        }
        let train = sample(2_000)
        let y = train.columns[train.index(of: "x")!].map(step)
        var p = SyntheticData.parameters(trees: 40, leaves: 4)
        p.learningRate = 0.5
        let model = try GBDTTrainer(objective: .regression, parameters: p).train(train, labels: y)
        XCTAssertLessThan(Metrics.rmse(labels: y, predictions: try model.predict(train)), 1e-9)
        let test = sample(1_000)
        let truth = test.columns[test.index(of: "x")!].map(step)
        XCTAssertLessThan(Metrics.rmse(labels: truth, predictions: try model.predict(test)), 1e-9)
        XCTAssertEqual(model.trees[0].threshold[0], 6.95, accuracy: 1e-12, "first split between 6.9 and 7.0")
    }

    func testLinearSignalWithNoiseReachesHighR2() throws {
        var data = SyntheticData(seed: 2)
        func sample(_ n: Int) -> (FeatureMatrix, [Double]) {
            let x1 = data.uniformColumn(n), x2 = data.uniformColumn(n)
            let noise = (0..<3).map { _ in data.uniformColumn(n) }
            let y = (0..<n).map { x1[$0] + 2 * x2[$0] + 0.05 * data.normal() }
            let x = try! SyntheticData.matrix(["x1": x1, "x2": x2, "n1": noise[0], "n2": noise[1], "n3": noise[2]])
            return (x, y)
        }
        let (train, trainY) = sample(3_000)
        let (test, testY) = sample(2_000)
        let model = try GBDTTrainer(objective: .regression, parameters: SyntheticData.parameters(trees: 150))
            .train(train, labels: trainY)
        XCTAssertGreaterThan(Metrics.r2(labels: testY, predictions: try model.predict(test)), 0.95)
        let importance = Dictionary(uniqueKeysWithValues: model.importance().map { ($0.feature, $0.gain) })
        XCTAssertGreaterThan(importance["x2"]!, importance["x1"]!)
        XCTAssertGreaterThan(importance["x1"]!, 10 * importance["n1"]!)
    }

    func testConstantLabelPredictsTheConstant() throws {
        var data = SyntheticData(seed: 3)
        let x = try SyntheticData.matrix(["a": data.uniformColumn(500), "b": data.normalColumn(500)])
        let model = try GBDTTrainer(objective: .regression, parameters: SyntheticData.parameters())
            .train(x, labels: [Double](repeating: 4.25, count: 500))
        XCTAssertTrue(model.trees.isEmpty)
        XCTAssertEqual(try model.predict(x), [Double](repeating: 4.25, count: 500))
    }

    func testMissingValuesLearnTheirDefaultDirection() throws {
        var data = SyntheticData(seed: 4)
        let n = 3_000
        let x = (0..<n).map { i in i % 4 == 0 ? Double.nan : data.uniform() }
        var p = SyntheticData.parameters(trees: 1, leaves: 2)
        p.learningRate = 1
        // Missing rows behave like large values: they must join the right side of x ≤ 0.5.
        let high = x.map { $0.isNaN || $0 > 0.5 ? 1.0 : 0.0 }
        let right = try GBDTTrainer(objective: .regression, parameters: p).train(try SyntheticData.matrix(["x": x]), labels: high)
        XCTAssertEqual(right.trees[0].threshold[0], 0.5, accuracy: 0.01)
        XCTAssertFalse(right.trees[0].defaultLeft[0])
        // Missing rows behave like small values: they must join the left side.
        let low = x.map { $0.isNaN || $0 <= 0.5 ? 1.0 : 0.0 }
        let left = try GBDTTrainer(objective: .regression, parameters: p).train(try SyntheticData.matrix(["x": x]), labels: low)
        XCTAssertEqual(left.trees[0].threshold[0], 0.5, accuracy: 0.01)
        XCTAssertTrue(left.trees[0].defaultLeft[0])

        let probe = try SyntheticData.matrix(["x": [.nan, 0.1, 0.9]])
        let predictions = try left.predict(probe)
        XCTAssertEqual(predictions[0], 1, accuracy: 1e-9)
        XCTAssertEqual(predictions[1], 1, accuracy: 1e-9)
        XCTAssertEqual(predictions[2], 0, accuracy: 1e-9)
    }

    func testMissingnessItselfIsASignal() throws {
        var data = SyntheticData(seed: 5)
        let n = 3_000
        let x = (0..<n).map { i in i % 3 == 0 ? Double.nan : data.uniform() }
        let y = x.map { $0.isNaN ? 10 : $0 }
        let model = try GBDTTrainer(objective: .regression, parameters: SyntheticData.parameters(trees: 100))
            .train(try SyntheticData.matrix(["x": x]), labels: y)
        let predictions = try model.predict(try SyntheticData.matrix(["x": [.nan, 0.25, 0.75]]))
        XCTAssertEqual(predictions[0], 10, accuracy: 0.05)
        XCTAssertEqual(predictions[1], 0.25, accuracy: 0.1)
        XCTAssertEqual(predictions[2], 0.75, accuracy: 0.1)
    }

    func testNonMonotoneCategoricalEffectIsLearned() throws {
        let effect: [Double] = [3, -1, 4, 0, -2, 5, 1, -3, 2, 6]
        var data = SyntheticData(seed: 6)
        func sample(_ n: Int) -> (FeatureMatrix, [Double]) {
            let codes = (0..<n).map { _ in Double(Int(data.uniform(0...9.999))) }
            let other = data.uniformColumn(n)
            let y = codes.map { effect[Int($0)] + 0.1 * data.normal() }
            return (try! SyntheticData.matrix(["city": codes, "other": other], categorical: ["city"]), y)
        }
        let (train, trainY) = sample(3_000)
        let (test, testY) = sample(1_000)
        let model = try GBDTTrainer(objective: .regression, parameters: SyntheticData.parameters(trees: 60))
            .train(train, labels: trainY)
        XCTAssertGreaterThan(Metrics.r2(labels: testY, predictions: try model.predict(test)), 0.97)
        XCTAssertGreaterThanOrEqual(model.trees[0].categoricalSplit[0], 0, "the first split should be categorical")
        let left = Set(model.trees[0].leftCategories(node: 0))
        XCTAssertFalse(left.isEmpty)
        XCTAssertTrue(left.allSatisfy { (0..<10).contains($0) })

        let unseen = try model.predict(try SyntheticData.matrix(["city": [42, -1, .nan], "other": [0.5, 0.5, 0.5]],
                                                                categorical: ["city"]))
        XCTAssertTrue(unseen.allSatisfy(\.isFinite))
    }

    func testFewCategoriesUseOneVsRestSplits() throws {
        var data = SyntheticData(seed: 7)
        let codes = (0..<1_500).map { _ in Double(Int(data.uniform(0...2.999))) }
        let y = codes.map { $0 == 1 ? 5.0 : 0.0 }
        var p = SyntheticData.parameters(trees: 1, leaves: 2)
        p.learningRate = 1
        let model = try GBDTTrainer(objective: .regression, parameters: p)
            .train(try SyntheticData.matrix(["c": codes], categorical: ["c"]), labels: y)
        XCTAssertEqual(model.trees[0].leftCategories(node: 0), [1])
        let predictions = try model.predict(try SyntheticData.matrix(["c": [0, 1, 2]], categorical: ["c"]))
        for (got, expected) in zip(predictions, [0.0, 5, 0]) { XCTAssertEqual(got, expected, accuracy: 1e-9) }
    }

    func testRowsWithInfiniteValuesFollowTheirBins() throws {
        var data = SyntheticData(seed: 8)
        var x = data.uniformColumn(1_000)
        x[0] = .infinity
        x[1] = -.infinity
        let y = x.map { $0 > 0.5 ? 1.0 : 0.0 }
        let matrix = try SyntheticData.matrix(["x": x])
        let model = try GBDTTrainer(objective: .regression, parameters: SyntheticData.parameters(trees: 20))
            .train(matrix, labels: y)
        let predictions = try model.predict(matrix)
        XCTAssertGreaterThan(predictions[0], 0.8)
        XCTAssertLessThan(predictions[1], 0.2)
    }
}
