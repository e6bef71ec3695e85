import Foundation
@testable import Dataset

/// Small statistics used by the generator tests.
enum TestStatistics {
    static func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }

    static func variance(_ x: [Double]) -> Double {
        let m = mean(x)
        return x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count)
    }

    static func skewness(_ x: [Double]) -> Double {
        let m = mean(x)
        let sd = variance(x).squareRoot()
        return x.reduce(0) { $0 + Foundation.pow(($1 - m) / sd, 3) } / Double(x.count)
    }

    static func rSquared(actual: [Double], predicted: [Double]) -> Double {
        let m = mean(actual)
        var residual = 0.0, total = 0.0
        for (y, p) in zip(actual, predicted) {
            residual += (y - p) * (y - p)
            total += (y - m) * (y - m)
        }
        return 1 - residual / total
    }

    /// Area under the ROC curve, ties counted half (Mann–Whitney).
    static func auc(scores: [Double], labels: [Double]) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumPositive = 0.0
        var positives = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            for k in i...j where labels[order[k]] == 1 {
                rankSumPositive += averageRank
                positives += 1
            }
            i = j + 1
        }
        let negatives = Double(scores.count) - positives
        return (rankSumPositive - positives * (positives + 1) / 2) / (positives * negatives)
    }

    static func correlation(_ x: [Double], _ y: [Double]) -> Double {
        let mx = mean(x), my = mean(y)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        return sxy / (sxx * syy).squareRoot()
    }

    /// Correlation ratio η of a numeric variable with a grouping (missing values skipped).
    static func correlationRatio(_ values: [Double], groups: [Int32]) -> Double {
        var sums: [Int32: (Double, Double)] = [:]
        var all: [Double] = []
        for (x, g) in zip(values, groups) where !x.isNaN && g >= 0 {
            let s = sums[g, default: (0, 0)]
            sums[g] = (s.0 + x, s.1 + 1)
            all.append(x)
        }
        let m = mean(all)
        let between = sums.values.reduce(0) { $0 + $1.1 * ($1.0 / $1.1 - m) * ($1.0 / $1.1 - m) }
        let total = all.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        return (between / total).squareRoot()
    }

    /// Cramér's V between two categorical codes (missing skipped).
    static func cramersV(_ a: [Int32], _ b: [Int32]) -> Double {
        var counts: [Int32: [Int32: Double]] = [:]
        var rowTotals: [Int32: Double] = [:], columnTotals: [Int32: Double] = [:]
        var n = 0.0
        for (x, y) in zip(a, b) where x >= 0 && y >= 0 {
            counts[x, default: [:]][y, default: 0] += 1
            rowTotals[x, default: 0] += 1
            columnTotals[y, default: 0] += 1
            n += 1
        }
        var chi2 = 0.0
        for (x, rowTotal) in rowTotals {
            for (y, columnTotal) in columnTotals {
                let expected = rowTotal * columnTotal / n
                let observed = counts[x]?[y] ?? 0
                chi2 += (observed - expected) * (observed - expected) / expected
            }
        }
        let k = Double(min(rowTotals.count, columnTotals.count) - 1)
        return k > 0 ? (chi2 / (n * k)).squareRoot() : 0
    }
}
