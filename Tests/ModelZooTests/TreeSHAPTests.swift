import Dataset
@testable import ModelZoo
import XCTest

final class TreeSHAPTests: XCTestCase {
    private func randomModel(features: Int, rows: Int, trees: Int, leaves: Int, seed: UInt64, objective: ObjectiveKind = .regression) throws -> (GBDTModel, FeatureMatrix) {
        var rng = SeededRandom(seed: seed)
        var columns = (0..<features).map { _ in (0..<rows).map { _ in rng.normal() } }
        for r in 0..<rows where r % 17 == 0 { columns[1][r] = .nan }
        let labels = (0..<rows).map { r -> Double in
            let interaction = columns[1][r].isNaN ? 0.5 : columns[1][r] * columns[2 % features][r]
            let signal = sin(columns[0][r]) + interaction
            return objective == .binary ? (signal + rng.normal() * 0.3 > 0 ? 1 : 0) : signal + rng.normal() * 0.1
        }
        let x = try FeatureMatrix(names: (0..<features).map { "f\($0)" }, columns: columns, isCategorical: Array(repeating: false, count: features))
        var parameters = GBDTParameters()
        parameters.trees = trees
        parameters.leaves = leaves
        parameters.minDataInLeaf = 5
        parameters.threads = 1
        return (try GBDTTrainer(objective: objective, parameters: parameters).train(x, labels: labels), x)
    }

    /// E[f(x) | x_S] along the tree's cover (the "path-dependent" conditional expectation).
    private func conditionalExpectation(_ tree: RegressionTree, node: Int32, row: [Double], known: Set<Int>) -> Double {
        if node < 0 { return tree.leafValue[Int(~node)] }
        let n = Int(node)
        let feature = Int(tree.splitFeature[n])
        if known.contains(feature) {
            let next = tree.goesLeft(node: n, value: row[feature]) ? tree.leftChild[n] : tree.rightChild[n]
            return conditionalExpectation(tree, node: next, row: row, known: known)
        }
        func cover(_ child: Int32) -> Double { child < 0 ? Double(tree.leafCount[Int(~child)]) : Double(tree.internalCount[Int(child)]) }
        let left = tree.leftChild[n], right = tree.rightChild[n]
        return (cover(left) * conditionalExpectation(tree, node: left, row: row, known: known)
            + cover(right) * conditionalExpectation(tree, node: right, row: row, known: known)) / Double(tree.internalCount[n])
    }

