import Dataset
import Foundation
import XCTest
@testable import ModelZoo

final class AnomalyIsolationForestTests: XCTestCase {
    /// Expected values from scikit-learn 1.9.1:
    /// `sklearn.ensemble._iforest._average_path_length(np.array([1, 2, 3, 5, 10, 256, 1000]))`
    func testAveragePathLengthMatchesScikitLearn() {
        let expected = [0.0, 1.0, 1.207392357589623, 2.327020052042847, 3.748880484475505, 10.244770920119917, 12.969940887100174]
        for (n, value) in zip([1, 2, 3, 5, 10, 256, 1000], expected) {
            XCTAssertEqual(AveragePathLength.of(n), value, accuracy: 1e-12, "c(\(n))")
        }
    }

    /// 999 points in a unit square and one far away.
    private func cloudWithOutlier(rows: Int = 1_000, seed: UInt64 = 3) throws -> FeatureMatrix {
        var rng = SplitMix64(seed: seed)
        var a = (0..<rows).map { _ in rng.nextUnit() }, b = (0..<rows).map { _ in rng.nextUnit() }
        a[rows - 1] = 6
        b[rows - 1] = -5
        return try FeatureMatrix(names: ["a", "b"], columns: [a, b], isCategorical: [false, false])
    }

    func testFarPointScoresHighest() throws {
        let x = try cloudWithOutlier()
        let forest = try IsolationForestTrainer().fit(x)
        let scores = try forest.score(x)
        XCTAssertEqual(scores.indices.max { scores[$0] < scores[$1] }, 999)
        XCTAssertGreaterThan(scores[999], 0.7)
        XCTAssertLessThan(scores.sorted()[500], 0.5)
        XCTAssertTrue(scores.allSatisfy { $0 > 0 && $0 <= 1 })
    }

    func testTreesHonourSampleSizeAndDepthLimit() throws {
        let big = try IsolationForestTrainer().fit(try cloudWithOutlier())
        XCTAssertEqual(big.sampleRows, 256)
        XCTAssertEqual(big.treeCount, 100)
        XCTAssertLessThanOrEqual(maximumDepth(big), 8)
        XCTAssertEqual(big.normalizer, AveragePathLength.of(256))
        // Fewer rows than ψ: every row, and the depth limit of that many rows (⌈log2 100⌉ = 7).
        let small = try IsolationForestTrainer().fit(try cloudWithOutlier(rows: 100))
        XCTAssertEqual(small.sampleRows, 100)
        XCTAssertLessThanOrEqual(maximumDepth(small), 7)
    }

    private func maximumDepth(_ forest: IsolationForest) -> Int {
        var deepest = 0
        for (tree, start) in forest.treeOffsets.enumerated() {
            _ = tree
            var stack = [(Int(start), 0)]
            while let (node, depth) = stack.popLast() {
                deepest = max(deepest, depth)
                if forest.splitFeature[node] >= 0 {
                    let left = Int(start) + Int(forest.leftChild[node])
                    stack += [(left, depth + 1), (left + 1, depth + 1)]
                }
            }
        }
        return deepest
    }

    /// Walks every tree the slow way, straight from the model's arrays.
    private func referencePathLengths(_ forest: IsolationForest, _ x: FeatureMatrix) -> [Double] {
        (0..<x.rowCount).map { row in
            var total = 0.0
            for start in forest.treeOffsets.map(Int.init) {
                var node = start
                while forest.splitFeature[node] >= 0 {
                    let v = x.columns[Int(forest.splitFeature[node])][row]
                    let left = v.isNaN ? forest.missingGoesLeft[node] : v <= forest.value[node]
                    node = start + Int(forest.leftChild[node]) + (left ? 0 : 1)
                }
                total += forest.value[node]
            }
            return total / Double(forest.treeCount)
        }
    }

