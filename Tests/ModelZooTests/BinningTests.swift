import XCTest
@testable import ModelZoo

final class BinningTests: XCTestCase {
    func testFewDistinctValuesGetABinPerRunOfMinDataInBinRows() {
        let sample: [Double] = [3, 1, 2, 2, .nan, 1, 3, 3, 1, 2]
        let mapper = BinMapper.numeric(sample: sample, maxBin: 255, minDataInBin: 3)
        guard case .numeric(let bounds) = mapper.kind else { return XCTFail("expected numeric bins") }
        // Zero's bin first (empty here), then a bound after 1 (3 rows) and after 2 (3 rows).
        XCTAssertEqual(bounds, [BinMapper.zeroThreshold, 1.5.nextUp, 2.5.nextUp, .infinity])
        XCTAssertTrue(mapper.sawMissing)
        XCTAssertEqual([0, 1, 2, 3].map { mapper.bin(of: $0) }, [0, 1, 2, 3])
        XCTAssertEqual(mapper.bin(of: .nan), mapper.missingBin)
        XCTAssertEqual(mapper.bin(of: -100), 0)
        XCTAssertEqual(mapper.bin(of: .infinity), 3)
        let one = BinMapper.numeric(sample: sample, maxBin: 255, minDataInBin: 1)
        XCTAssertEqual(one.kind, .numeric(upperBounds: [BinMapper.zeroThreshold, 1.5.nextUp, 2.5.nextUp, .infinity]))
        let five = BinMapper.numeric(sample: sample, maxBin: 255, minDataInBin: 5)
        XCTAssertEqual(five.kind, .numeric(upperBounds: [BinMapper.zeroThreshold, 2.5.nextUp, .infinity]), "1 and 2 share a bin")
    }

    /// The columns of bench/lightgbm_bin_fixture.py, built from the same integer formulas.
    private func lightGBMFixtureColumns() -> [(name: String, values: [Double], maxBin: Int)] {
        let levels: [Double] = [1, 2, 3, 4, 5, 6, 7], repeats = [2, 2, 3, 1, 5, 1, 4]
        var rare = [Double]()
        for (level, count) in zip(levels, repeats) { rare += [Double](repeating: level, count: count) }
        let signed = (0..<1_000).map { i -> Double in
            let k = (i * 7919) % 1_000
            if k < 300 { return -Double(k % 157 + 1) / 10 }
            if k < 450 { return 0 }
            if k < 980 { return Double((k * 31) % 509 + 1) / 10 }
            return .nan
        }
        let positive = (0..<2_000).map { (i: Int) -> Double in
            let k: Int = (i * i * 37 + i * 11) % 9_973
            return Double(k + 1)
        }
        return [("rare_integers", rare, 255), ("signed_with_zeros_and_nan", signed, 16), ("positive_only", positive, 32)]
    }

    /// LightGBM 4.7.0's bins for the same columns (bench/lightgbm_bin_fixture.py): the split
    /// thresholds of a model that uses every bound, and `Dataset.feature_num_bin` (which counts
    /// its NaN bin). The empty zero bin of an all-positive column is never a threshold.
    func testBoundsEqualLightGBMs() {
        let z = BinMapper.zeroThreshold
        let rare: [Double] = [2.5000000000000004, 3.5000000000000004, 5.500000000000001]
        let signed: [Double] = [-12.049999999999999, -9.049999999999999, -6.049999999999999, -3.0499999999999994, -z, z,
                                5.750000000000001, 11.450000000000001, 17.150000000000002, 22.750000000000004,
                                28.350000000000005, 33.85, 39.550000000000004, 45.35]
        let positive: [Double] = [310.50000000000006, 596.5000000000001, 891.5000000000001, 1201.0000000000002, 1516.5000000000002,
                                  1791.5000000000002, 2100.5000000000005, 2402.0000000000005, 2699.5000000000005, 3092.0000000000005,
                                  3409.0000000000005, 3780.5000000000005, 4119.000000000001, 4421.500000000001, 4695.500000000001,
                                  5003.500000000001, 5399.000000000001, 5722.500000000001, 6063.500000000001, 6361.500000000001,
                                  6677.500000000001, 7051.500000000001, 7374.000000000001, 7655.000000000001, 7987.500000000001,
                                  8323.000000000002, 8694.500000000002, 9025.000000000002, 9372.500000000002, 9678.500000000002]
        let expected: [String: (thresholds: [Double], bins: Int)] = [
            "rare_integers": (rare, 5), "signed_with_zeros_and_nan": (signed, 16), "positive_only": (positive, 32),
        ]
        for (name, values, maxBin) in lightGBMFixtureColumns() {
            let mapper = BinMapper.numeric(sample: values, maxBin: maxBin, minDataInBin: 3)
            guard case .numeric(let bounds) = mapper.kind, let fixture = expected[name] else { return XCTFail(name) }
            XCTAssertEqual(mapper.valueBinCount + (mapper.sawMissing ? 1 : 0), fixture.bins, name)
            let splittable = bounds.dropLast().filter { bound in values.contains { $0 <= bound } }
            XCTAssertEqual(splittable, fixture.thresholds, name)
            XCTAssertEqual(bounds.last, .infinity, name)
        }
    }

