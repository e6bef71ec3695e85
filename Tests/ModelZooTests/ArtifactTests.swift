import Foundation
import XCTest
@testable import ModelZoo

final class ArtifactTests: XCTestCase {
    /// A model with numeric, categorical and missing-value splits, quantile objective and early stopping.
    private func sampleModel(trees: Int = 8, objective: ObjectiveKind = .quantile(alpha: 0.8)) throws -> GBDTModel {
        var data = SyntheticData(seed: 61)
        let n = 1_200
        let a = data.normalColumn(n)
        let b = (0..<n).map { i in i % 6 == 0 ? Double.nan : data.uniform() }
        let c = (0..<n).map { _ in Double(Int(data.uniform(0...39.999))) }
        let y = (0..<n).map { i in a[i] + (b[i].isNaN ? 2 : b[i]) + (Int(c[i]) % 3 == 0 ? 1.5 : 0) + 0.1 * data.normal() }
        let x = try SyntheticData.matrix(["alpha feature": a, "β": b, "city": c], categorical: ["city"])
        var p = SyntheticData.parameters(trees: trees, leaves: 15)
        p.minDataPerGroup = 10
        p.maxCatToOneHot = 2
        var model = try GBDTTrainer(objective: objective, parameters: p).train(x, labels: objective == .binary ? y.map { $0 > 1 ? 1 : 0 } : y)
        model.bestIteration = model.trees.count
        return model
    }

    func testRoundTripIsExact() throws {
        for objective in [ObjectiveKind.regression, .binary, .quantile(alpha: 0.8)] {
            let model = try sampleModel(objective: objective)
            XCTAssertTrue(model.trees.contains { $0.categoricalSplit.contains { $0 >= 0 } }, "fixture should have categorical splits")
            let data = model.encode()
            XCTAssertEqual(Array(data.prefix(4)), Array("ENGM".utf8))
            XCTAssertEqual(try ModelArtifact.kind(of: data), "gbdt")
            let decoded = try GBDTModel.decode(data)
            XCTAssertEqual(decoded, model)
            XCTAssertEqual(decoded.encode(), data)
        }
    }

    func testRoundTripKeepsInfiniteThresholdsAndEmptyModels() throws {
        let tree = try RegressionTree(
            splitFeature: [0], threshold: [.infinity], categoricalSplit: [-1], defaultLeft: [false], leftChild: [~0],
            rightChild: [~1], splitGain: [2], internalCount: [10], internalHessian: [10], leafValue: [0.5, -0.5],
            leafCount: [6, 4], leafHessian: [6, 4], categoryBoundaries: [], categoryBitset: [])
        let model = try GBDTModel(featureNames: ["x"], objective: .regression, baseScore: 1, trees: [tree])
        XCTAssertEqual(try GBDTModel.decode(model.encode()), model)
        let empty = try GBDTModel(featureNames: [], objective: .binary, baseScore: -0.3, trees: [])
        XCTAssertEqual(try GBDTModel.decode(empty.encode()), empty)
        XCTAssertEqual(try model.predict(try FeatureMatrix(names: ["x"], columns: [[1e300, .nan]], isCategorical: [false])),
                       [1.5, 0.5])
    }

    func testWrongMagicVersionAndKindAreNamed() throws {
        let data = try sampleModel(trees: 2).encode()
        var bytes = [UInt8](data)
        bytes[0] = UInt8(ascii: "X")
        XCTAssertThrowsError(try GBDTModel.decode(Data(bytes))) { error in
            guard case .badMagic = error as? ModelArtifactError else { return XCTFail("\(error)") }
        }
        bytes = [UInt8](data)
        bytes[4] = 2
        XCTAssertThrowsError(try GBDTModel.decode(Data(bytes))) { error in
            XCTAssertEqual(error as? ModelArtifactError, .unsupportedVersion(2, supported: 1))
            XCTAssertTrue("\(error)".contains("version 2"))
        }
        let other = ModelArtifact.seal(ModelArtifact.writer(kind: "iforest"))
        XCTAssertThrowsError(try GBDTModel.decode(other)) { error in
            XCTAssertEqual(error as? ModelArtifactError, .wrongKind(expected: "gbdt", found: "iforest"))
        }
    }

    func testEveryTruncationThrows() throws {
        let data = try sampleModel(trees: 2).encode()
        for length in 0..<data.count {
            XCTAssertThrowsError(try GBDTModel.decode(data.prefix(length)), "prefix of \(length) bytes")
        }
    }

