import Foundation
@testable import ModelZoo
import XCTest

final class BinnedDatasetTests: XCTestCase {
    /// Numeric columns with repeats and missing values, and a categorical one, with a label that depends on them.
    private func data(rows n: Int, seed: UInt64) throws -> (x: FeatureMatrix, y: [Double]) {
        var random = SyntheticData(seed: seed)
        let a = random.normalColumn(n)
        let b = (0..<n).map { i in i % 13 == 0 ? Double.nan : Double(Int(random.uniform(0...40))) }
        let c = (0..<n).map { _ in Double(Int(random.uniform(0...6.99))) }
        let y = (0..<n).map { i in 2 * a[i] + (b[i].isNaN ? 1 : b[i] / 20) + (c[i] == 3 ? 1.5 : 0) + 0.1 * random.normal() }
        return (try SyntheticData.matrix(["a": a, "b": b, "c": c], categorical: ["c"]), y)
    }

    private func rows(_ x: FeatureMatrix, _ indices: [Int]) throws -> FeatureMatrix {
        try FeatureMatrix(names: x.names, columns: x.columns.map { column in indices.map { column[$0] } }, isCategorical: x.isCategorical)
    }

    func testBinnedRowsTrainTheModelThatBinningTheRowsGives() throws {
        let (x, y) = try data(rows: 3_000, seed: 1)
        let trainer = GBDTTrainer(objective: .regression, parameters: SyntheticData.parameters(trees: 30))
        let own = try trainer.fit(x, labels: y)
        let binned = BinnedDataset(x, settings: .init(trainer.parameters), threads: 2)
        let shared = try trainer.fit(try BinnedDataset(decoding: binned.encode()), labels: y)
        XCTAssertEqual(shared.model.encode(), own.model.encode())
        XCTAssertEqual(shared.trainingRaw, own.trainingRaw)
    }

    func testRowsOfASharedDatasetTrainAsThoseRowsBinnedWithItsEdges() throws {
        let (x, y) = try data(rows: 4_000, seed: 2)
        let trainer = GBDTTrainer(objective: .regression, parameters: SyntheticData.parameters(trees: 25))
        let all = BinnedDataset(x, settings: .init(trainer.parameters))
        // A fold's training rows: every row but those of one fold, in order.
        let kept = (0..<x.rowCount).filter { $0 % 5 != 2 }
        let subset = try all.rows(kept)
        let rebinned = try BinnedDataset(try rows(x, kept), reference: all)
        XCTAssertEqual(subset, rebinned)
        let labels = kept.map { y[$0] }
        let fromShared = try trainer.fit(subset, labels: labels)
        let fromRows = try trainer.fit(rebinned, labels: labels)
        XCTAssertEqual(fromShared.model.encode(), fromRows.model.encode())
        // The fold's own edges differ from the shared ones, so this is a different, equally valid model.
        let ownEdges = BinnedDataset(try rows(x, kept), settings: .init(trainer.parameters))
        XCTAssertNotEqual(ownEdges.mappers, all.mappers)
    }

    func testTrainerRefusesBinsMadeWithOtherSettings() throws {
        let (x, y) = try data(rows: 500, seed: 3)
        var parameters = SyntheticData.parameters(trees: 5)
        let binned = BinnedDataset(x, settings: .init(parameters))
        parameters.maxBin = 63
        XCTAssertThrowsError(try GBDTTrainer(objective: .regression, parameters: parameters).fit(binned, labels: y)) { error in
            XCTAssertTrue("\(error)".contains("maxBin"), "\(error)")
        }
        XCTAssertThrowsError(try GBDTTrainer(objective: .regression, parameters: SyntheticData.parameters(trees: 5))
            .fit(binned, labels: Array(y.dropLast())))
        XCTAssertThrowsError(try binned.rows([0, 500]))
    }

    func testEncodingRoundTripsAndRefusesDamage() throws {
        let (x, _) = try data(rows: 800, seed: 4)
        let binned = BinnedDataset(x, settings: .init(maxBin: 31, sampleCount: 300, seed: 9))
        let bytes = binned.encode()
        XCTAssertEqual(try BinnedDataset(decoding: bytes), binned)
        XCTAssertEqual(try BinnedDataset(decoding: bytes).settings, .init(maxBin: 31, sampleCount: 300, seed: 9))
        var damaged = bytes
        damaged[damaged.count / 2] ^= 0x40
        XCTAssertThrowsError(try BinnedDataset(decoding: damaged))
        XCTAssertThrowsError(try BinnedDataset(decoding: bytes.prefix(bytes.count - 9)))
        XCTAssertThrowsError(try BinnedDataset(decoding: Data("ENGM".utf8)))
    }

    func testReferenceBinningRefusesAMissingOrRetypedFeature() throws {
        let (x, _) = try data(rows: 300, seed: 5)
        let binned = BinnedDataset(x, settings: .init(SyntheticData.parameters()))
        let missing = try FeatureMatrix(names: ["a", "b"], columns: [x.columns[0], x.columns[1]], isCategorical: [false, false])
        XCTAssertThrowsError(try BinnedDataset(missing, reference: binned))
        let retyped = try FeatureMatrix(names: x.names, columns: x.columns, isCategorical: [false, false, false])
        XCTAssertThrowsError(try BinnedDataset(retyped, reference: binned))
    }
}
