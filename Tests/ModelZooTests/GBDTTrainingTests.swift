import Foundation
import XCTest
@testable import ModelZoo
import Dataset

/// Collects progress reports from the training thread.
private final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [(Int, Int)] = []

    func append(_ done: Int, _ total: Int) {
        lock.lock()
        reports.append((done, total))
        lock.unlock()
    }

    var all: [(Int, Int)] {
        lock.lock()
        defer { lock.unlock() }
        return reports
    }
}

final class GBDTTrainingTests: XCTestCase {
    /// Mixed data: numeric, categorical and missing values; a target using all three.
    private func mixedSample(_ n: Int, seed: UInt64) -> (FeatureMatrix, [Double]) {
        var data = SyntheticData(seed: seed)
        let a = data.normalColumn(n)
        let b = (0..<n).map { i in i % 5 == 0 ? Double.nan : data.uniform() }
        let c = (0..<n).map { _ in Double(Int(data.uniform(0...7.999))) }
        let d = data.uniformColumn(n)
        let y = (0..<n).map { i in
            a[i] + (b[i].isNaN ? 1.5 : 2 * b[i]) + [0, 2, -1, 3, 0.5, -2, 1, 2.5][Int(c[i])] + 0.3 * data.normal()
        }
        return (try! SyntheticData.matrix(["a": a, "b": b, "c": c, "d": d], categorical: ["c"]), y)
    }

    func testTrainingScoresEqualPredictionsOnTheTrainingRows() throws {
        let (x, y) = mixedSample(3_000, seed: 43)
        var p = SyntheticData.parameters(trees: 30, leaves: 15, threads: 2)
        p.baggingFraction = 0.7
        p.baggingFrequency = 1
        for (objective, labels) in [(ObjectiveKind.regression, y), (.binary, y.map { $0 > 2 ? 1.0 : 0.0 })] {
            let fit = try GBDTTrainer(objective: objective, parameters: p).fit(x, labels: labels)
            let raw = try XCTUnwrap(fit.trainingRaw)
            let predicted = try fit.model.predictRaw(x, threads: 1)
            for row in raw.indices { XCTAssertEqual(raw[row], predicted[row], accuracy: 1e-9, "row \(row)") }
        }
        // Early stopping drops the trees after the best round; the kept scores would not match.
        p.earlyStoppingRounds = 2
        let (vx, vy) = mixedSample(500, seed: 44)
        let stopped = try GBDTTrainer(objective: .regression, parameters: p).fit(x, labels: y, validation: (vx, vy.map { -$0 }))
        if stopped.model.trees.count < 30 { XCTAssertNil(stopped.trainingRaw) }
    }

    func testPrefixKeepsTheFirstRows() throws {
        let (x, _) = mixedSample(10, seed: 45)
        let first = x.prefix(4)
        XCTAssertEqual(first.rowCount, 4)
        XCTAssertEqual(first.columns.map { $0.count }, [4, 4, 4, 4])
        XCTAssertEqual(first.columns[0], Array(x.columns[0].prefix(4)))
        XCTAssertEqual(x.prefix(50).rowCount, 10)
    }

    func testMultithreadedTrainingEqualsSingleThreaded() throws {
        // Wide enough (24 features × 5 000 rows) that histograms are really built in parallel.
        let (mixed, y) = mixedSample(5_000, seed: 41)
        var noise = SyntheticData(seed: 141)
        let x = try FeatureMatrix(names: mixed.names + (0..<20).map { "noise\($0)" },
                                  columns: mixed.columns + (0..<20).map { _ in noise.normalColumn(5_000) },
                                  isCategorical: mixed.isCategorical + [Bool](repeating: false, count: 20))
        var p = SyntheticData.parameters(trees: 10, leaves: 15, threads: 1)
        p.rootWorkPerThread = 0
        p.baggingFraction = 0.8
        p.featureFraction = 0.75
        p.minDataPerGroup = 20
        let single = try GBDTTrainer(objective: .regression, parameters: p).train(x, labels: y)
        p.threads = 4
        let multi = try GBDTTrainer(objective: .regression, parameters: p).train(x, labels: y)
        XCTAssertEqual(single, multi)
        XCTAssertEqual(try single.predictRaw(x, threads: 1), try multi.predictRaw(x, threads: 3))
        let binary = y.map { $0 > 2 ? 1.0 : 0.0 }
        p.threads = 1
        let singleBinary = try GBDTTrainer(objective: .binary, parameters: p).train(x, labels: binary)
        p.threads = 3
        XCTAssertEqual(singleBinary, try GBDTTrainer(objective: .binary, parameters: p).train(x, labels: binary))
    }

