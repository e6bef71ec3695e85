import Foundation

/// The two-sample Kolmogorov–Smirnov test, two-sided, as scipy's
/// `scipy.stats.ks_2samp(a, b)` computes it with `method="auto"`.
///
/// Exists so that drift on a numeric feature is judged by the statistic and p-value users get
/// from scipy. With both samples of at most 10,000 values the p-value is exact (Hodges' lattice
/// path counts; the statistic is then reported as h / lcm(n₁, n₂), as scipy does); otherwise it is
/// the two-sided one-sample distribution `kstwo.sf(D, round(n₁n₂ / (n₁ + n₂)))`.
/// Missing values (NaN) are left out of both samples.
public enum KolmogorovSmirnov {
    /// How the p-value was computed.
    public enum Method: String, Codable, Sendable {
        case exact
        case asymptotic
    }

    public struct Result: Codable, Sendable, Equatable {
        /// The largest distance between the two empirical distribution functions.
        public var statistic: Double
        public var pValue: Double
        public var method: Method
        public var sizes: [Int]
    }

    /// The largest sample size for which the p-value is exact (scipy's `MAX_AUTO_N`).
    public static let exactLimit = 10_000

    /// nil when either sample has no present value.
    public static func test(_ first: [Double], _ second: [Double]) -> Result? {
        test(sorted: first.filter { !$0.isNaN }.sorted(), second.filter { !$0.isNaN }.sorted())
    }

    /// The test of two samples already sorted ascending, without missing values.
    static func test(sorted a: [Double], _ b: [Double]) -> Result? {
        guard !a.isEmpty, !b.isEmpty else { return nil }
        let n1 = a.count, n2 = b.count
        var d = statistic(a, b)
        if max(n1, n2) <= exactLimit {
            let g = gcd(n1, n2)
            let lcm = Double((n1 / g) * n2)
            let h = (d * lcm).rounded(.toNearestOrEven)
            d = h / lcm
            if h == 0 { return Result(statistic: d, pValue: 1, method: .exact, sizes: [n1, n2]) }
            let p = n1 == n2 ? probabilityOutsideSquare(n: n1, h: Int(h)) : probabilityOutsideInside(m: n1, n: n2, g: g, h: Int(h))
            if p >= 0, p <= 1 { return Result(statistic: d, pValue: p, method: .exact, sizes: [n1, n2]) }
        }
        let m = Double(max(n1, n2)), n = Double(min(n1, n2))
        let effective = Int((m * n / (m + n)).rounded(.toNearestOrEven))
        let p = KolmogorovDistribution.survival(n: effective, x: d)
        return Result(statistic: d, pValue: min(max(p, 0), 1), method: .asymptotic, sizes: [n1, n2])
    }

    /// max |F₁ − F₂| over the pooled values, each F evaluated as (count ≤ v) / n in floating point.
    static func statistic(_ a: [Double], _ b: [Double]) -> Double {
        let n1 = Double(a.count), n2 = Double(b.count)
        var i = 0, j = 0
        var largest = -Double.infinity, smallest = Double.infinity
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                while i < a.count || j < b.count {
                    let v = j >= b.count || (i < a.count && a[i] <= b[j]) ? a[i] : b[j]
                    while i < a.count && a[i] <= v { i += 1 }
                    while j < b.count && b[j] <= v { j += 1 }
                    let difference = Double(i) / n1 - Double(j) / n2
                    largest = max(largest, difference)
                    smallest = min(smallest, difference)
                }
            }
        }
        let below = min(max(-smallest, 0), 1)
        return below > largest ? below : largest
    }

    /// P(D ≥ h/n) for two samples of size n: 2·A₀(1 − A₁(1 − A₂(1 − …))) with each Aₖ a ratio of
    /// binomial coefficients evaluated as a product of h factors (scipy's `_compute_prob_outside_square`).
    static func probabilityOutsideSquare(n: Int, h: Int) -> Double {
        var p = 0.0
        var k = n / h
        while k >= 0 {
            var term = 1.0
            for j in 0..<h {
                term = Double(n - k * h - j) * term / Double(n + k * h + j + 1)
            }
            p = term * (1 - p)
            k -= 1
        }
        return 2 * p
    }

    /// The share of lattice paths from (0, 0) to (m, n) that leave the band |x/m − y/n| < h/lcm,
    /// by the inside method of Hodges (1958) computing 1 − p directly (Viehmann 2021), keeping one
    /// sliding window of one column (scipy's `_compute_outer_prob_inside_method`).
    static func probabilityOutsideInside(m first: Int, n second: Int, g: Int, h: Int) -> Double {
        let m = max(first, second), n = min(first, second)
        let mg = Double(m / g), ng = Double(n / g)
        let hd = Double(h)
        var minj = 0
        var maxj = min(Int((hd / mg).rounded(.up)), n + 1)
        var currentLength = maxj - minj
        let length = min(2 * maxj + 2, n + 1)
        var column = [Double](repeating: 1, count: length)
        for j in minj..<maxj { column[j] = 0 }
        return column.withUnsafeMutableBufferPointer { a in
            for i in 1...m {
                let lastMinj = minj, lastLength = currentLength
                minj = min(max(Int(((ng * Double(i) - hd) / mg).rounded(.down)) + 1, 0), n)
                maxj = min(Int(((ng * Double(i) + hd) / mg).rounded(.up)), n + 1)
                if maxj <= minj { return 1 }
                var value = minj == 0 ? 0.0 : 1.0
                let di = Double(i)
                for jj in 0..<(maxj - minj) {
                    let j = Double(jj + minj)
                    value = (a[jj + minj - lastMinj] * di + value * j) / (di + j)
                    a[jj] = value
                }
                currentLength = maxj - minj
                let carriedFrom = maxj - minj, carriedTo = min(maxj - minj + lastLength - currentLength, a.count)
                if carriedFrom < carriedTo {
                    for index in carriedFrom..<carriedTo { a[index] = 1 }
                }
            }
            return a[maxj - minj - 1]
        }
    }

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