    private func bruteForceShapley(_ model: GBDTModel, row: [Double]) -> [Double] {
        let m = row.count
        func value(_ known: Set<Int>) -> Double {
            model.baseScore + model.trees.reduce(0) { sum, tree in
                sum + (tree.numberOfInternalNodes == 0 ? tree.leafValue[0] : conditionalExpectation(tree, node: 0, row: row, known: known))
            }
        }
        func factorial(_ n: Int) -> Double { n <= 1 ? 1 : Double(n) * factorial(n - 1) }
        var phi = [Double](repeating: 0, count: m)
        for feature in 0..<m {
            let others = (0..<m).filter { $0 != feature }
            for mask in 0..<(1 << others.count) {
                let subset = Set(others.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element))
                let weight = factorial(subset.count) * factorial(m - subset.count - 1) / factorial(m)
                phi[feature] += weight * (value(subset.union([feature])) - value(subset))
            }
        }
        return phi
    }

    func testEqualsBruteForceShapleyValuesOnSmallRandomTrees() throws {
        for seed in [1, 2, 3] as [UInt64] {
            let (model, x) = try randomModel(features: 5, rows: 400, trees: 4, leaves: 8, seed: seed)
            let explainer = TreeSHAP(model: model)
            let (values, count) = try explainer.explain(x.rows(Array(0..<25)), threads: 1)
            for r in 0..<25 {
                let row = x.columns.map { $0[r] }
                let expected = bruteForceShapley(model, row: row)
                for f in 0..<count {
                    XCTAssertEqual(values[r * count + f], expected[f], accuracy: 1e-9, "seed \(seed) row \(r) feature \(f)")
                }
            }
        }
    }

    func testEqualsBruteForceOnDeepTreesWithCategoriesAndRepeatedFeatures() throws {
        // Three features and 24 leaves: paths split on the same feature again and again.
        var rng = SeededRandom(seed: 21)
        let rows = 600
        let codes = (0..<rows).map { r -> Double in r % 29 == 0 ? .nan : Double(Int(rng.uniform() * 6)) }
        let a = (0..<rows).map { _ in rng.normal() }
        let b = (0..<rows).map { r in r % 13 == 0 ? Double.nan : rng.normal() }
        let effect: [Double] = [1, -2, 0.5, 3, -1, 2]
        let labels = (0..<rows).map { r in
            (codes[r].isNaN ? 0 : effect[Int(codes[r])]) + sin(3 * a[r]) + (b[r].isNaN ? 1 : b[r] * a[r]) + rng.normal() * 0.1
        }
        let x = try FeatureMatrix(names: ["a", "b", "code"], columns: [a, b, codes], isCategorical: [false, false, true])
        var parameters = GBDTParameters()
        parameters.trees = 3
        parameters.leaves = 24
        parameters.minDataInLeaf = 3
        parameters.minDataPerGroup = 5
        parameters.catSmooth = 1
        parameters.threads = 1
        let model = try GBDTTrainer(objective: .regression, parameters: parameters).train(x, labels: labels)
        XCTAssertTrue(model.trees.contains { $0.categoricalSplit.contains { $0 >= 0 } }, "some split is categorical")
        let explainer = TreeSHAP(model: model)
        let sample = Array(stride(from: 0, to: rows, by: 23))
        let (values, count) = try explainer.explain(x.rows(sample), threads: 2)
        for (i, r) in sample.enumerated() {
            let expected = bruteForceShapley(model, row: x.columns.map { $0[r] })
            for f in 0..<count {
                XCTAssertEqual(values[i * count + f], expected[f], accuracy: 1e-9, "row \(r) feature \(f)")
            }
        }
    }

    func testGaussLegendreIntegratesPolynomialsExactly() {
        for points in 1...16 {
            let rule = GaussLegendre.rule(points: points)
            XCTAssertEqual(rule.weights.reduce(0, +), 1, accuracy: 1e-14)
            XCTAssertTrue(rule.nodes.allSatisfy { $0 > 0 && $0 < 1 })
            for power in 0...(2 * points - 1) {
                let integral = zip(rule.nodes, rule.weights).reduce(0) { $0 + $1.1 * pow($1.0, Double(power)) }
                XCTAssertEqual(integral, 1 / Double(power + 1), accuracy: 1e-14, "\(points) points, t^\(power)")
            }
        }
    }

    func testAdditivityOnEveryRowForRegressionAndBinary() throws {
        for objective in [ObjectiveKind.regression, .binary] {
            let (model, x) = try randomModel(features: 6, rows: 300, trees: 25, leaves: 31, seed: 7, objective: objective)
            let explainer = TreeSHAP(model: model)
            let (values, count) = try explainer.explain(x, threads: 2)
            let raw = try model.predictRaw(x)
            for r in 0..<x.rowCount {
                let total = explainer.expectedValue + (0..<count).reduce(0) { $0 + values[r * count + $1] }
                XCTAssertEqual(total, raw[r], accuracy: 1e-6, "row \(r)")
            }
        }
    }

    func testResultDoesNotDependOnThreadCount() throws {
        let (model, x) = try randomModel(features: 4, rows: 200, trees: 10, leaves: 15, seed: 11)
        let one = try TreeSHAP(model: model).explain(x, threads: 1).values
        let two = try TreeSHAP(model: model).explain(x, threads: 2).values
        XCTAssertEqual(one, two)
    }

    func testMemoizedPatternsGiveTheSameValuesAsComputingEveryLeaf() throws {
        let (model, x) = try randomModel(features: 6, rows: 300, trees: 20, leaves: 31, seed: 13, objective: .binary)
        let memoized = try TreeSHAP(model: model).explain(x, threads: 1).values
        let direct = try TreeSHAP(model: model, memoizedFeatures: 0).explain(x, threads: 1).values
        XCTAssertEqual(memoized, direct)
        let few = try TreeSHAP(model: model).explain(x.rows(Array(0..<5)), threads: 1).values
        XCTAssertEqual(few, Array(memoized.prefix(few.count)), "a block too small to memoize gives the same values")
    }

    func testAdditivityOnAPathOfMoreThanSixtyFourDistinctFeatures() throws {
        // A chain: node i splits on feature i, left to leaf i, right to node i + 1.
        let depth = 70
        let leaves = depth + 1
        let tree = try RegressionTree(
            splitFeature: (0..<depth).map { Int32($0) }, threshold: Array(repeating: 0, count: depth),
            categoricalSplit: Array(repeating: -1, count: depth), defaultLeft: Array(repeating: false, count: depth),
            leftChild: (0..<depth).map { ~Int32($0) }, rightChild: (0..<depth).map { $0 == depth - 1 ? ~Int32(depth) : Int32($0 + 1) },
            splitGain: Array(repeating: 1, count: depth), internalCount: (0..<depth).map { 3 * (depth - $0) + 4 },
            internalHessian: Array(repeating: 1, count: depth), leafValue: (0..<leaves).map { sin(Double($0)) },
            leafCount: (0..<leaves).map { $0 == depth ? 4 : 3 }, leafHessian: Array(repeating: 1, count: leaves),
            categoryBoundaries: [], categoryBitset: [], featureCount: depth)
        let model = try GBDTModel(featureNames: (0..<depth).map { "f\($0)" }, objective: .regression, baseScore: 0.25, trees: [tree])
        var rng = SeededRandom(seed: 3)
        let rows = 40
        let columns = (0..<depth).map { f in (0..<rows).map { r in r == 0 || rng.uniform() < 0.97 ? 1.0 : (f % 7 == 0 ? .nan : -1) } }
        let x = try FeatureMatrix(names: model.featureNames, columns: columns, isCategorical: Array(repeating: false, count: depth))
        let explainer = TreeSHAP(model: model)
        let (values, count) = try explainer.explain(x, threads: 2)
        let raw = try model.predictRaw(x)
        for r in 0..<rows {
            let total = explainer.expectedValue + (0..<count).reduce(0) { $0 + values[r * count + $1] }
            XCTAssertEqual(total, raw[r], accuracy: 1e-9, "row \(r)")
        }
        XCTAssertEqual(try TreeSHAP(model: model, memoizedFeatures: 0).explain(x, threads: 1).values, values)
    }

    func testExpectedValueIsTheCoverWeightedMeanScore() throws {
        let (model, x) = try randomModel(features: 3, rows: 1000, trees: 10, leaves: 7, seed: 5)
        let mean = try model.predictRaw(x).reduce(0, +) / Double(x.rowCount)
        XCTAssertEqual(TreeSHAP(model: model).expectedValue, mean, accuracy: 1e-9, "without bagging the cover is the training rows")
    }
}
