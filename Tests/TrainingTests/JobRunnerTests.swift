import Dataset
@testable import ModelZoo
@testable import Training
import XCTest

final class JobRunnerTests: XCTestCase {
    private static let data = CustomerGenerator(rows: 3000, seed: 5).generate().customers

    private func spec(_ objective: ModelObjective, target: String, quantiles: [Double] = []) -> TrainingJobSpec {
        var parameters = GBDTParameters()
        parameters.trees = 40
        parameters.leaves = 15
        parameters.seed = 3
        let excluded = [CustomerSchema.idColumn, CustomerSchema.anomalyLabel] + CustomerSchema.targets + CustomerSchema.sensitive
        return TrainingJobSpec(model: "m", kind: .gbdt, objective: objective, target: target, excludedColumns: excluded,
                               quantiles: quantiles, parameters: parameters, role: .full, trainShards: [], evalShards: [])
    }

    private var halves: (Table, Table) {
        let rows = JobRunnerTests.data.rowCount
        return (JobRunnerTests.data.rows(Array(0..<rows * 2 / 3)), JobRunnerTests.data.rows(Array(rows * 2 / 3..<rows)))
    }

    func testBinaryJobReportsTestMetricsAndAllImportanceKinds() throws {
        let (train, test) = halves
        let outcome = try GBDTJobRunner(spec: spec(.binary, target: "churn_30_day"), threads: 1).run(train: train, eval: test)
        let auc = try XCTUnwrap(outcome.report.metric("auc"))
        XCTAssertGreaterThan(auc, 0.75)
        assertInMetricTable(outcome.report.metrics)
        XCTAssertEqual(outcome.evalPredictions.count, test.rowCount)
        XCTAssertFalse(outcome.report.features.contains("gender"), "sensitive attributes are never features")
        XCTAssertFalse(outcome.report.features.contains("churn_30_day"))
        XCTAssertTrue(outcome.report.importance.contains { $0.gain > 0 && $0.splits > 0 })
        XCTAssertTrue(outcome.report.importance.contains { $0.permutation > 0 }, "shuffling some feature must hurt AUC")
        let model = try TrainedModel.decode(outcome.artifact)
        XCTAssertEqual(model.outputNames, ["prediction"])
        XCTAssertEqual(try model.predict(test)[0], outcome.evalPredictions)
    }

    func testQuantileJobIsCalibratedAndNeverCrosses() throws {
        let (train, test) = halves
        let outcome = try GBDTJobRunner(spec: spec(.quantile, target: "lifetime_value_usd", quantiles: [0.9, 0.1, 0.5]), threads: 2).run(train: train, eval: test)
        let model = try TrainedModel.decode(outcome.artifact)
        XCTAssertEqual(model.outputNames, ["q0.1", "q0.5", "q0.9"])
        let outputs = try model.predict(test)
        for row in 0..<test.rowCount {
            XCTAssertLessThanOrEqual(outputs[0][row], outputs[1][row])
            XCTAssertLessThanOrEqual(outputs[1][row], outputs[2][row])
        }
        let coverage = try XCTUnwrap(outcome.report.metric("coverage_p10_p90"))
        XCTAssertEqual(coverage, 0.8, accuracy: 0.05)
        XCTAssertNotNil(outcome.report.metric("pinball_p50"))
        assertInMetricTable(outcome.report.metrics)
    }

