import Foundation
import XCTest
@testable import ModelZoo

final class StackingTests: XCTestCase {
    /// The fixture of /tmp/m4py/lr_fixture.py (kept here):
    /// ```
    /// i = np.arange(200); x1 = np.sin(i); x2 = np.cos(i * 0.7) * 3 + 1; x3 = (i % 7).astype(float)
    /// y = ((np.sin(i * 1.3) + x1 + 0.1 * x3 > 0.3)).astype(float)
    /// Z = StandardScaler().fit_transform(np.column_stack([x1, x2, x3]))
    /// LogisticRegression(C=C, tol=1e-12, max_iter=10000).fit(Z, y)   # scikit-learn 1.9.1
    /// ```
    private static func fixture() throws -> (FeatureMatrix, [Double]) {
        let i = (0..<200).map(Double.init)
        let x1 = i.map { sin($0) }, x2 = i.map { cos($0 * 0.7) * 3 + 1 }, x3 = i.map { Double(Int($0) % 7) }
        let y = (0..<200).map { k in sin(i[k] * 1.3) + x1[k] + 0.1 * x3[k] > 0.3 ? 1.0 : 0 }
        return (try FeatureMatrix(names: ["x1", "x2", "x3"], columns: [x1, x2, x3], isCategorical: [false, false, false]), y)
    }

    func testLogisticRegressionMatchesScikitLearn() throws {
        let (x, y) = try Self.fixture()
        let expected: [(c: Double, coef: [Double], intercept: Double, p: [Double])] = [
            (1.0, [1.3169683687921638, 0.08213969921245942, 0.2059059904776314], -0.11632241200340208,
             [0.42162133703919674, 0.7906544444304777, 0.8159983608016025]),
            (0.1, [1.0251743255221941, 0.06163630243034473, 0.13898941583105537], -0.10200404666509673,
             [0.4429768161073474, 0.7391462572030888, 0.7609363919804655]),
        ]
        for case let (c, coefficients, intercept, probabilities) in expected {
            var p = LogisticRegressionParameters()
            p.c = c
            let model = try LogisticRegression(parameters: p).fit(x, labels: y)
            for (a, b) in zip(model.coefficients, coefficients) { XCTAssertEqual(a, b, accuracy: 1e-7, "C = \(c)") }
            XCTAssertEqual(model.intercept, intercept, accuracy: 1e-7)
            let predicted = try model.predict(x.rows([0, 1, 2]))
            for (a, b) in zip(predicted, probabilities) { XCTAssertEqual(a, b, accuracy: 1e-7) }
        }
    }

    func testLogisticRegressionReachesAStationaryPoint() throws {
        let (x, y) = try Self.fixture()
        let model = try LogisticRegression().fit(x, labels: y)
        // ∂/∂w_j [Σ log loss + ½‖w‖²] = Σ (p − y) z_j + w_j = 0 at the optimum.
        let p = try model.predict(x)
        for (j, column) in x.columns.enumerated() {
            var gradient = model.coefficients[j]
            for row in 0..<x.rowCount { gradient += (p[row] - y[row]) * (column[row] - model.means[j]) / model.scales[j] }
            XCTAssertEqual(gradient, 0, accuracy: 1e-8)
        }
        XCTAssertEqual(zip(p, y).reduce(0) { $0 + $1.0 - $1.1 }, 0, accuracy: 1e-8)
    }

    func testLogisticRegressionRefusesBadLabels() throws {
        let (x, _) = try Self.fixture()
        XCTAssertThrowsError(try LogisticRegression().fit(x, labels: Array(repeating: 1, count: 200))) { error in
            XCTAssertEqual(error as? StackingError, .singleClass(set: "training"))
        }
        var y = Array(repeating: 0.0, count: 200)
        y[7] = 2
        XCTAssertThrowsError(try LogisticRegression().fit(x, labels: y)) { error in
            XCTAssertEqual(error as? StackingError, .invalidLabel(row: 7, value: 2))
        }
        XCTAssertThrowsError(try LogisticRegression().fit(x, labels: [0, 1])) { error in
            XCTAssertEqual(error as? StackingError, .labelCountMismatch(labels: 2, rows: 200, set: "training"))
        }
    }

