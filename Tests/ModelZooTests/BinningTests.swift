import XCTest
@testable import ModelZoo

final class BinningTests: XCTestCase {
    func testFewDistinctValuesGetOneBinEachWithMidpointBounds() {
        let mapper = BinMapper.numeric(sample: [3, 1, 2, 2, .nan, 1, 3, 3], maxBin: 255)
        guard case .numeric(let bounds) = mapper.kind else { return XCTFail("expected numeric bins") }
        XCTAssertEqual(bounds, [1.5, 2.5, .infinity])
        XCTAssertTrue(mapper.sawMissing)
        XCTAssertEqual([1, 2, 3].map { mapper.bin(of: $0) }, [0, 1, 2])
        XCTAssertEqual(mapper.bin(of: .nan), mapper.missingBin)
        XCTAssertEqual(mapper.bin(of: -100), 0)
        XCTAssertEqual(mapper.bin(of: .infinity), 2)
    }

    func testManyDistinctValuesAreGroupedIntoBalancedBins() {
        var data = SyntheticData(seed: 1)
        let sample = data.normalColumn(20_000)
        let mapper = BinMapper.numeric(sample: sample, maxBin: 32)
        XCTAssertLessThanOrEqual(mapper.valueBinCount, 32)
        XCTAssertGreaterThanOrEqual(mapper.valueBinCount, 28)
        var counts = [Int](repeating: 0, count: mapper.totalBinCount)
        for value in sample { counts[mapper.bin(of: value)] += 1 }
        let expected = Double(sample.count) / Double(mapper.valueBinCount)
        for count in counts.prefix(mapper.valueBinCount) {
            XCTAssertEqual(Double(count), expected, accuracy: expected * 0.5)
        }
    }

    func testFrequentValueGetsItsOwnBin() {
        var data = SyntheticData(seed: 2)
        let sample = data.uniformColumn(5_000) + [Double](repeating: 0.5, count: 2_000)
        let mapper = BinMapper.numeric(sample: sample, maxBin: 16)
        let bin = mapper.bin(of: 0.5)
        let sharing = sample.filter { mapper.bin(of: $0) == bin && $0 != 0.5 }.count
        XCTAssertEqual(sharing, 0, "a value holding a large share of rows should not share its bin")
    }

    func testThresholdOfBinAgreesWithBinAssignment() {
        var data = SyntheticData(seed: 3)
        let sample = data.normalColumn(3_000)
        let mapper = BinMapper.numeric(sample: sample, maxBin: 64)
        let probes = data.normalColumn(2_000) + sample.prefix(500)
        for t in 0..<mapper.valueBinCount {
            let bound = mapper.upperBound(ofBin: t)
            for x in probes {
                XCTAssertEqual(mapper.bin(of: x) <= t, x <= bound)
            }
        }
    }

    func testCategoricalKeepsMostFrequentCodesAndPoolsTheRest() {
        let sample: [Double] = [5, 5, 5, 2, 2, 9, 7, 7, 7, 7, -1, .nan]
        let mapper = BinMapper.categorical(sample: sample, maxBin: 3)
        XCTAssertEqual(mapper.categoryCode(ofBin: 0), 7)
        XCTAssertEqual(mapper.categoryCode(ofBin: 1), 5)
        XCTAssertNil(mapper.categoryCode(ofBin: 2))
        XCTAssertEqual(mapper.bin(of: 7), 0)
        XCTAssertEqual(mapper.bin(of: 2), 2)
        XCTAssertEqual(mapper.bin(of: 1234), 2, "unseen codes fall in the pooled bin")
        XCTAssertEqual(mapper.bin(of: -1), mapper.missingBin)
        XCTAssertEqual(mapper.bin(of: .nan), mapper.missingBin)
    }

    func testConstantFeatureIsTrivial() {
        XCTAssertTrue(BinMapper.numeric(sample: [4, 4, 4], maxBin: 255).isTrivial)
        XCTAssertFalse(BinMapper.numeric(sample: [4, 4, .nan], maxBin: 255).isTrivial)
    }

    func testBinnedFeaturesUseSampleForBoundsButBinEveryRow() throws {
        var data = SyntheticData(seed: 4)
        let x = try SyntheticData.matrix(["a": data.uniformColumn(1_000)])
        let binned = BinnedFeatures(x, maxBin: 255, sampleCount: 100, seed: 1, runner: ParallelRunner(threads: 2))
        XCTAssertLessThanOrEqual(binned.mappers[0].valueBinCount, 100)
        for r in 0..<1_000 {
            XCTAssertEqual(Int(binned.bins[r]), binned.mappers[0].bin(of: x.columns[0][r]))
        }
    }

    func testPartitionSplitsStablyAndKeepsMembership() {
        let partition = DataPartition(rowCapacity: 10, leafCapacity: 2)
        partition.reset(bag: [1, 2, 4, 5, 7, 9])
        let column: [UInt8] = [0, 1, 0, 1, 1, 0, 0, 0, 0, 1]
        var table = [Bool](repeating: false, count: 256)
        table[1] = true
        let left = column.withUnsafeBufferPointer { c in
            table.withUnsafeBufferPointer { partition.split(leaf: 0, into: 1, column: c.baseAddress!, goesLeft: $0.baseAddress!) }
        }
        XCTAssertEqual(left, 3)
        XCTAssertEqual(Array(partition.rows(ofLeaf: 0)), [1, 4, 9])
        XCTAssertEqual(Array(partition.rows(ofLeaf: 1)), [2, 5, 7])
    }

    func testSortedSubsetIsSortedDistinctAndExact() {
        var random = SplitMix64(seed: 9)
        let subset = Sampling.sortedSubset(of: 1_000, count: 300, using: &random)
        XCTAssertEqual(subset.count, 300)
        XCTAssertEqual(subset, subset.sorted())
        XCTAssertEqual(Set(subset).count, 300)
    }
}