    func testManyDistinctValuesAreGroupedIntoBalancedBins() {
        var data = SyntheticData(seed: 1)
        let sample = data.normalColumn(20_000)
        let mapper = BinMapper.numeric(sample: sample, maxBin: 32)
        XCTAssertLessThanOrEqual(mapper.valueBinCount, 32)
        XCTAssertGreaterThanOrEqual(mapper.valueBinCount, 28)
        var counts = [Int](repeating: 0, count: mapper.totalBinCount)
        for value in sample { counts[mapper.bin(of: value)] += 1 }
        // Zero's own bin is empty: no value of a normal sample is exactly 0.
        let zeroBin = mapper.bin(of: 0)
        XCTAssertEqual(counts[zeroBin], 0)
        let expected = Double(sample.count) / Double(mapper.valueBinCount - 1)
        for (bin, count) in counts.prefix(mapper.valueBinCount).enumerated() where bin != zeroBin {
            XCTAssertEqual(Double(count), expected, accuracy: expected * 0.5)
        }
    }

    func testFrequentValueGetsItsOwnBin() {
        var data = SyntheticData(seed: 2)
        let sample = data.uniformColumn(5_000) + [Double](repeating: 0.5, count: 2_000)
        let mapper = BinMapper.numeric(sample: sample, maxBin: 16)
        let bin = mapper.bin(of: 0.5)
        let sharing = sample.filter { mapper.bin(of: $0) == bin && $0 != 0.5 }.count
        // As in LightGBM, the values just below it join its bin when their own would be under half full.
        XCTAssertLessThan(Double(sharing), 0.5 * 5_000 / 15, "a value holding a large share of rows should not share its bin widely")
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
        XCTAssertTrue(BinMapper.numeric(sample: [0, 0, 1e-40], maxBin: 255).isTrivial, "values within 1e-35 of zero are zero")
        XCTAssertFalse(BinMapper.numeric(sample: [4, 4, .nan], maxBin: 255).isTrivial)
        XCTAssertFalse(BinMapper.numeric(sample: [4, 4, 4, 5, 5, 5], maxBin: 255).isTrivial)
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

    /// A column with everything binning has to get right: repeats, a dominant value, NaN,
    /// both infinities, −0 beside +0, negative and positive values.
    private func awkwardColumn(_ n: Int, seed: UInt64) -> [Double] {
        var data = SyntheticData(seed: seed)
        return (0..<n).map { i in
            switch i % 11 {
            case 0: return .nan
            case 1: return Double(Int(data.uniform(0...20)))
            case 2: return i % 3 == 0 ? -0.0 : 0.0
            case 3: return 7.25
            case 4: return i % 2 == 0 ? .infinity : -.infinity
            default: return data.normal() * 1e3
            }
        }
    }

    func testSortedColumnBinningEqualsSampleBinning() {
        for (n, maxBin) in [(1, 255), (2, 255), (3_000, 255), (3_000, 16), (50, 4)] {
            let column = awkwardColumn(n, seed: UInt64(n + maxBin))
            let sorted = column.withUnsafeBufferPointer(SortedColumn.init)
            XCTAssertEqual(sorted.values, column.filter { !$0.isNaN }.sorted(), "n \(n)")
            let mapper = BinMapper.numeric(sorted: sorted, inSample: nil, maxBin: maxBin)
            XCTAssertEqual(mapper, BinMapper.numeric(sample: column, maxBin: maxBin), "n \(n) maxBin \(maxBin)")
            guard case .numeric(let bounds) = mapper.kind else { return XCTFail("expected numeric bins") }
            var bins = [UInt8](repeating: 255, count: n)
            bins.withUnsafeMutableBufferPointer { sorted.writeBins(bounds: bounds, into: $0.baseAddress!) }
            for (row, value) in column.enumerated() {
                XCTAssertEqual(Int(bins[row]), mapper.bin(of: value), "row \(row) value \(value)")
            }
        }
    }

    func testSortedColumnBinningCountsOnlyTheSample() {
        let column = awkwardColumn(4_000, seed: 8)
        var random = SplitMix64(seed: 12)
        let sample = Sampling.sortedSubset(of: column.count, count: 700, using: &random)
        var inSample = [Bool](repeating: false, count: column.count)
        for row in sample { inSample[Int(row)] = true }
        let sorted = column.withUnsafeBufferPointer(SortedColumn.init)
        XCTAssertEqual(BinMapper.numeric(sorted: sorted, inSample: inSample, maxBin: 32),
                       BinMapper.numeric(sample: sample.map { column[Int($0)] }, maxBin: 32))
        let noMissingInSample = (0..<column.count).map { column[$0].isNaN ? false : inSample[$0] }
        XCTAssertFalse(BinMapper.numeric(sorted: sorted, inSample: noMissingInSample, maxBin: 32).sawMissing)
    }

    func testBinningWholeColumnsAgreesWithBinOfEachValue() throws {
        var data = SyntheticData(seed: 15)
        let codes = (0..<2_000).map { i -> Double in i % 13 == 0 ? .nan : (i % 17 == 0 ? -1 : Double(Int(data.uniform(0...40)))) }
        let numeric = awkwardColumn(2_000, seed: 16)
        let x = try SyntheticData.matrix(["code": codes, "value": numeric], categorical: ["code"])
        let binned = BinnedFeatures(x, maxBin: 8, sampleCount: 1_500, seed: 3, runner: ParallelRunner(threads: 2))
        for f in 0..<2 {
            for r in 0..<x.rowCount {
                XCTAssertEqual(Int(binned.bins[f * x.rowCount + r]), binned.mappers[f].bin(of: x.columns[f][r]),
                               "feature \(x.names[f]) row \(r)")
            }
        }
        XCTAssertTrue(binned.mappers[0].isCategorical)
        XCTAssertEqual(binned.mappers[0].bin(of: 1e6), binned.mappers[0].valueBinCount - 1, "an unseen code is pooled")
    }

    func testLargePartitionSplitsInBlocksLikeTheDefinitionAndGathersGradients() {
        let rowCount = 3 * DataPartition.blockRows + 1_234
        var random = SplitMix64(seed: 21)
        let bag = Sampling.sortedSubset(of: rowCount, count: rowCount - 5_000, using: &random)
        let column = (0..<rowCount).map { _ in UInt8(random.next() % 10) }
        let gradients = (0..<rowCount).map { _ in random.nextUnit() - 0.5 }
        let hessians = (0..<rowCount).map { _ in random.nextUnit() }
        var table = [Bool](repeating: false, count: 256)
        for bin in [1, 4, 5, 8] { table[bin] = true }
        let expectedLeft = bag.filter { table[Int(column[Int($0)])] }
        let expectedRight = bag.filter { !table[Int(column[Int($0)])] }
        for (threads, gatherLeft) in [(1, true), (2, true), (2, false), (3, false)] {
            let partition = DataPartition(rowCapacity: rowCount, leafCapacity: 2)
            partition.reset(bag: bag)
            var orderedG = [Double](repeating: .nan, count: rowCount)
            var orderedH = [Double](repeating: .nan, count: rowCount)
            let left = column.withUnsafeBufferPointer { c in
                table.withUnsafeBufferPointer { t in
                    gradients.withUnsafeBufferPointer { g in
                        hessians.withUnsafeBufferPointer { h in
                            orderedG.withUnsafeMutableBufferPointer { og in
                                orderedH.withUnsafeMutableBufferPointer { oh in
                                    partition.split(leaf: 0, into: 1, column: c.baseAddress!, goesLeft: t.baseAddress!,
                                                    gather: .init(gradients: g.baseAddress!, hessians: h.baseAddress!,
                                                                  orderedGradients: og.baseAddress!, orderedHessians: oh.baseAddress!,
                                                                  left: gatherLeft),
                                                    runner: ParallelRunner(threads: threads))
                                }
                            }
                        }
                    }
                }
            }
            XCTAssertEqual(left, expectedLeft.count)
            XCTAssertEqual(Array(partition.rows(ofLeaf: 0)), expectedLeft, "threads \(threads)")
            XCTAssertEqual(Array(partition.rows(ofLeaf: 1)), expectedRight, "threads \(threads)")
            let side = gatherLeft ? expectedLeft : expectedRight
            XCTAssertEqual(Array(orderedG.prefix(side.count)), side.map { gradients[Int($0)] })
            XCTAssertEqual(Array(orderedH.prefix(side.count)), side.map { hessians[Int($0)] })
        }
    }
}