    func testFlippedBitIsCaughtByChecksum() throws {
        let data = try sampleModel(trees: 2).encode()
        var bytes = [UInt8](data)
        bytes[bytes.count / 2] ^= 0x10
        XCTAssertThrowsError(try GBDTModel.decode(Data(bytes))) { error in
            guard case .checksumMismatch = error as? ModelArtifactError else { return XCTFail("\(error)") }
        }
    }

    func testGarbageThrowsAndNeverCrashes() {
        var random = SplitMix64(seed: 62)
        for trial in 0..<500 {
            var bytes = (0..<(trial % 97)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if trial % 2 == 0 { bytes = Array("ENGM".utf8) + [1, 0, 4] + Array("gbdt".utf8) + bytes }
            XCTAssertThrowsError(try GBDTModel.decode(Data(bytes)))
        }
    }

    /// Re-seals mutated bodies so that the checksum passes and structural validation must
    /// catch the damage: decoding either throws `ModelArtifactError` or yields a valid model.
    func testStructurallyCorruptBodiesAreRejectedNotCrashed() throws {
        let model = try sampleModel(trees: 3)
        let body = [UInt8](model.encode().dropLast(4))
        var random = SplitMix64(seed: 63)
        var rejected = 0
        for _ in 0..<2_000 {
            var mutated = body
            let position = 11 + Int(random.next() % UInt64(body.count - 11))
            mutated[position] = UInt8(truncatingIfNeeded: random.next())
            var writer = ArtifactWriter()
            writer.writeBytes(mutated)
            do {
                let decoded = try GBDTModel.decode(ModelArtifact.seal(writer))
                _ = decoded.encode()
            } catch is ModelArtifactError {
                rejected += 1
            }
        }
        XCTAssertGreaterThan(rejected, 100)
    }

    func testChildIndexOutOfRangeIsReported() throws {
        let tree = try RegressionTree(
            splitFeature: [0], threshold: [1], categoricalSplit: [-1], defaultLeft: [true], leftChild: [~0], rightChild: [~1],
            splitGain: [1], internalCount: [2], internalHessian: [2], leafValue: [1, 2], leafCount: [1, 1], leafHessian: [1, 1],
            categoryBoundaries: [], categoryBitset: [])
        let model = try GBDTModel(featureNames: ["x"], objective: .regression, baseScore: 0, trees: [tree])
        var body = [UInt8](model.encode().dropLast(4))
        // Layout: header 11, objective 1, base 8, best 8, count 4, name 4+1, trees 4,
        // leaves 4, boundary count 4, word count 4, split feature 4, threshold 8,
        // categorical 4, default-left 1, then the left child.
        let leftChild = 11 + 1 + 8 + 8 + 4 + 5 + 4 + 4 + 4 + 4 + 4 + 8 + 4 + 1
        XCTAssertEqual(Array(body[leftChild..<(leftChild + 4)]), [0xFF, 0xFF, 0xFF, 0xFF])
        body[leftChild] = 0xF0
        var writer = ArtifactWriter()
        writer.writeBytes(body)
        XCTAssertThrowsError(try GBDTModel.decode(ModelArtifact.seal(writer))) { error in
            XCTAssertTrue("\(error)".contains("out of range"), "\(error)")
        }
    }

    func testTreeValidationRejectsCycles() {
        XCTAssertThrowsError(try RegressionTree(
            splitFeature: [0, 0], threshold: [1, 2], categoricalSplit: [-1, -1], defaultLeft: [true, true],
            leftChild: [~0, 1], rightChild: [~1, ~2], splitGain: [1, 1], internalCount: [3, 2], internalHessian: [3, 2],
            leafValue: [1, 2, 3], leafCount: [1, 1, 1], leafHessian: [1, 1, 1], categoryBoundaries: [], categoryBitset: []))
    }

    func testLargeModelRoundTrips() throws {
        var data = SyntheticData(seed: 64)
        let x = try SyntheticData.matrix(["a": data.normalColumn(2_000), "b": data.normalColumn(2_000)])
        let y = data.normalColumn(2_000)
        var p = SyntheticData.parameters(trees: 300, leaves: 31, minDataInLeaf: 5)
        p.earlyStoppingRounds = nil
        let model = try GBDTTrainer(objective: .regression, parameters: p).train(x, labels: y)
        XCTAssertEqual(model.trees.count, 300)
        XCTAssertEqual(try GBDTModel.decode(model.encode()), model)
    }
}
