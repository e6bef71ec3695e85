import Foundation
import ModelZoo
import Registry
import TestSupport
import XCTest

/// The whole path as separate OS processes: `engage run` starts a coordinator and real worker
/// processes on loopback, the jobs travel over ZeroMQ, and versions land in a SQLite registry.
final class PipelineTests: XCTestCase {
    func testRunRegistersVersionsAndASecondRunAddsVersionTwo() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("pipeline")
        _ = try smallClusterFile(in: directory)

        let first = try engage.run(["run", "--config", "cluster.yaml"], in: directory)
        XCTAssertEqual(first.status, 0, first.output)
        XCTAssertTrue(first.output.contains("churn"), first.output)

        let list = try engage.run(["registry", "list", "--json"], in: directory)
        XCTAssertEqual(list.status, 0, list.output)
        let listed = try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as! [[String: Any]]
        XCTAssertEqual(Set(listed.compactMap { $0["model"] as? String }), ["engagement", "churn"])

        let registry = try ModelRegistry.openReadOnly(path: (directory as NSString).appendingPathComponent("registry/engage.sqlite"))
        let churn1 = try registry.version(model: "churn", version: 1)
        let engagement1 = try registry.version(model: "engagement", version: 1)
        XCTAssertGreaterThan(try XCTUnwrap(churn1.metric("auc")), 0.75)
        XCTAssertGreaterThan(try XCTUnwrap(engagement1.metric("r2")), 0.5)
        XCTAssertFalse(churn1.shardIDs.isEmpty)
        XCTAssertEqual(try registry.artifact(model: "churn", version: 1).count, churn1.artifactBytes)

        let second = try engage.run(["run", "--config", "cluster.yaml"], in: directory)
        XCTAssertEqual(second.status, 0, second.output)
        let versions = try registry.versions()
        XCTAssertEqual(versions.count, 4)
        XCTAssertEqual(versions.filter { $0.model == "churn" }.map(\.version), [1, 2])
        XCTAssertEqual(try registry.version(model: "churn", version: 1), churn1, "version 1 must be untouched by the second run")
        XCTAssertNotEqual(try registry.version(model: "churn", version: 2).runID, churn1.runID)

        let show = try engage.run(["registry", "show", "churn@2"], in: directory)
        XCTAssertEqual(show.status, 0, show.output)
        XCTAssertTrue(show.output.contains("auc"), show.output)
    }

    /// All five kinds and the ensemble as cluster jobs: fold jobs feed the ensemble, the
    /// unsupervised models score every row, and six versions land in the registry.
    func testAllSixModelsLandAsVersionsWithTheEnsembleOverOutOfFoldPredictions() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("six")
        _ = try smallClusterFile(in: directory, rows: 3000, models: sixModels(trees: 20, leaves: 15, shapRows: 50, permutationRows: 200,
                                                                         forestTrees: 50, autoencoderEpochs: 2, factors: 8))
        let run = try engage.run(["run", "--config", "cluster.yaml"], in: directory)
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("6 new versions"), run.output)
        XCTAssertTrue(run.output.contains("churn/fold1 done"), run.output)
        XCTAssertTrue(run.output.contains("binned the training rows once for"), run.output)
        XCTAssertFalse(run.output.contains("binned its own rows"), "every GBDT job trained on the shared bins")

        let registry = try ModelRegistry.openReadOnly(path: (directory as NSString).appendingPathComponent("registry/engage.sqlite"))
        XCTAssertEqual(Set(try registry.versions().map(\.model)),
                       ["engagement", "churn", "lifetime_value", "anomaly", "recommender", "ensemble"])
        let ensemble = try registry.version(model: "ensemble", version: 1)
        let churn = try registry.version(model: "churn", version: 1)
        XCTAssertEqual(try XCTUnwrap(ensemble.metric("reference_auc")), try XCTUnwrap(churn.metric("auc")), accuracy: 1e-12,
                       "the lift is measured against the registered churn model's test AUC")
        XCTAssertEqual(try XCTUnwrap(ensemble.metric("auc_lift")),
                       try XCTUnwrap(ensemble.metric("auc")) - (try XCTUnwrap(churn.metric("auc"))), accuracy: 1e-12)
        XCTAssertEqual(Set(try registry.importance(model: "ensemble", version: 1).map(\.feature)), ["engagement", "churn", "lifetime_value", "anomaly", "recommender"])
        let journal = try registry.jobs(runID: ensemble.runID)
        XCTAssertFalse(journal.isEmpty)
        for job in journal {
            XCTAssertNotNil(job.seconds, "\(job.jobID): its seconds are journaled for the next run's scheduler")
            XCTAssertGreaterThan(job.units ?? 0, 0, job.jobID)
        }
        let recommender = try registry.version(model: "recommender", version: 1)
        XCTAssertNotNil(recommender.metric("hr@10"))
        XCTAssertNotNil(recommender.metric("popularity_hr@10"))
        for version in try registry.versions() {
            for metric in version.metrics {
                XCTAssertNotNil(MetricDefinition.of(metric.name), "\(version.reference): \(metric.split) \(metric.name) is not in the metric table")
            }
        }
    }

    func testAMisspeltKeyIsAClearErrorAndNothingRuns() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("badconfig")
        try "data:\n  rows: 500\n  shardz: 3\n".write(toFile: (directory as NSString).appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let result = try engage.run(["run", "--config", "bad.yaml"], in: directory)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("bad.yaml:3:"), result.output)
        XCTAssertTrue(result.output.contains("data.shardz"), result.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("registry")))
    }

    func testARaggedCSVNamesTheLine() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("ragged")
        try "user_id,a,b,churn_30_day\n1,0.5,2,0\n2,0.7,1\n3,0.1,4,1\n".write(toFile: (directory as NSString).appendingPathComponent("customers.csv"), atomically: true, encoding: .utf8)
        try """
        data: { source: csv, path: customers.csv }
        models:
          churn: { kind: gbdt, objective: binary, target: churn_30_day, trees: 5 }
        """.write(toFile: (directory as NSString).appendingPathComponent("cluster.yaml"), atomically: true, encoding: .utf8)
        let result = try engage.run(["run", "--config", "cluster.yaml"], in: directory)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("customers.csv:3"), result.output)
    }
}
