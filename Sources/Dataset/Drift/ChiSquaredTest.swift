import Foundation

/// Pearson's chi-squared test of homogeneity between a reference and a current sample of one
/// categorical variable, as `scipy.stats.chi2_contingency(table)` computes it on the 2 × k table of
/// level counts with its default `correction=True`: Yates' continuity correction applies only when
/// there is one degree of freedom (two levels).
///
/// Exists so that drift on a categorical feature is judged like scipy judges it. Levels are
/// matched by name; levels absent from both samples and missing values are left out.
public enum ChiSquaredTest {
    public struct Result: Codable, Sendable, Equatable {
        public var statistic: Double
        public var pValue: Double
        public var degreesOfFreedom: Int
    }

    /// nil when fewer than two levels occur, or one sample is empty.
    public static func test(reference: [String: Int], current: [String: Int]) -> Result? {
        let levels = Set(reference.keys).union(current.keys).filter { (reference[$0] ?? 0) + (current[$0] ?? 0) > 0 }.sorted()
        let observed = [levels.map { Double(reference[$0] ?? 0) }, levels.map { Double(current[$0] ?? 0) }]
        let rowTotals = observed.map { $0.reduce(0, +) }
        guard levels.count >= 2, rowTotals[0] > 0, rowTotals[1] > 0 else { return nil }
        let total = rowTotals[0] + rowTotals[1]
        let columnTotals = levels.indices.map { observed[0][$0] + observed[1][$0] }
        let dof = levels.count - 1
        var statistic = 0.0
        for row in 0..<2 {
            for column in levels.indices {
                let expected = rowTotals[row] * columnTotals[column] / total
                var count = observed[row][column]
                if dof == 1 {
                    let difference = expected - count
                    count += min(0.5, abs(difference)) * (difference > 0 ? 1 : (difference < 0 ? -1 : 0))
                }
                statistic += (count - expected) * (count - expected) / expected
            }
        }
        return Result(statistic: statistic, pValue: IncompleteGamma.upperRegularized(Double(dof) / 2, statistic / 2), degreesOfFreedom: dof)
    }

    /// The level counts of a column (missing values left out).
    public static func counts(_ column: Column) -> [String: Int] {
        var counts: [String: Int] = [:]
        switch column {
        case .categorical(let codes, let levels):
            var byCode = [Int](repeating: 0, count: levels.count)
            for code in codes where code >= 0 && Int(code) < levels.count { byCode[Int(code)] += 1 }
            for (code, count) in byCode.enumerated() where count > 0 { counts[levels[code], default: 0] += count }
        case .numeric(let values):
            for value in values where !value.isNaN { counts[String(value), default: 0] += 1 }
        }
        return counts
    }
}

/// The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a), the survival
/// function of the chi-squared distribution (`chi2.sf(x, k) = Q(k/2, x/2)`).
///
/// Series for x < a + 1, Lentz's continued fraction otherwise (Numerical Recipes §6.2), each
/// to full double precision.
public enum IncompleteGamma {
    public static func upperRegularized(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0, "incomplete gamma: a must be positive")
        if x.isNaN { return .nan }
        if x <= 0 { return 1 }
        if x.isInfinite { return 0 }
        return x < a + 1 ? 1 - lowerSeries(a, x) : upperContinuedFraction(a, x)
    }

    private static func logPrefactor(_ a: Double, _ x: Double) -> Double {
        var sign: Int32 = 0
        return a * log(x) - x - lgamma_r(a, &sign)
    }

    private static func lowerSeries(_ a: Double, _ x: Double) -> Double {
        var term = 1 / a, sum = term, ap = a
        for _ in 0..<10_000 {
            ap += 1
            term *= x / ap
            sum += term
            if abs(term) < abs(sum) * Double.ulpOfOne { break }
        }
        return sum * exp(logPrefactor(a, x))
    }

    private static func upperContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = Double.leastNormalMagnitude / Double.ulpOfOne
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < Double.ulpOfOne { break }
        }
        return exp(logPrefactor(a, x)) * h
    }
}
