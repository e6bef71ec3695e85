import Foundation
@testable import ModelZoo

/// Seeded data generators whose true relationship is known, for model tests.
struct SyntheticData {
    var random: SplitMix64

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    mutating func uniform(_ range: ClosedRange<Double> = 0...1) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * random.nextUnit()
    }

    /// Standard normal (Box–Muller).
    mutating func normal() -> Double {
        let u1 = max(random.nextUnit(), 1e-300)
        let u2 = random.nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    mutating func uniformColumn(_ n: Int, _ range: ClosedRange<Double> = 0...1) -> [Double] {
        (0..<n).map { _ in uniform(range) }
    }

    mutating func normalColumn(_ n: Int) -> [Double] {
        (0..<n).map { _ in normal() }
    }

    static func matrix(_ columns: [String: [Double]], categorical: Set<String> = []) throws -> FeatureMatrix {
        let names = columns.keys.sorted()
        return try FeatureMatrix(names: names, columns: names.map { columns[$0]! },
                                 isCategorical: names.map { categorical.contains($0) })
    }

    static func parameters(trees: Int = 50, leaves: Int = 15, minDataInLeaf: Int = 20, threads: Int = 1,
                           seed: UInt64 = 7) -> GBDTParameters {
        var p = GBDTParameters()
        p.trees = trees
        p.leaves = leaves
        p.minDataInLeaf = minDataInLeaf
        p.threads = threads
        p.seed = seed
        return p
    }
}