    func testCholeskySolve() {
        let a: [Double] = [4, 2, 0.4, 2, 5, 1, 0.4, 1, 3]
        let x = Cholesky.solve(a, [1, 2, 3], size: 3)!
        for i in 0..<3 { XCTAssertEqual((0..<3).reduce(0) { $0 + a[i * 3 + $1] * x[$1] }, [1, 2, 3][i], accuracy: 1e-12) }
        XCTAssertNil(Cholesky.solve([1, 2, 2, 1], [1, 1], size: 2), "not positive definite")
    }

    /// Base predictions of a synthetic churn problem: a strong model, a weaker one that sees
    /// something the first misses, and noise.
    private static func basePredictions(rows: Int, seed: UInt64) throws -> (FeatureMatrix, [Double]) {
        var rng = SplitMix64(seed: seed)
        var strong = [Double](), extra = [Double](), noise = [Double](), labels = [Double]()
        for _ in 0..<rows {
            let a = rng.nextUnit() * 4 - 2, b = rng.nextUnit() * 4 - 2
            let p = 1 / (1 + exp(-(1.5 * a + 0.8 * b * b - 0.8)))
            labels.append(rng.nextUnit() < p ? 1 : 0)
            strong.append(1 / (1 + exp(-(1.5 * a + 0.3 * (rng.nextUnit() - 0.5)))))
            extra.append(b)
            noise.append(rng.nextUnit())
        }
        let x = try FeatureMatrix(names: ["churn", "engagement", "noise"], columns: [strong, extra, noise],
                                  isCategorical: [false, false, false])
        return (x, labels)
    }

    func testStackingBeatsTheReferenceAndChoosesByCrossValidation() throws {
        let (train, labels) = try Self.basePredictions(rows: 3_000, seed: 1)
        let (test, testLabels) = try Self.basePredictions(rows: 2_000, seed: 2)
        var p = StackingParameters()
        p.gbdt.trees = 40
        let (model, evaluation) = try StackingTrainer(parameters: p).fitAndEvaluate(
            outOfFold: train, labels: labels, test: test, testLabels: testLabels, reference: "churn")
        XCTAssertEqual(model.selection.map(\.kind), [.logistic, .gbdt])
        let winner = model.selection.max { $0.auc < $1.auc }!.kind
        XCTAssertEqual(model.metaLearner.kind, winner)
        // The label depends on the square of the second input: trees can use it, a linear stack cannot.
        XCTAssertEqual(winner, .gbdt)
        XCTAssertEqual(evaluation.referenceAUC, Metrics.auc(labels: testLabels, scores: test.columns[0]))
        XCTAssertGreaterThan(evaluation.lift!, 0.02)
        XCTAssertEqual(evaluation.testAUC, Metrics.auc(labels: testLabels, scores: try model.predict(test)))
        XCTAssertEqual(evaluation.inputAUC.keys.sorted(), ["churn", "engagement", "noise"])
    }

    func testFixedMetaLearnerSkipsSelection() throws {
        let (train, labels) = try Self.basePredictions(rows: 1_000, seed: 3)
        var p = StackingParameters()
        p.metaLearner = .logistic
        let model = try StackingTrainer(parameters: p).fit(outOfFold: train, labels: labels)
        XCTAssertEqual(model.metaLearner.kind, .logistic)
        XCTAssertTrue(model.selection.isEmpty)
        // Inputs are matched by name.
        let reordered = try FeatureMatrix(names: ["noise", "churn", "engagement"], columns: [train.columns[2], train.columns[0], train.columns[1]],
                                          isCategorical: [false, false, false])
        XCTAssertEqual(try model.predict(reordered), try model.predict(train))
    }

