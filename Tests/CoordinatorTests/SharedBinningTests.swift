@testable import Coordinator
import Dataset
import ModelZoo
import TestSupport
import Training
import XCTest

final class SharedBinningTests: XCTestCase {
    private let excluded = [CustomerSchema.idColumn, CustomerSchema.anomalyLabel] + CustomerSchema.targets + CustomerSchema.sensitive

    private func job(_ id: String, kind: ModelKind = .gbdt, target: String, train: [ShardRef], excluding extra: [String] = []) -> PlannedJob {
        let spec = TrainingJobSpec(model: id, kind: kind, objective: kind == .anomaly ? .anomaly : .binary, target: target,
                                   excludedColumns: excluded + extra, quantiles: [], parameters: GBDTParameters(), role: .full,
                                   trainShards: train, evalShards: [])
        return PlannedJob(id: id, spec: spec, dependsOn: [], estimatedCost: 1)
    }

    func testOneBinnedShardServesEveryGBDTJobOfAFeatureSetAndHoldsOnlyTrainingRows() throws {
        let directory = try TemporaryDirectory("binning")
        let store = try ShardStore(directory: directory.path)
        let customers = CustomerGenerator(rows: 900, seed: 4).generate().customers
        let train = try (0..<3).map { try store.write(customers.rows(Array(($0 * 200)..<(($0 + 1) * 200)))) }
        let test = try store.write(customers.rows(Array(600..<900)))
        let jobs = [
            job("churn/full", target: "churn_30_day", train: train),
            job("churn/fold0", target: "churn_30_day", train: [train[1], train[2]]),
            job("engagement/full", target: "engagement_score", train: train),
            job("fewer/full", target: "churn_30_day", train: train, excluding: ["platform"]),
            job("anomaly/full", kind: .anomaly, target: CustomerSchema.anomalyLabel, train: train),
            job("elsewhere/full", target: "churn_30_day", train: [test]),
        ]
        let outcome = try SharedBinning(store: store, threads: 2).attach(to: jobs, trainShards: train)
        XCTAssertEqual(outcome.shards.count, 1, "the one job with fewer features bins its own")
        XCTAssertEqual(outcome.shards.first?.jobs, 3)
        let shard = try XCTUnwrap(outcome.shards.first?.shard)
        let binnedBy = Dictionary(uniqueKeysWithValues: outcome.jobs.map { ($0.id, $0.spec.binnedShard) })
        XCTAssertEqual(binnedBy["churn/full"], shard)
        XCTAssertEqual(binnedBy["churn/fold0"], shard)
        XCTAssertEqual(binnedBy["engagement/full"], shard)
        XCTAssertEqual(binnedBy["fewer/full"], .some(nil))
        XCTAssertEqual(binnedBy["anomaly/full"], .some(nil))
        XCTAssertEqual(binnedBy["elsewhere/full"], .some(nil), "a job on rows outside the training shards")
        XCTAssertTrue(outcome.jobs.first { $0.id == "churn/full" }!.shardIDs.contains(shard.id), "workers fetch it with the job's shards")

        let binned = try BinnedShard(decoding: try store.bytes(of: shard.id), source: shard.id)
        XCTAssertEqual(binned.sources, train)
        XCTAssertEqual(binned.dataset.rowCount, 600)
        XCTAssertEqual(binned.dataset.edgeRows, 600, "edges from the training rows alone")
        XCTAssertFalse(binned.dataset.names.contains("churn_30_day"))
        XCTAssertEqual(binned.rows(of: [train[1], train[2]]), Array(200..<600))
        // The bins are the training rows' own: binning them again with the shared edges gives the same bytes.
        let rows = try Table.concatenated(try train.map { try store.read($0.id) })
        XCTAssertEqual(try BinnedDataset(try binned.schema.matrix(from: rows), reference: binned.dataset), binned.dataset)
    }

    func testASingleGBDTJobIsLeftToBinItsOwnRows() throws {
        let directory = try TemporaryDirectory("binning")
        let store = try ShardStore(directory: directory.path)
        let train = [try store.write(CustomerGenerator(rows: 100, seed: 4).generate().customers)]
        let outcome = try SharedBinning(store: store, threads: 1).attach(to: [job("churn/full", target: "churn_30_day", train: train)], trainShards: train)
        XCTAssertTrue(outcome.shards.isEmpty)
        XCTAssertNil(outcome.jobs[0].spec.binnedShard)
    }
}