    func testLargeDataTrainingDoesNotDependOnThreadCount() throws {
        // Enough rows that leaves are partitioned in parallel blocks and histograms built over
        // several blocks of rows; binary, so hessians vary.
        let n = 2 * DataPartition.blockRows + 3_000
        let (x, y) = mixedSample(n, seed: 47)
        let labels = y.map { $0 > 1.5 ? 1.0 : 0.0 }
        var p = SyntheticData.parameters(trees: 4, leaves: 31, threads: 1)
        p.rootWorkPerThread = 0
        let single = try GBDTTrainer(objective: .binary, parameters: p).train(x, labels: labels)
        p.threads = 2
        XCTAssertEqual(single, try GBDTTrainer(objective: .binary, parameters: p).train(x, labels: labels))
        p.threads = 3
        let quantile = try GBDTTrainer(objective: .quantile(alpha: 0.8), parameters: p).train(x, labels: y)
        p.threads = 1
        XCTAssertEqual(quantile, try GBDTTrainer(objective: .quantile(alpha: 0.8), parameters: p).train(x, labels: y))
    }

    func testASmallFitUsesFewerThreadsThanAsked() {
        var p = GBDTParameters()
        p.threads = 8
        XCTAssertEqual(GradientBoosting.runner(p, rows: 22_500, features: 5).threads, 1)
        XCTAssertEqual(GradientBoosting.runner(p, rows: 5_000, features: 53).threads, 2)
        XCTAssertEqual(GradientBoosting.runner(p, rows: 80_000, features: 53).threads, 8)
        p.rootWorkPerThread = 0
        XCTAssertEqual(GradientBoosting.runner(p, rows: 100, features: 1).threads, 8)
    }

    func testSeedMakesSamplingReproducible() throws {
        let (x, y) = mixedSample(1_500, seed: 42)
        var p = SyntheticData.parameters(trees: 10)
        p.baggingFraction = 0.5
        p.featureFraction = 0.5
        let first = try GBDTTrainer(objective: .regression, parameters: p).train(x, labels: y)
        XCTAssertEqual(first, try GBDTTrainer(objective: .regression, parameters: p).train(x, labels: y))
        p.seed += 1
        XCTAssertNotEqual(first, try GBDTTrainer(objective: .regression, parameters: p).train(x, labels: y))
    }

    func testBaggingUsesTheRequestedShareOfRows() throws {
        let (x, y) = mixedSample(2_000, seed: 43)
        var p = SyntheticData.parameters(trees: 3)
        p.baggingFraction = 0.3
        let model = try GBDTTrainer(objective: .regression, parameters: p).train(x, labels: y)
        for tree in model.trees {
            XCTAssertEqual(tree.leafCount.reduce(0, +), 600)
        }
    }