    func testBothScoringLayoutsMatchAReferenceWalk() throws {
        var rng = SplitMix64(seed: 11)
        let n = 3_000
        var columns = [[Double]]()
        for c in 0..<3 {
            var column = [Double]()
            for i in 0..<n {
                let value: Double = (i + c) % 17 == 0 ? .nan : rng.nextUnit() * Double(c + 1)
                column.append(value)
            }
            columns.append(column)
        }
        let x = try FeatureMatrix(names: ["p", "q", "r"], columns: columns, isCategorical: [false, false, false])
        var shallow = IsolationForestParameters()
        shallow.trees = 20
        var deep = shallow
        deep.sampleSize = 2_048
        deep.maxDepth = 14
        for parameters in [shallow, deep] {
            let forest = try IsolationForestTrainer(parameters: parameters).fit(x)
            let fast = try forest.meanPathLengths(x, threads: 2)
            let reference = referencePathLengths(forest, x)
            for row in 0..<n { XCTAssertEqual(fast[row], reference[row], accuracy: 1e-9) }
        }
        XCTAssertGreaterThan(maximumDepth(try IsolationForestTrainer(parameters: deep).fit(x)), PackedIsolationTrees.completeLayoutDepthLimit)
    }

    func testSeedDecidesTheForestNotTheThreadCount() throws {
        let x = try cloudWithOutlier()
        var p = IsolationForestParameters()
        p.seed = 9
        p.threads = 1
        let one = try IsolationForestTrainer(parameters: p).fit(x)
        p.threads = 3
        let three = try IsolationForestTrainer(parameters: p).fit(x)
        XCTAssertEqual(one, three)
        XCTAssertEqual(try one.score(x, threads: 1), try one.score(x, threads: 4))
        p.seed = 10
        XCTAssertNotEqual(try IsolationForestTrainer(parameters: p).fit(x), one)
    }

    func testMissingValuesTakeTheStoredBranch() throws {
        // One split on feature 0 at 0.5: left leaf credits 1, right leaf credits 3.
        let forest = try IsolationForest(featureNames: ["f"], sampleRows: 4, treeOffsets: [0, 3],
                                         splitFeature: [0, -1, -1, 0, -1, -1], value: [0.5, 1, 3, 0.5, 1, 3],
                                         leftChild: [1, 0, 0, 1, 0, 0], missingGoesLeft: [true, false, false, false, false, false])
        let x = try FeatureMatrix(names: ["f"], columns: [[0.2, 0.9, .nan]], isCategorical: [false])
        XCTAssertEqual(try forest.meanPathLengths(x), [1, 3, 2])
        // A negative categorical code is missing too.
        let codes = try FeatureMatrix(names: ["f"], columns: [[-1]], isCategorical: [true])
        XCTAssertEqual(try forest.meanPathLengths(codes), [2])
    }

    /// scikit-learn draws each node's feature afresh (uniformly among the features not constant
    /// there), so a child splits on its parent's feature with probability 1/d. The feature deck
    /// engage dealt before dealt consecutive nodes different features far more often.
    func testEachNodeDrawsItsFeatureIndependentlyOfItsParent() throws {
        let x = try cloudWithOutlier(rows: 2_000, seed: 5)
        var p = IsolationForestParameters()
        p.trees = 200
        let forest = try IsolationForestTrainer(parameters: p).fit(x)
        var pairs = 0, same = 0
        for start in forest.treeOffsets.map(Int.init) {
            var stack = [start]
            while let node = stack.popLast() {
                guard forest.splitFeature[node] >= 0 else { continue }
                let left = start + Int(forest.leftChild[node])
                for child in [left, left + 1] where forest.splitFeature[child] >= 0 {
                    pairs += 1
                    if forest.splitFeature[child] == forest.splitFeature[node] { same += 1 }
                    stack.append(child)
                }
            }
        }
        XCTAssertGreaterThan(pairs, 15_000)
        // Two features: 1/2, with a standard error near 0.0035 over this many pairs.
        XCTAssertEqual(Double(same) / Double(pairs), 0.5, accuracy: 0.02)
    }

