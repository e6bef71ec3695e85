@testable import Coordinator
import Dataset
import Foundation
import ModelZoo
import Training
import Registry
import XCTest

/// The ensemble's inputs never come from a model that saw the row: fold jobs hold their fold
/// out, no training job reads a test shard, and the stacking table says which fold predicted
/// each training row.
final class StackingPlanTests: XCTestCase {
    private static let yaml = """
    data: { source: generate, rows: 600, seed: 5, shards: 6, test_fraction: 0.2, folds: 3 }
    models:
      engagement: { kind: gbdt, objective: regression, target: engagement_score, trees: 5 }
      churn:      { kind: gbdt, objective: binary, target: churn_30_day, trees: 5 }
      anomaly:    { kind: anomaly, target: is_anomaly }
      recommender: { kind: ncf, epochs: 1 }
      ensemble:   { kind: stacking, target: churn_30_day, inputs: [engagement, churn, anomaly, recommender], reference: churn }
    """

    private func prepared() throws -> (ClusterConfig, PreparedData, ShardStore, String) {
        let directory = NSTemporaryDirectory() + "stacking-plan-\(UUID().uuidString)"
        let config = try ClusterConfig.parse(Self.yaml)
        let store = try ShardStore(directory: directory + "/shards")
        let preparer = DataPreparer(config: config, store: store)
        return (config, try preparer.prepare(try preparer.loadTables()), store, directory)
    }

    func testConfigSortsInputsBySupervision() throws {
        let config = try ClusterConfig.parse(Self.yaml)
        let ensemble = try XCTUnwrap(config.models.first { $0.kind == .stacking })
        XCTAssertEqual(ensemble.stacking.supervised, ["engagement", "churn"])
        XCTAssertEqual(ensemble.stacking.unsupervised, ["anomaly", "recommender"])
        XCTAssertThrowsError(try ClusterConfig.parse(Self.yaml.replacingOccurrences(of: "recommender]", with: "recomender]"))) { error in
            XCTAssertTrue("\(error)".contains("'recomender' is not a model of this file"), "\(error)")
        }
    }

    func testNoTestRowIsInAnyOutOfFoldTrainingSet() throws {
        let (_, data, _, _) = try prepared()
        let jobs = try JobPlanner(config: try ClusterConfig.parse(Self.yaml), data: data).plan()
        let test = Set(data.testShards.map(\.id))
        let train = data.trainShards.map(\.id)
        XCTAssertEqual(data.foldShards.count, 3)
        for model in ["engagement", "churn"] {
            var heldOut: [String] = []
            for k in 0..<3 {
                let fold = try XCTUnwrap(jobs.first { $0.id == "\(model)/fold\(k)" })
                let trainIDs = Set(fold.spec.trainShards.map(\.id))
                XCTAssertTrue(trainIDs.isDisjoint(with: test), "\(fold.id) trains on a test shard")
                XCTAssertTrue(trainIDs.isDisjoint(with: fold.spec.evalShards.map(\.id)), "\(fold.id) trains on the fold it predicts")
                XCTAssertEqual(fold.spec.evalShards, data.foldShards[k])
                XCTAssertEqual(fold.spec.scoreShards, data.testShards, "fold models also predict the test rows, never train on them")
                heldOut += fold.spec.evalShards.map(\.id)
            }
            XCTAssertEqual(heldOut.sorted(), train.sorted(), "every training shard is predicted by exactly one fold job")
        }
        for job in jobs where job.spec.kind != .ncf && job.spec.kind != .stacking {
            XCTAssertTrue(Set(job.spec.trainShards.map(\.id)).isDisjoint(with: test), "\(job.id) trains on a test shard")
        }
        let recommender = try XCTUnwrap(jobs.first { $0.id == "recommender/full" })
        XCTAssertEqual(recommender.spec.trainShards, data.interactionShards)
        XCTAssertEqual(recommender.spec.scoreShards, data.trainShards + data.testShards)
        let ensemble = try XCTUnwrap(jobs.first { $0.id == "ensemble/full" })
        XCTAssertEqual(Set(ensemble.dependsOn), Set(jobs.filter { $0.spec.model != "ensemble" }.map(\.id)))
        XCTAssertEqual(ensemble.spec.trainShards, data.trainShards)
        XCTAssertEqual(ensemble.spec.evalShards, data.testShards)
    }

