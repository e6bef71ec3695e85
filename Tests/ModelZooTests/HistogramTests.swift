import XCTest
@testable import ModelZoo

final class HistogramTests: XCTestCase {
    private struct Fixture {
        let binned: BinnedFeatures
        let gradients: [Double]
        let hessians: [Double]
        let rows: [Int32]
        let features: [Int32]

        init(rows n: Int = 3_000, seed: UInt64 = 11) throws {
            var data = SyntheticData(seed: seed)
            let a = data.normalColumn(n)
            let b = (0..<n).map { i in i % 7 == 0 ? Double.nan : data.uniform() }
            let c = (0..<n).map { _ in Double(Int(data.uniform(0...5.99))) }
            let x = try SyntheticData.matrix(["a": a, "b": b, "c": c], categorical: ["c"])
            binned = BinnedFeatures(x, maxBin: 63, sampleCount: 200_000, seed: 0, runner: ParallelRunner(threads: 1))
            gradients = data.normalColumn(n)
            hessians = (0..<n).map { _ in data.uniform(0.1...1) }
            var random = SplitMix64(seed: seed)
            rows = Sampling.sortedSubset(of: n, count: n / 3, using: &random)
            features = [0, 1, 2]
        }

        /// Direct histogram of `rows` (nil = all), with ordered gradients gathered as the learner does.
        /// `paired` passes a copy histogram as the learner does; `gathered` lets a small leaf read
        /// the row-major bins; `only` builds a subset of the features.
        func histogram(rows subset: [Int32]?, threads: Int, constantHessian: Double? = nil, paired: Bool = true,
                       gathered: Bool = false, only: [Int32]? = nil) -> [Double] {
            var out = [Double](repeating: -1, count: binned.totalBinCount * 3)
            var copy = [Double](repeating: .nan, count: binned.totalBinCount * 3)
            let ordered = subset.map { $0.map { gradients[Int($0)] } } ?? gradients
            let orderedH = subset.map { $0.map { hessians[Int($0)] } } ?? hessians
            let count = subset?.count ?? binned.rowCount
            (subset ?? []).withUnsafeBufferPointer { rowPointer in
                ordered.withUnsafeBufferPointer { g in
                    orderedH.withUnsafeBufferPointer { h in
                        binned.bins.withUnsafeBufferPointer { bins in
                            binned.rowBins.withUnsafeBufferPointer { rowBins in
                                binned.histogramOffsets.withUnsafeBufferPointer { offsets in
                                    (only ?? features).withUnsafeBufferPointer { features in
                                        copy.withUnsafeMutableBufferPointer { copy in
                                            out.withUnsafeMutableBufferPointer { hist in
                                                let input = HistogramBuilder.LeafInput(
                                                    rows: subset == nil ? nil : rowPointer.baseAddress, count: count,
                                                    gradients: g.baseAddress!, hessians: constantHessian == nil ? h.baseAddress! : nil,
                                                    constantHessian: constantHessian ?? 0)
                                                let layout = HistogramBuilder.Layout(
                                                    bins: bins.baseAddress!, rowCount: binned.rowCount, offsets: offsets.baseAddress!,
                                                    rowBins: gathered ? rowBins.baseAddress : nil, stride: binned.featureCount,
                                                    copy: paired ? copy.baseAddress : nil)
                                                HistogramBuilder.build(into: hist.baseAddress!, features: features, layout: layout,
                                                                       input: input, runner: ParallelRunner(threads: threads),
                                                                       minimumParallelWork: 0)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return out
        }

        /// The same histogram by the definition: loop over rows, add to the row's bin.
        func naive(rows subset: [Int32]) -> [Double] {
            var out = [Double](repeating: 0, count: binned.totalBinCount * 3)
            for f in features.map(Int.init) {
                for row in subset.map(Int.init) {
                    let entry = (binned.histogramOffsets[f] + Int(binned.bins[f * binned.rowCount + row])) * 3
                    out[entry] += gradients[row]
                    out[entry + 1] += hessians[row]
                    out[entry + 2] += 1
                }
            }
            return out
        }
    }

    func testBuiltHistogramMatchesDefinition() throws {
        let f = try Fixture()
        let built = f.histogram(rows: f.rows, threads: 1)
        let expected = f.naive(rows: f.rows)
        XCTAssertEqual(built.count, expected.count)
        for (a, b) in zip(built, expected) { XCTAssertEqual(a, b, accuracy: 1e-9) }
    }

    func testSubtractionEqualsDirectBuildOfSibling() throws {
        let f = try Fixture()
        let all = (0..<Int32(f.binned.rowCount)).map { $0 }
        let inSubset = Set(f.rows)
        let sibling = all.filter { !inSubset.contains($0) }
        var parent = f.histogram(rows: nil, threads: 1)
        let child = f.histogram(rows: f.rows, threads: 1)
        let direct = f.histogram(rows: sibling, threads: 1)
        parent.withUnsafeMutableBufferPointer { parent in
            child.withUnsafeBufferPointer { child in
                f.features.withUnsafeBufferPointer { features in
                    f.binned.histogramOffsets.withUnsafeBufferPointer { offsets in
                        HistogramBuilder.subtract(child.baseAddress!, from: parent.baseAddress!, features: features,
                                                  offsets: offsets.baseAddress!)
                    }
                }
            }
        }
        for i in stride(from: 0, to: parent.count, by: 3) {
            XCTAssertEqual(parent[i], direct[i], accuracy: 1e-9, "gradient sum of entry \(i / 3)")
            XCTAssertEqual(parent[i + 1], direct[i + 1], accuracy: 1e-9, "hessian sum of entry \(i / 3)")
            XCTAssertEqual(parent[i + 2], direct[i + 2], "count of entry \(i / 3)")
        }
    }

    func testBuildOverManyBlocksMatchesDefinition() throws {
        // More rows than one block, in the subset and in the whole data set, with both hessian paths.
        let f = try Fixture(rows: 3 * HistogramBuilder.blockRows + 100, seed: 12)
        XCTAssertGreaterThan(f.rows.count, HistogramBuilder.blockRows)
        let all = (0..<Int32(f.binned.rowCount)).map { $0 }
        for (subset, input) in [(f.rows, f.rows as [Int32]?), (all, nil)] {
            let built = f.histogram(rows: input, threads: 2)
            let expected = f.naive(rows: subset)
            for (a, b) in zip(built, expected) { XCTAssertEqual(a, b, accuracy: 1e-9) }
            let constant = f.histogram(rows: input, threads: 1, constantHessian: 1)
            for i in stride(from: 0, to: constant.count, by: 3) {
                XCTAssertEqual(constant[i], expected[i], accuracy: 1e-9)
                XCTAssertEqual(constant[i + 2], expected[i + 2])
                XCTAssertEqual(constant[i + 1], expected[i + 2])
            }
        }
    }

    func testParallelBuildIsBitIdenticalToSerial() throws {
        let f = try Fixture()
        XCTAssertEqual(f.histogram(rows: f.rows, threads: 1), f.histogram(rows: f.rows, threads: 4))
        XCTAssertEqual(f.histogram(rows: nil, threads: 1), f.histogram(rows: nil, threads: 3))
    }

    func testPairedBuildMatchesTheSingleHistogramBuild() throws {
        // Large leaves add alternate rows into a second histogram; small leaves gathered row-major
        // pair too. Both must give the definition's sums and exact counts, for both hessian paths.
        let f = try Fixture(rows: 2 * HistogramBuilder.blockRows + 101, seed: 13)
        var random = SplitMix64(seed: 3)
        let small = Sampling.sortedSubset(of: f.binned.rowCount, count: f.binned.rowCount / 40 + 1, using: &random)
        for (subset, input, gathered) in [(f.rows, f.rows as [Int32]?, false), (small, small as [Int32]?, true),
                                          ((0..<Int32(f.binned.rowCount)).map { $0 }, nil as [Int32]?, false)] {
            let expected = f.naive(rows: subset)
            for constant in [nil, 1.0] {
                let paired = f.histogram(rows: input, threads: 1, constantHessian: constant, gathered: gathered)
                let single = f.histogram(rows: input, threads: 1, constantHessian: constant, paired: false, gathered: gathered)
                for i in stride(from: 0, to: expected.count, by: 3) {
                    XCTAssertEqual(paired[i], expected[i], accuracy: 1e-9, "gradient sum of entry \(i / 3)")
                    XCTAssertEqual(paired[i], single[i], accuracy: 1e-9)
                    XCTAssertEqual(paired[i + 2], expected[i + 2], "count of entry \(i / 3)")
                    XCTAssertEqual(paired[i + 1], constant == nil ? expected[i + 1] : expected[i + 2], accuracy: 1e-9)
                }
            }
        }
    }

    func testAFeaturesSumsDoNotDependOnTheFeaturesBuiltBesideIt() throws {
        // Whether a feature is paired depends on its own bins and the leaf's rows, so its sums are
        // bit-identical whichever features share its pass (and so whatever the thread count).
        let f = try Fixture(rows: 4_000, seed: 14)
        for input in [f.rows as [Int32]?, nil] {
            let together = f.histogram(rows: input, threads: 1)
            for feature in f.features {
                let alone = f.histogram(rows: input, threads: 1, only: [feature])
                let range = (f.binned.histogramOffsets[Int(feature)] * 3)..<(f.binned.histogramOffsets[Int(feature) + 1] * 3)
                XCTAssertEqual(Array(alone[range]), Array(together[range]), "feature \(feature)")
            }
        }
    }

    func testConstantHessianPathCountsRows() throws {
        let f = try Fixture()
        let built = f.histogram(rows: f.rows, threads: 2, constantHessian: 1)
        for i in stride(from: 0, to: built.count, by: 3) { XCTAssertEqual(built[i + 1], built[i + 2]) }
    }

    func testSplitSearchFindsPerfectThreshold() throws {
        // Gradients −1 up to 0.5 and +1 above, on a grid of 100 values (one bin each): the best
        // split is between 0.50 and 0.51, with missing rows (gradient +1) sent to the right.
        var data = SyntheticData(seed: 5)
        let n = 2_000
        var x = (0..<n).map { _ in Double(Int(data.uniform(0...99.999))) / 100 }
        for i in stride(from: 0, to: n, by: 10) { x[i] = .nan }
        let matrix = try SyntheticData.matrix(["x": x])
        let binned = BinnedFeatures(matrix, maxBin: 255, sampleCount: 200_000, seed: 0, runner: ParallelRunner(threads: 1))
        let gradients = x.map { $0.isNaN || $0 > 0.5 ? 1.0 : -1.0 }
        var hist = [Double](repeating: 0, count: binned.totalBinCount * 3)
        for r in 0..<n {
            let b = Int(binned.bins[r]) * 3
            hist[b] += gradients[r]
            hist[b + 1] += 1
            hist[b + 2] += 1
        }
        let total = LeafStats(gradient: gradients.reduce(0, +), hessian: Double(n), count: n)
        let best = hist.withUnsafeBufferPointer {
            SplitSearch(GBDTParameters()).best(feature: 0, mapper: binned.mappers[0], histogram: $0.baseAddress!,
                                               total: total)
        }
        XCTAssertTrue(best.isValid)
        XCTAssertFalse(best.defaultLeft)
        XCTAssertEqual(binned.mappers[0].upperBound(ofBin: best.thresholdBin), 0.505, accuracy: 1e-12)
        XCTAssertEqual(best.left.gradient, -Double(best.left.count))
        XCTAssertEqual(best.right.gradient, Double(best.right.count))
    }

    /// The best numeric split by its definition: every bin that holds rows is a threshold;
    /// missing rows go right, then left (only right, with the larger side as default, when
    /// there are none); the first candidate with the largest gain wins.
    private func definitionBestSplit(_ h: [Double], valueBins: Int, total: LeafStats, p: GBDTParameters) -> SplitCandidate {
        let m = valueBins * 3
        let (mg, mh, mc) = (h[m], h[m + 1], h[m + 2])
        let (tg, th, tc) = (total.gradient, total.hessian, Double(total.count))
        let parentGain = tg * tg / (th + p.lambdaL2)
        var best = SplitCandidate.none
        func consider(_ lg: Double, _ lh: Double, _ lc: Double, _ rg: Double, _ rh: Double, _ rc: Double,
                      threshold: Int, defaultLeft: Bool) {
            guard lc >= Double(p.minDataInLeaf), rc >= Double(p.minDataInLeaf),
                  lh >= p.minSumHessianInLeaf, rh >= p.minSumHessianInLeaf else { return }
            let gain = lg * lg / (lh + p.lambdaL2) + rg * rg / (rh + p.lambdaL2)
            guard gain > parentGain + p.minGainToSplit, gain - parentGain > best.gain else { return }
            best.feature = 0
            best.gain = gain - parentGain
            best.thresholdBin = threshold
            best.defaultLeft = defaultLeft
            best.left = LeafStats(gradient: lg, hessian: lh, count: Int(lc))
            best.right = LeafStats(gradient: rg, hessian: rh, count: Int(rc))
        }
        var g = 0.0, hs = 0.0, c = 0.0
        for t in 0..<valueBins where h[t * 3 + 2] > 0 {
            g += h[t * 3]
            hs += h[t * 3 + 1]
            c += h[t * 3 + 2]
            if mc > 0 {
                consider(g, hs, c, tg - g, th - hs, tc - c, threshold: t, defaultLeft: false)
                consider(g + mg, hs + mh, c + mc, tg - g - mg, th - hs - mh, tc - c - mc, threshold: t, defaultLeft: true)
            } else {
                consider(g, hs, c, tg - g, th - hs, tc - c, threshold: t, defaultLeft: c >= tc - c)
            }
        }
        return best
    }

    func testNumericSplitSearchEqualsItsDefinition() {
        var random = SplitMix64(seed: 33)
        var p = GBDTParameters()
        var checked = 0
        for trial in 0..<400 {
            let valueBins = 1 + Int(random.next() % 60)
            p.minDataInLeaf = [1, 5, 20][trial % 3]
            p.lambdaL2 = trial % 4 == 0 ? 1.5 : 0
            p.minSumHessianInLeaf = trial % 5 == 0 ? 3 : 1e-3
            var h = [Double](repeating: 0, count: (valueBins + 1) * 3)
            var total = LeafStats()
            for bin in 0...valueBins {
                let empty = random.nextUnit() < 0.3 || (bin == valueBins && trial % 2 == 0)
                let count = empty ? 0 : 1 + Int(random.next() % 40)
                if count == 0 {
                    // What subtracting a sibling can leave in an empty bin.
                    h[bin * 3] = trial % 3 == 0 ? 1e-17 : 0
                    continue
                }
                h[bin * 3] = (random.nextUnit() - 0.45) * Double(count)
                h[bin * 3 + 1] = (0.1 + random.nextUnit()) * Double(count)
                h[bin * 3 + 2] = Double(count)
                total.gradient += h[bin * 3]
                total.hessian += h[bin * 3 + 1]
                total.count += count
            }
            let expected = definitionBestSplit(h, valueBins: valueBins, total: total, p: p)
            let found = h.withUnsafeBufferPointer {
                SplitSearch(p).best(feature: 0, shape: FeatureShape(valueBins: valueBins, isCategorical: false),
                                    histogram: $0.baseAddress!, total: total)
            }
            XCTAssertEqual(found.isValid, expected.isValid, "trial \(trial)")
            guard expected.isValid else { continue }
            checked += 1
            XCTAssertEqual(found.thresholdBin, expected.thresholdBin, "trial \(trial)")
            XCTAssertEqual(found.defaultLeft, expected.defaultLeft, "trial \(trial)")
            XCTAssertEqual(found.gain, expected.gain, "trial \(trial)")
            XCTAssertEqual(found.left, expected.left, "trial \(trial)")
            XCTAssertEqual(found.right, expected.right, "trial \(trial)")
        }
        XCTAssertGreaterThan(checked, 200)
    }

    /// Features go through the rows in as few passes as four lanes allow, of even widths.
    func testFeaturesAreSpreadEvenlyOverTheFewestPasses() {
        for features in 1...21 {
            var widths: [Int] = []
            var left = features
            while left > 0 {
                let width = HistogramBuilder.laneCount(remaining: left)
                widths.append(width)
                left -= width
            }
            XCTAssertEqual(widths.count, (features + 3) / 4, "\(features) features: \(widths)")
            XCTAssertLessThanOrEqual(widths.max()!, 4, "\(features) features: \(widths)")
            XCTAssertLessThanOrEqual(widths.max()! - widths.min()!, 1, "\(features) features: \(widths)")
        }
        XCTAssertEqual(HistogramBuilder.laneCount(remaining: 9), 3)
    }
}
