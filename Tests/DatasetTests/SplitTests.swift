import Foundation
import XCTest
@testable import Dataset

final class SplitTests: XCTestCase {
    private func binaryLabels(_ n: Int, positiveRate: Double, seed: UInt64) -> [Double] {
        var random = SeededRandom(seed: seed)
        return (0..<n).map { _ in random.bernoulli(positiveRate) ? 1 : 0 }
    }

    private func rate(_ labels: [Double], _ rows: [Int]) -> Double {
        rows.reduce(0) { $0 + labels[$1] } / Double(rows.count)
    }

    func testStratifiedSplitKeepsThePositiveRateAndPartitionsTheRows() {
        let labels = binaryLabels(10_007, positiveRate: 0.13, seed: 1)
        let split = Splitter.stratified(labels: labels, testFraction: 0.2, seed: 42)
        XCTAssertEqual(split.test.count, 2_001)
        XCTAssertEqual(split.train.count + split.test.count, labels.count)
        XCTAssertTrue(Set(split.train).isDisjoint(with: split.test))
        XCTAssertEqual(Set(split.train).union(split.test), Set(0..<labels.count))
        XCTAssertEqual(split.train, split.train.sorted())
        XCTAssertEqual(split.test, split.test.sorted())
        let overall = rate(labels, Array(0..<labels.count))
        XCTAssertEqual(rate(labels, split.test), overall, accuracy: 0.01)
        XCTAssertEqual(rate(labels, split.train), overall, accuracy: 0.01)
    }

    func testSplitIsReproducibleAndSeedDependent() {
        let labels = binaryLabels(1_000, positiveRate: 0.3, seed: 2)
        let a = Splitter.stratified(labels: labels, testFraction: 0.25, seed: 7)
        XCTAssertEqual(a, Splitter.stratified(labels: labels, testFraction: 0.25, seed: 7))
        XCTAssertNotEqual(a, Splitter.stratified(labels: labels, testFraction: 0.25, seed: 8))
    }

    func testContinuousLabelsAreStratifiedByQuantileBins() {
        var random = SeededRandom(seed: 3)
        let labels = (0..<5_000).map { _ in random.logNormal(mu: 0, sigma: 1.5) }
        let split = Splitter.stratified(labels: labels, testFraction: 0.2, seed: 1)
        XCTAssertEqual(split.test.count, 1_000)
        let cuts = labels.sorted()
        // Each decile of the label contributes its share (100 rows) to the test set.
        for decile in 0..<10 {
            let low = cuts[decile * 500], high = decile == 9 ? Double.infinity : cuts[(decile + 1) * 500]
            let inTest = split.test.filter { labels[$0] >= low && labels[$0] < high }.count
            XCTAssertEqual(inTest, 100, "decile \(decile)")
        }
    }

    func testMissingLabelsFormTheirOwnStratum() {
        var labels = binaryLabels(1_000, positiveRate: 0.5, seed: 4)
        for i in stride(from: 0, to: 1_000, by: 10) { labels[i] = .nan }
        let split = Splitter.stratified(labels: labels, testFraction: 0.3, seed: 5)
        XCTAssertEqual(split.test.filter { labels[$0].isNaN }.count, 30)
    }

    func testFoldsAreBalancedWithinEachStratumAndOverall() {
        let labels = binaryLabels(10_003, positiveRate: 0.21, seed: 6)
        let k = 5
        let folds = Splitter.folds(labels: labels, k: k, seed: 9)
        XCTAssertEqual(folds.count, labels.count)
        XCTAssertTrue(folds.allSatisfy { (0..<k).contains($0) })
        for value in [0.0, 1.0] {
            var sizes = [Int](repeating: 0, count: k)
            for (i, fold) in folds.enumerated() where labels[i] == value { sizes[fold] += 1 }
            XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "label \(value): \(sizes)")
        }
        var totals = [Int](repeating: 0, count: k)
        for fold in folds { totals[fold] += 1 }
        XCTAssertLessThanOrEqual(totals.max()! - totals.min()!, 1, "\(totals)")
        XCTAssertEqual(folds, Splitter.folds(labels: labels, k: k, seed: 9))
        XCTAssertNotEqual(folds, Splitter.folds(labels: labels, k: k, seed: 10))
    }

    func testApportionSumsToTotal() {
        XCTAssertEqual(Splitter.apportion(total: 7, sizes: [3, 3, 3]).reduce(0, +), 7)
        XCTAssertEqual(Splitter.apportion(total: 5, sizes: [8, 1, 1]), [4, 1, 0])
        XCTAssertEqual(Splitter.apportion(total: 2, sizes: [1, 1, 1]), [1, 1, 0])
        XCTAssertEqual(Splitter.apportion(total: 0, sizes: []), [])
    }
}