    /// A feature whose present values are all equal but that has missing values is not constant
    /// for scikit-learn: the threshold is that value, the missing rows go left or right by a coin
    /// flip, and a flip to the left (no row goes right) makes the node a leaf. scikit-learn 1.9.1,
    /// `IsolationForest(n_estimators=4000, max_samples=64, random_state=0)` on these rows, gives
    /// mean path lengths 7.8408 (present) and 5.8738 (missing), and splits the root in 50.3 % of
    /// the trees, always at 1.0 with the missing rows to the right; the expectations below are
    /// the exact values of that process.
    func testPresentValuesBesideMissingOnesAreSplitAsScikitLearnDoes() throws {
        let n = 64
        let f0 = (0..<n).map { $0 % 8 == 0 ? Double.nan : 1.0 }
        let x = try FeatureMatrix(names: ["f0", "f1"], columns: [f0, [Double](repeating: 5, count: n)], isCategorical: [false, false])
        var p = IsolationForestParameters()
        p.trees = 2_000
        let forest = try IsolationForestTrainer(parameters: p).fit(x)
        let roots = forest.treeOffsets.map(Int.init)
        let split = roots.filter { forest.splitFeature[$0] >= 0 }
        XCTAssertEqual(Double(split.count) / Double(roots.count), 0.5, accuracy: 0.05)
        XCTAssertTrue(split.allSatisfy { forest.splitFeature[$0] == 0 && forest.value[$0] == 1 && !forest.missingGoesLeft[$0] })
        let c = AveragePathLength.of
        let h = try forest.meanPathLengths(x)
        XCTAssertEqual(h[1], 0.5 * c(64) + 0.5 * (1 + c(56)), accuracy: 0.05)
        XCTAssertEqual(h[0], 0.5 * c(64) + 0.5 * (1 + c(8)), accuracy: 0.15)
    }

    func testScoringMatchesFeaturesByName() throws {
        let x = try cloudWithOutlier()
        let forest = try IsolationForestTrainer().fit(x)
        let reordered = try FeatureMatrix(names: ["extra", "b", "a"], columns: [x.columns[0], x.columns[1], x.columns[0]],
                                          isCategorical: [false, false, false])
        XCTAssertEqual(try forest.score(reordered), try forest.score(x))
        let missing = try FeatureMatrix(names: ["a"], columns: [x.columns[0]], isCategorical: [false])
        XCTAssertThrowsError(try forest.score(missing)) { XCTAssertTrue("\($0)".contains("'b' is missing")) }
    }

    func testBadInputIsRefusedWithItsName() throws {
        var p = IsolationForestParameters()
        p.sampleSize = 1
        XCTAssertThrowsError(try IsolationForestTrainer(parameters: p).fit(try cloudWithOutlier())) { error in
            XCTAssertEqual(error as? AnomalyError, .invalidParameter(name: "sampleSize", value: "1", rule: "must be in 2...1048576"))
        }
        let empty = try FeatureMatrix(names: ["a"], columns: [[]], isCategorical: [false])
        XCTAssertThrowsError(try IsolationForestTrainer().fit(empty)) { XCTAssertEqual($0 as? AnomalyError, .emptyTrainingSet) }
        XCTAssertThrowsError(try IsolationForest(featureNames: ["f"], sampleRows: 4, treeOffsets: [0], splitFeature: [0, -1],
                                                 value: [0.5, 1], leftChild: [1, 0], missingGoesLeft: [false, false])) { error in
            XCTAssertTrue("\(error)".contains("children outside its tree"), "\(error)")
        }
    }

    /// The generator's injected anomalies, small: the forest ranks them well above normal rows.
    func testFindsInjectedAnomalies() throws {
        let data = CustomerGenerator(rows: 4_000, seed: 21).generate()
        let x = try FeatureMatrix(table: data.customers, features: CustomerSchema.featureNames)
        let labels = try data.customers.numeric(CustomerSchema.anomalyLabel)
        let scores = try IsolationForestTrainer().fit(x).score(x)
        XCTAssertGreaterThan(Metrics.auc(labels: labels, scores: scores), 0.85)
    }
}