    /// Each base job "predicts" a value that names itself: a fold job (k + 1) / 10, a full job 0.9.
    private func markerPredictions(_ jobs: [PlannedJob]) -> [String: [String: ArraySlice<Double>]] {
        var predictions: [String: [String: ArraySlice<Double>]] = [:]
        for job in jobs where job.spec.kind != .stacking {
            var marker = 0.9
            if case .fold(let k) = job.spec.role { marker = Double(k + 1) / 10 }
            for shard in job.spec.evalShards + job.spec.scoreShards {
                predictions[job.id, default: [:]][shard.id] = ArraySlice(repeating: marker, count: shard.rows)
            }
        }
        return predictions
    }

    private func objectives(_ jobs: [PlannedJob]) -> [String: ModelObjective] {
        Dictionary(jobs.map { ($0.spec.model, $0.spec.objective) }) { first, _ in first }
    }

    /// The table must put fold k's value on exactly the rows of fold k and the fold models' mean on the test rows.
    func testTheStackingTableTakesEachRowFromTheModelThatHeldItOut() throws {
        let (config, data, _, _) = try prepared()
        let jobs = try JobPlanner(config: config, data: data).plan()
        let ensemble = try XCTUnwrap(jobs.first { $0.id == "ensemble/full" })
        let table = try StackingAssembly(ensemble: ensemble, foldShards: data.foldShards)
            .table(predictions: markerPredictions(jobs), objectives: objectives(jobs))
        let trainRows = data.trainShards.reduce(0) { $0 + $1.rows }
        let testRows = data.testShards.reduce(0) { $0 + $1.rows }
        let folds = try StackingTable.validateMembership(table, trainRows: trainRows, testRows: testRows)
        XCTAssertEqual(folds, data.trainRowFolds)
        let engagement = try table.numeric("engagement")
        for row in 0..<trainRows { XCTAssertEqual(engagement[row], Double(folds[row] + 1) / 10, "row \(row)") }
        XCTAssertTrue(engagement[trainRows...].allSatisfy { abs($0 - 0.2) < 1e-12 }, "a test row reads the mean of the fold models (0.1, 0.2, 0.3)")
        // A binary model's probability enters as its log-odds.
        let churn = try table.numeric("churn")
        for row in 0..<trainRows { XCTAssertEqual(1 / (1 + exp(-churn[row])), Double(folds[row] + 1) / 10, accuracy: 1e-12, "row \(row)") }
        XCTAssertTrue(churn[trainRows...].allSatisfy { abs($0 - log(0.25)) < 1e-12 })
        let reference = try table.numeric(StackingTable.referenceColumn)
        XCTAssertTrue(reference[..<trainRows].allSatisfy(\.isNaN))
        XCTAssertTrue(reference[trainRows...].allSatisfy { $0 == 0.9 }, "the lift is measured against the full churn model")
        XCTAssertTrue(try table.numeric("anomaly").allSatisfy { $0 == 0.9 }, "unsupervised inputs come from the full job")
        XCTAssertEqual(table.names, ["fold", "engagement", "churn", "anomaly", "recommender", StackingTable.referenceColumn])
    }

    func testAFoldThatPredictsATestRowOrAMissingFoldPredictionIsRefused() throws {
        let (config, data, _, _) = try prepared()
        let jobs = try JobPlanner(config: config, data: data).plan()
        let ensemble = try XCTUnwrap(jobs.first { $0.id == "ensemble/full" })
        var leaking = data.foldShards
        leaking[1] = data.testShards
        var predictions = markerPredictions(jobs)
        XCTAssertThrowsError(try StackingAssembly(ensemble: ensemble, foldShards: leaking).table(predictions: predictions, objectives: objectives(jobs))) { error in
            XCTAssertEqual(error as? StackingError, .foldMembership("engagement fold 1 predicts test row \(data.trainShards.reduce(0) { $0 + $1.rows })"))
        }
        predictions = markerPredictions(jobs)
        predictions["churn/fold2"] = nil
        XCTAssertThrowsError(try StackingAssembly(ensemble: ensemble, foldShards: data.foldShards).table(predictions: predictions, objectives: objectives(jobs))) { error in
            XCTAssertTrue("\(error)".contains("no prediction of churn/fold2"), "\(error)")
        }
    }

    func testATestRowMarkedWithAFoldIsRefused() throws {
        let table = try StackingTable.make(trainFolds: [0, 1], testRows: 1, inputs: [("churn", [0.1, 0.2, 0.3])])
        XCTAssertNoThrow(try StackingTable.validateMembership(table, trainRows: 2, testRows: 1))
        XCTAssertThrowsError(try StackingTable.validateMembership(table, trainRows: 1, testRows: 2)) { error in
            XCTAssertTrue("\(error)".contains("test rows are never in a fold"), "\(error)")
        }
    }
}
