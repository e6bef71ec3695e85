import Dataset
import Foundation
@testable import ModelZoo
@testable import Training
import XCTest

final class BinnedShardTests: XCTestCase {
    private static let data = CustomerGenerator(rows: 2400, seed: 11).generate().customers

    /// Three training "shards" of 600 rows (named by made-up ids) and 600 test rows.
    private let pieces: [Table] = (0..<4).map { BinnedShardTests.data.rows(Array(($0 * 600)..<(($0 + 1) * 600))) }
    private let refs: [ShardRef] = (0..<3).map { ShardRef(id: String(repeating: String($0), count: 64), rows: 600, bytes: 1) }

    private func spec(_ objective: ModelObjective, target: String, train: [ShardRef], role: TrainingJobSpec.Role = .full) -> TrainingJobSpec {
        var parameters = GBDTParameters()
        parameters.trees = 20
        parameters.leaves = 15
        parameters.seed = 3
        let excluded = [CustomerSchema.idColumn, CustomerSchema.anomalyLabel] + CustomerSchema.targets + CustomerSchema.sensitive
        var spec = TrainingJobSpec(model: "m", kind: .gbdt, objective: objective, target: target, excludedColumns: excluded,
                                   quantiles: [], parameters: parameters, role: role, trainShards: train, evalShards: [])
        spec.permutationRows = 0
        spec.shapRows = 0
        return spec
    }

    private func shared(for spec: TrainingJobSpec) throws -> BinnedShard {
        let train = try Table.concatenated(Array(pieces[0..<3]))
        let binned = try BinnedShard.make(train: train, sources: refs, spec: spec, threads: 2)
        return try BinnedShard(decoding: try binned.encode(), source: "test")
    }

    private func run(_ spec: TrainingJobSpec, train: Table, binned: BinnedShard?) throws -> JobOutcome {
        try JobRunner.run(spec: spec, threads: 2, inputs: JobInputs(train: train, eval: pieces[3], binned: binned))
    }

    func testAFullJobOnTheSharedBinsMakesTheModelItsOwnBinningMakes() throws {
        for (objective, target) in [(ModelObjective.binary, "churn_30_day"), (.regression, "engagement_score")] {
            let spec = spec(objective, target: target, train: refs)
            let train = try Table.concatenated(Array(pieces[0..<3]))
            let own = try run(spec, train: train, binned: nil)
            let onShared = try run(spec, train: train, binned: try shared(for: spec))
            XCTAssertEqual(own.report.sharedBins, false)
            XCTAssertEqual(onShared.report.sharedBins, true)
            XCTAssertEqual(onShared.artifact, own.artifact, "\(objective)")
            XCTAssertEqual(onShared.evalPredictions, own.evalPredictions)
        }
    }

    func testAFoldJobTakesItsShardsRowsWithTheSharedEdges() throws {
        let spec = spec(.binary, target: "churn_30_day", train: [refs[2], refs[0]], role: .fold(1))
        let binned = try shared(for: spec)
        let foldTable = try Table.concatenated([pieces[2], pieces[0]])
        let onShared = try run(spec, train: foldTable, binned: binned)
        XCTAssertEqual(onShared.report.sharedBins, true)
        // The same rows binned on their own with the shared edges (LightGBM's `reference=`).
        let x = try binned.schema.matrix(from: foldTable)
        let reference = try BinnedShard(sources: [refs[2], refs[0]], schema: binned.schema,
                                        dataset: try BinnedDataset(x, reference: binned.dataset))
        let rebinned = try run(spec, train: foldTable, binned: reference)
        XCTAssertEqual(onShared.artifact, rebinned.artifact)
        XCTAssertEqual(onShared.report.trainRows, 1200)
    }

    func testJobsTheSharedBinsDoNotFitBinTheirOwn() throws {
        let spec = spec(.binary, target: "churn_30_day", train: refs)
        let binned = try shared(for: spec)
        // Training shards the binned rows do not hold.
        var elsewhere = spec
        elsewhere.trainShards = [ShardRef(id: String(repeating: "f", count: 64), rows: 1800, bytes: 1)]
        let train = try Table.concatenated(Array(pieces[0..<3]))
        XCTAssertEqual(try run(elsewhere, train: train, binned: binned).report.sharedBins, false)
        // Another feature set: the schema differs.
        var fewer = spec
        fewer.excludedColumns.append("platform")
        XCTAssertEqual(try run(fewer, train: train, binned: binned).report.sharedBins, false)
    }

    func testBytesRoundTripAndDamageIsRefused() throws {
        let binned = try shared(for: spec(.binary, target: "churn_30_day", train: refs))
        let bytes = try binned.encode()
        XCTAssertEqual(try BinnedShard(decoding: bytes, source: "s"), binned)
        XCTAssertEqual(binned.rows(of: [refs[1]]), Array(600..<1200))
        XCTAssertNil(binned.rows(of: [ShardRef(id: refs[1].id, rows: 599, bytes: 1)]))
        for damage in [Data(bytes.prefix(9)), Data("ENGS".utf8) + bytes.dropFirst(4), bytes.prefix(bytes.count - 1)] {
            XCTAssertThrowsError(try BinnedShard(decoding: Data(damage), source: "s")) { error in
                XCTAssertEqual((error as? ShardError)?.kind, .malformed, "\(error)")
            }
        }
        XCTAssertThrowsError(try BinnedShard(sources: Array(refs.prefix(2)), schema: binned.schema, dataset: binned.dataset))
    }
}