    func testEarlyStoppingStopsAndKeepsBestIteration() throws {
        // A weak signal in strong noise: validation loss improves for a few trees, then gets worse.
        var data = SyntheticData(seed: 44)
        let trainA = data.uniformColumn(800), validA = data.uniformColumn(800)
        let train = try SyntheticData.matrix(["a": trainA, "b": data.uniformColumn(800)])
        let trainY = trainA.map { $0 + data.normal() }
        let valid = try SyntheticData.matrix(["b": data.uniformColumn(800), "a": validA])
        let validY = validA.map { $0 + data.normal() }
        var p = SyntheticData.parameters(trees: 300, leaves: 31, minDataInLeaf: 5)
        p.learningRate = 0.3
        p.earlyStoppingRounds = 5
        let log = ProgressLog()
        let model = try GBDTTrainer(objective: .regression, parameters: p)
            .train(train, labels: trainY, validation: (valid, validY), progress: { log.append($0, $1) })
        let best = try XCTUnwrap(model.bestIteration)
        XCTAssertLessThan(best, 50)
        XCTAssertEqual(model.trees.count, best)
        XCTAssertEqual(log.all.last?.0, best + 5, "training should stop 5 rounds after the best one")
        XCTAssertTrue(log.all.allSatisfy { $0.1 == 300 })

        // The kept prefix is the best of all prefixes on the validation set.
        let full = try GBDTTrainer(objective: .regression, parameters: { var q = p; q.earlyStoppingRounds = nil; q.trees = best + 5; return q }())
            .train(train, labels: trainY)
        var losses = [Double]()
        for k in 0...full.trees.count {
            let prefix = try GBDTModel(featureNames: full.featureNames, objective: .regression, baseScore: full.baseScore,
                                       trees: Array(full.trees.prefix(k)))
            losses.append(Metrics.rmse(labels: validY, predictions: try prefix.predict(valid)))
        }
        XCTAssertEqual(losses.indices.dropFirst().min { losses[$0] < losses[$1] }, best)
        XCTAssertEqual(Metrics.rmse(labels: validY, predictions: try model.predict(valid)), losses[best], accuracy: 1e-12)
    }

    func testProgressReportsEveryTree() throws {
        let (x, y) = mixedSample(500, seed: 45)
        let log = ProgressLog()
        _ = try GBDTTrainer(objective: .regression, parameters: SyntheticData.parameters(trees: 7))
            .train(x, labels: y, progress: { log.append($0, $1) })
        XCTAssertEqual(log.all.map(\.0), Array(1...7))
    }

    func testLeafConstraintsAreRespected() throws {
        let (x, y) = mixedSample(2_000, seed: 46)
        var p = SyntheticData.parameters(trees: 5, leaves: 31, minDataInLeaf: 40)
        p.maxDepth = 3
        let model = try GBDTTrainer(objective: .regression, parameters: p).train(x, labels: y)
        for tree in model.trees {
            XCTAssertLessThanOrEqual(tree.numberOfLeaves, 8)
            XCTAssertTrue(tree.leafCount.allSatisfy { $0 >= 40 })
            XCTAssertEqual(tree.leafCount.reduce(0, +), 2_000)
            XCTAssertEqual(tree.internalCount[0], 2_000)
        }
        p.maxDepth = nil
        p.leaves = 5
        let small = try GBDTTrainer(objective: .regression, parameters: p).train(x, labels: y)
        XCTAssertTrue(small.trees.allSatisfy { $0.numberOfLeaves == 5 })
    }

    func testL2AndMinGainShrinkTheModel() throws {
        let (x, y) = mixedSample(1_000, seed: 47)
        var p = SyntheticData.parameters(trees: 1, leaves: 2)
        let plain = try GBDTTrainer(objective: .regression, parameters: p).train(x, labels: y)
        p.lambdaL2 = 1_000
        let shrunk = try GBDTTrainer(objective: .regression, parameters: p).train(x, labels: y)
        XCTAssertLessThan(shrunk.trees[0].leafValue.map(abs).max()!, plain.trees[0].leafValue.map(abs).max()!)
        p.lambdaL2 = 0
        p.minGainToSplit = 1e12
        XCTAssertTrue(try GBDTTrainer(objective: .regression, parameters: p).train(x, labels: y).trees.isEmpty)
    }

    func testScoringMatchesFeaturesByName() throws {
        let (x, y) = mixedSample(1_000, seed: 48)
        let model = try GBDTTrainer(objective: .regression, parameters: SyntheticData.parameters(trees: 10)).train(x, labels: y)
        let order = [3, 0, 2, 1]
        let shuffled = try FeatureMatrix(names: order.map { x.names[$0] } + ["extra"],
                                         columns: order.map { x.columns[$0] } + [[Double](repeating: 1, count: 1_000)],
                                         isCategorical: order.map { x.isCategorical[$0] } + [false])
        XCTAssertEqual(try model.predict(x), try model.predict(shuffled))
        let rowByRow = (0..<1_000).map { r in model.baseScore + model.trees.reduce(0) { $0 + $1.predict(x.columns.map { $0[r] }) } }
        for (a, b) in zip(rowByRow, try model.predictRaw(x)) { XCTAssertEqual(a, b, accuracy: 1e-12) }

        let missing = try FeatureMatrix(names: ["a", "c", "d"], columns: [x.columns[0], x.columns[2], x.columns[3]],
                                        isCategorical: [false, true, false])
        XCTAssertThrowsError(try model.predict(missing)) { error in
            XCTAssertEqual(error as? FeatureMatrixError, .missingFeature("b", available: ["a", "c", "d"]))
            XCTAssertTrue((error as? LocalizedError)?.errorDescription?.contains("'b'") ?? false)
        }
    }