    /// The worker's profile of its training predictions is the one the registry would compute by
    /// scoring the training rows again: every row once (the quantile set's calibration rows too).
    func testAFullJobProfilesItsPredictionsOnEveryTrainingRow() throws {
        let (train, test) = halves
        for job in [spec(.regression, target: "engagement_score"), spec(.binary, target: "churn_30_day"),
                    spec(.quantile, target: "lifetime_value_usd", quantiles: [0.9, 0.1, 0.5])] {
            let outcome = try GBDTJobRunner(spec: job, threads: 1).run(train: train, eval: test)
            let model = try TrainedModel.decode(outcome.artifact)
            let scored = try XCTUnwrap(outcome.report.trainingPrediction, job.objective.rawValue)
            let expected = FeatureProfile.Numeric(try model.predict(train)[model.centralOutput])
            XCTAssertEqual(scored.rows, train.rowCount, job.objective.rawValue)
            XCTAssertEqual(scored.counts, expected.counts, job.objective.rawValue)
            XCTAssertEqual(scored.edges.count, expected.edges.count, job.objective.rawValue)
            for (a, b) in zip(scored.edges, expected.edges) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b)), job.objective.rawValue) }
        }
        var fold = spec(.binary, target: "churn_30_day")
        fold.role = .fold(0)
        XCTAssertNil(try GBDTJobRunner(spec: fold, threads: 1).run(train: train, eval: test).report.trainingPrediction)
    }

    func testSchemaMapsCategoriesByNameNotByCode() throws {
        let train = try Table(names: ["color", "y"], columns: [
            .categorical(codes: [0, 1, 2, 0, 1, 2], levels: ["red", "green", "blue"]), .numeric([1, 2, 3, 1, 2, 3]),
        ])
        let schema = try FeatureSchema(table: train, features: ["color"])
        let other = try Table(names: ["color"], columns: [.categorical(codes: [0, 1, 2, -1], levels: ["blue", "red", "purple"])])
        let x = try schema.matrix(from: other)
        XCTAssertEqual(x.columns[0][0], 2)
        XCTAssertEqual(x.columns[0][1], 0)
        XCTAssertTrue(x.columns[0][2].isNaN, "an unseen category is missing")
        XCTAssertTrue(x.columns[0][3].isNaN)
    }

    func testSchemaReadsUnparsableNumbersAsMissingAndNamesMissingColumns() throws {
        let schema = FeatureSchema(features: [.init(name: "age", categorical: false), .init(name: "spend", categorical: false)])
        let table = try Table(names: ["age", "spend"], columns: [.categorical(codes: [0, 1], levels: ["31", "n/a"]), .numeric([1, 2])])
        let x = try schema.matrix(from: table)
        XCTAssertEqual(x.columns[0][0], 31)
        XCTAssertTrue(x.columns[0][1].isNaN)
        XCTAssertThrowsError(try schema.matrix(from: try Table(names: ["age"], columns: [.numeric([1])]))) { error in
            XCTAssertTrue(String(describing: error).contains("'spend'"), String(describing: error))
        }
    }

    func testArtifactRefusesCorruptionAndForeignBytes() throws {
        let (train, _) = halves
        let outcome = try GBDTJobRunner(spec: spec(.regression, target: "engagement_score"), threads: 1).run(train: train, eval: nil)
        var corrupt = outcome.artifact
        corrupt[corrupt.count / 2] ^= 0x40
        XCTAssertThrowsError(try TrainedModel.decode(corrupt))
        XCTAssertThrowsError(try TrainedModel.decode(outcome.artifact.prefix(outcome.artifact.count - 7)))
        XCTAssertThrowsError(try TrainedModel.decode(Data("not a model at all".utf8)))
    }

    func testConformalOffsetReachesTheRequestedCoverage() {
        var rng = SeededRandom(seed: 9)
        let labels = (0..<2001).map { _ in rng.normal() }
        let low = [Double](repeating: -0.5, count: labels.count), high = [Double](repeating: 0.5, count: labels.count)
        let offset = ConformalCalibration.offset(labels: labels, low: low, high: high, coverage: 0.8)
        let covered = labels.filter { $0 >= -0.5 - offset && $0 <= 0.5 + offset }.count
        XCTAssertEqual(Double(covered) / Double(labels.count), 0.8, accuracy: 0.002)
        XCTAssertEqual(0.5 + offset, 1.2816, accuracy: 0.1, "the 90th percentile of a standard normal")
    }

    func testAnomalyJobScoresWithoutSeeingTheLabelAndRoundTrips() throws {
        let (train, test) = halves
        var anomalySpec = spec(.anomaly, target: CustomerSchema.anomalyLabel)
        anomalySpec.kind = .anomaly
        anomalySpec.anomaly.forest.trees = 50
        anomalySpec.anomaly.autoencoder.epochs = 2
        let outcome = try JobRunner.run(spec: anomalySpec, threads: 2, inputs: JobInputs(train: train, eval: test))
        XCTAssertFalse(outcome.report.features.contains(CustomerSchema.anomalyLabel), "the label is for evaluation only")
        XCTAssertGreaterThan(try XCTUnwrap(outcome.report.metric("auc")), 0.8)
        XCTAssertNotNil(outcome.report.metric("auc_isolation_forest"))
        assertInMetricTable(outcome.report.metrics)
        let model = try TrainedModel.decode(outcome.artifact)
        XCTAssertEqual(model.outputNames, ["score", "flag", "isolation_forest_score", "autoencoder_error"])
        let outputs = try model.predict(test)
        XCTAssertEqual(outputs[0], outcome.evalPredictions)
        XCTAssertTrue(outputs[0].allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertTrue(outputs[1].allSatisfy { $0 == 0 || $0 == 1 })
        let labels = try test.numeric(CustomerSchema.anomalyLabel)
        XCTAssertEqual(Metrics.auc(labels: labels, scores: outputs[2]), try XCTUnwrap(outcome.report.metric("auc_isolation_forest")), accuracy: 1e-12,
                       "the forest's own column is the score behind the reported auc_isolation_forest")
        XCTAssertEqual(Metrics.auc(labels: labels, scores: outputs[3]), try XCTUnwrap(outcome.report.metric("auc_autoencoder")), accuracy: 1e-12)
    }

    /// A fit small enough for one thread leaves the second to score the evaluation rows and the
    /// shuffles tree by tree while it runs: the report must be the one-thread job's, to the bit.
    func testAJobWithAnIdleThreadEvaluatesDuringTheFitAndReportsTheSameNumbers() throws {
        let (train, test) = halves
        for objective in [ModelObjective.binary, .regression] {
            var job = spec(objective, target: objective == .binary ? "churn_30_day" : "engagement_score")
            job.parameters.rootWorkPerThread = train.rowCount * train.columnCount * 10
            let trainer = GBDTTrainer(objective: objective == .binary ? .binary : .regression, parameters: { var p = job.parameters; p.threads = 2; return p }())
            XCTAssertTrue(trainer.leavesThreadsIdle(rows: train.rowCount, features: train.columnCount), "the fit must leave a thread to the evaluation")
            let alone = try GBDTJobRunner(spec: job, threads: 1).run(train: train, eval: test)
            let beside = try GBDTJobRunner(spec: job, threads: 2).run(train: train, eval: test)
            XCTAssertEqual(beside.report.metrics, alone.report.metrics, objective.rawValue)
            XCTAssertEqual(beside.report.importance, alone.report.importance, objective.rawValue)
            XCTAssertEqual(beside.evalPredictions, alone.evalPredictions, objective.rawValue)
            XCTAssertTrue(beside.report.importance.contains { $0.permutation > 0.001 }, objective.rawValue)
        }
    }

    func testAJobOfAnUnknownKindDoesNotDecode() throws {
        let json = String(decoding: try JSONEncoder().encode(spec(.binary, target: "churn_30_day")), as: UTF8.self)
        XCTAssertTrue(json.contains(#""kind":"gbdt""#), json)
        let other = Data(json.replacingOccurrences(of: #""kind":"gbdt""#, with: #""kind":"svm""#).utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(TrainingJobSpec.self, from: other)) { error in
            XCTAssertTrue(String(describing: error).contains("svm"), String(describing: error))
        }
    }

    /// The GBDT path (tree by tree, only rows whose path tests the feature re-walked, shuffles in
    /// parallel) must give the numbers of shuffling and re-predicting every feature.
    func testPermutationImportanceWithMoreThanSixtyFourFeaturesMatchesRepredicting() throws {
        // Features 3 and 67 share a bit of the path masks: only the paths can tell them apart.
        var rng = SeededRandom(seed: 8)
        let features = 70, rows = 300
        let columns = (0..<features).map { _ in (0..<rows).map { _ in rng.normal() } }
        let y = (0..<rows).map { r in columns[3][r] - 2 * columns[67][r] + 0.5 * columns[40][r] + 0.1 * rng.normal() }
        let x = try FeatureMatrix(names: (0..<features).map { "f\($0)" }, columns: columns, isCategorical: Array(repeating: false, count: features))
        var parameters = GBDTParameters()
        parameters.trees = 15
        parameters.minDataInLeaf = 5
        parameters.threads = 1
        let model = try GBDTTrainer(objective: .regression, parameters: parameters).train(x, labels: y)
        let loss: ([Double], [Double]) -> Double = { Metrics.rmse(labels: $0, predictions: $1) }
        let slow = try PermutationImportance.compute(x: x, labels: y, seed: 5, predict: { try model.predict($0) }, loss: loss)
        let fast = try PermutationImportance.compute(x: x, labels: y, seed: 5, model: model, threads: 2, loss: loss)
        XCTAssertEqual(fast, slow)
        XCTAssertTrue(fast[3] > 0.1 && fast[67] > 0.1, "both features sharing a mask bit matter: \(fast[3]), \(fast[67])")
    }

    func testPermutationImportanceOfAGBDTMatchesRepredicting() throws {
        let (train, test) = halves
        for objective in [ModelObjective.binary, .regression] {
            let target = objective == .binary ? "churn_30_day" : "engagement_score"
            let jobSpec = spec(objective, target: target)
            let names = GBDTJobRunner.featureNames(of: train, excluding: jobSpec.excludedColumns, target: target)
            let schema = try FeatureSchema(table: train, features: names)
            let model = try GBDTTrainer(objective: objective == .binary ? .binary : .regression, parameters: jobSpec.parameters)
                .train(try schema.matrix(from: train), labels: try train.numeric(target))
            // The model's columns in another order plus one it never saw: lookups go by name.
            var x = try schema.matrix(from: test)
            x = try FeatureMatrix(names: x.names.reversed() + ["unused"], columns: x.columns.reversed() + [Array(repeating: 1, count: x.rowCount)],
                                  isCategorical: x.isCategorical.reversed() + [false])
            let y = try test.numeric(target)
            let loss: ([Double], [Double]) -> Double = objective == .binary
                ? { 1 - Metrics.auc(labels: $0, scores: $1) } : { Metrics.rmse(labels: $0, predictions: $1) }
            let slow = try PermutationImportance.compute(x: x, labels: y, repeats: 2, seed: 11, predict: { try model.predict($0) }, loss: loss)
            let fast = try PermutationImportance.compute(x: x, labels: y, repeats: 2, seed: 11, model: model, threads: 2, loss: loss)
            let oneThread = try PermutationImportance.compute(x: x, labels: y, repeats: 2, seed: 11, model: model, threads: 1, loss: loss)
            XCTAssertEqual(fast.count, x.columnCount)
            XCTAssertEqual(fast.last, 0, "a column the model does not use cannot matter")
            XCTAssertTrue(fast.contains { $0 > 0.01 }, "\(objective): shuffling some feature must hurt")
            XCTAssertEqual(fast, slow, "\(objective): bit for bit, as the same sums in the same order")
            XCTAssertEqual(oneThread, fast, "on any thread count")
        }
    }
}