    func testArtifactRoundTripForBothMetaLearners() throws {
        let (train, labels) = try Self.basePredictions(rows: 800, seed: 4)
        for kind in [MetaLearnerKind.logistic, .gbdt, .automatic] {
            var p = StackingParameters()
            p.metaLearner = kind
            p.gbdt.trees = 10
            p.gbdt.minDataInLeaf = 20
            let model = try StackingTrainer(parameters: p).fit(outOfFold: train, labels: labels)
            let data = model.encode()
            XCTAssertEqual(Array(data.prefix(4)), Array("ENGK".utf8))
            let decoded = try StackingModel.decode(data)
            XCTAssertEqual(decoded, model)
            XCTAssertEqual(try decoded.predict(train), try model.predict(train))
            for cut in stride(from: 0, to: data.count, by: max(1, data.count / 40)) {
                XCTAssertThrowsError(try StackingModel.decode(data.prefix(cut)), "prefix of \(cut) bytes")
            }
            var flipped = [UInt8](data)
            flipped[data.count / 2] ^= 0x01
            XCTAssertThrowsError(try StackingModel.decode(Data(flipped)))
        }
        XCTAssertThrowsError(try StackingModel.decode(Data("ENGK".utf8))) { XCTAssertTrue("\($0)".contains("truncated")) }
        XCTAssertThrowsError(try StackingModel.decode(Data(repeating: 0, count: 64))) { error in
            XCTAssertEqual(error as? ModelEnvelopeError, .badMagic(expected: "ENGK", found: [0, 0, 0, 0]))
        }
    }

    /// Fold membership: every training row predicted exactly once per model, never a test row.
    func testOutOfFoldAssemblerRefusesLeaks() throws {
        let trainRows = [10, 11, 12, 13, 14, 15], testRows = [20, 21]
        var assembler = try OutOfFoldAssembler(trainRows: trainRows, testRows: testRows)
        try assembler.add(model: "churn", fold: 0, rows: [12, 10, 14], predictions: [0.2, 0.0, 0.4])
        try assembler.add(model: "churn", fold: 1, rows: [11, 13, 15], predictions: [0.1, 0.3, 0.5])
        try assembler.add(model: "engagement", fold: 0, rows: [10, 11, 12, 13, 14, 15], predictions: [1, 2, 3, 4, 5, 6])
        let matrix = try assembler.matrix()
        XCTAssertEqual(matrix.names, ["churn", "engagement"])
        XCTAssertEqual(matrix.columns[0], [0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
        XCTAssertEqual(matrix.columns[1], [1, 2, 3, 4, 5, 6])

        XCTAssertThrowsError(try assembler.add(model: "churn", fold: 2, rows: [21], predictions: [0.9])) { error in
            XCTAssertEqual(error as? StackingError, .foldMembership("churn fold 2 predicts test row 21"))
        }
        XCTAssertThrowsError(try assembler.add(model: "churn", fold: 2, rows: [13], predictions: [0.9])) { error in
            XCTAssertEqual(error as? StackingError, .foldMembership("churn predicts training row 13 in more than one fold"))
        }
        XCTAssertThrowsError(try assembler.add(model: "churn", fold: 2, rows: [99], predictions: [0.9])) { error in
            XCTAssertTrue("\(error)".contains("not a training row"))
        }
        var partial = try OutOfFoldAssembler(trainRows: trainRows, testRows: testRows)
        try partial.add(model: "ltv", fold: 0, rows: [10, 11], predictions: [1, 2])
        XCTAssertThrowsError(try partial.matrix()) { error in
            XCTAssertEqual(error as? StackingError, .foldMembership("ltv has no out-of-fold prediction for training row 12"))
        }
        XCTAssertThrowsError(try OutOfFoldAssembler(trainRows: [1, 2], testRows: [2, 3])) { error in
            XCTAssertEqual(error as? StackingError, .foldMembership("row 2 is both a training row and a test row"))
        }
    }
}