    func testImportanceCountsEverySplit() throws {
        let (x, y) = mixedSample(1_000, seed: 49)
        let model = try GBDTTrainer(objective: .regression, parameters: SyntheticData.parameters(trees: 10)).train(x, labels: y)
        let importance = model.importance()
        XCTAssertEqual(importance.map(\.feature), x.names)
        XCTAssertEqual(importance.map(\.splits).reduce(0, +), model.trees.map(\.numberOfInternalNodes).reduce(0, +))
        XCTAssertEqual(importance.map(\.gain).reduce(0, +), model.trees.flatMap(\.splitGain).reduce(0, +), accuracy: 1e-6)
        XCTAssertTrue(importance.allSatisfy { $0.permutation == 0 && $0.meanAbsSHAP == 0 })
    }

    func testInvalidInputsAreRefusedWithClearErrors() throws {
        let (x, y) = mixedSample(100, seed: 50)
        var p = GBDTParameters()
        p.leaves = 1
        XCTAssertThrowsError(try GBDTTrainer(objective: .regression, parameters: p).train(x, labels: y)) { error in
            XCTAssertEqual("\(error)", "GBDT parameter leaves = 1 is invalid: it must be at least 2")
        }
        XCTAssertThrowsError(try GBDTTrainer(objective: .regression, parameters: GBDTParameters()).train(x, labels: [1, 2]))
        XCTAssertThrowsError(try GBDTTrainer(objective: .binary, parameters: GBDTParameters()).train(x, labels: y))
        var labels = y
        labels[3] = .nan
        XCTAssertThrowsError(try GBDTTrainer(objective: .regression, parameters: GBDTParameters()).train(x, labels: labels))
        let otherFeatures = try SyntheticData.matrix(["zzz": [1, 2]])
        XCTAssertThrowsError(try GBDTTrainer(objective: .regression, parameters: GBDTParameters())
            .train(x, labels: y, validation: (otherFeatures, [1, 2]))) { error in
            XCTAssertTrue("\(error)".contains("missing"), "\(error)")
        }
        XCTAssertThrowsError(try FeatureMatrix(names: ["c"], columns: [[1.5]], isCategorical: [true]))
        XCTAssertThrowsError(try FeatureMatrix(names: ["a", "a"], columns: [[1], [2]], isCategorical: [false, false]))
    }

    func testParametersDecodeFromPartialJSON() throws {
        let json = #"{"trees": 12, "learningRate": 0.05, "maxDepth": 6}"#
        let p = try JSONDecoder().decode(GBDTParameters.self, from: Data(json.utf8))
        var expected = GBDTParameters()
        expected.trees = 12
        expected.learningRate = 0.05
        expected.maxDepth = 6
        XCTAssertEqual(p, expected)
        XCTAssertEqual(try JSONDecoder().decode(GBDTParameters.self, from: JSONEncoder().encode(expected)), expected)
    }

    func testFeatureMatrixFromTable() throws {
        let table = try Table(names: ["n", "cat", "y"], columns: [
            .numeric([1, .nan, 3]), .categorical(codes: [0, -1, 1], levels: ["a", "b"]), .numeric([0, 1, 0]),
        ])
        let x = try FeatureMatrix(table: table, features: ["cat", "n"])
        XCTAssertEqual(x.names, ["cat", "n"])
        XCTAssertEqual(x.isCategorical, [true, false])
        XCTAssertEqual(x.columns[0][0], 0)
        XCTAssertTrue(x.columns[0][1].isNaN)
        XCTAssertThrowsError(try FeatureMatrix(table: table, features: ["nope"]))
    }
}
