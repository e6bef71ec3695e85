import Foundation

/// The distribution of the two-sided one-sample Kolmogorov–Smirnov statistic Dₙ: its survival
/// function P(Dₙ > x), computed the way scipy's `kstwo.sf(x, n)` chooses among algorithms
/// (Simard & L'Ecuyer 2011): Ruben–Gambino's closed forms at the extremes, the Durbin matrix
/// (Marsaglia–Tsang–Wang), Pomeranz's recursion, Pelz–Good's asymptotic series, and twice the
/// one-sided Smirnov probability in the upper tail.
///
/// Exists for the asymptotic branch of `KolmogorovSmirnov.test`. The one-sided Smirnov
/// probability is the Birnbaum–Tingey sum evaluated term by term in logarithms (scipy uses
/// double-double arithmetic instead), so the two agree to about 1e-10 relative for n up to 10⁵.
public enum KolmogorovDistribution {
    private static let scaleExponent = 128
    private static let scaleUp = 0x1p128
    private static let scaleDown = 0x1p-128

    /// P(Dₙ > x).
    public static func survival(n: Int, x: Double) -> Double {
        precondition(n > 0, "kolmogorov: n must be positive")
        if x.isNaN { return .nan }
        if x >= 1 { return 0 }
        if x <= 0 { return 1 }
        let nd = Double(n)
        let t = nd * x
        if t <= 1 {
            if t <= 0.5 { return 1 }
            let probability: Double
            if n <= 140 {
                probability = (1...n).reduce(1.0) { $0 * (Double($1) * (1.0 / nd) * (2 * t - 1)) }
            } else {
                probability = exp(logFactorialOverPower(n) + nd * log(2 * t - 1))
            }
            return clip(1 - probability)
        }
        if t >= nd - 1 { return clip(2 * pow(1 - x, nd)) }
        if x >= 0.5 { return clip(2 * smirnov(n: n, x: x)) }
        let nxSquared = t * x
        if n <= 140 {
            if nxSquared <= 0.754693 { return clip(1 - clip(durbinMatrix(n: n, x: x))) }
            if nxSquared <= 4 { return clip(1 - clip(pomeranz(n: n, x: x))) }
            return clip(2 * smirnov(n: n, x: x))
        }
        if nxSquared >= 370 { return 0 }
        if nxSquared >= 2.2 { return clip(2 * smirnov(n: n, x: x)) }
        let cdf: Double
        if n <= 100_000 && nd * pow(x, 1.5) <= 1.4 {
            cdf = clip(durbinMatrix(n: n, x: x))
        } else {
            cdf = pelzGood(n: n, x: x)
        }
        return clip(1 - cdf)
    }

    /// The one-sided Smirnov survival P(Dₙ⁺ ≥ x) = Σ_{v=0}^{⌊n(1−x)⌋} C(n, v) x (x + v/n)^{v−1} (1 − x − v/n)^{n−v}.
    public static func smirnov(n: Int, x: Double) -> Double {
        if x <= 0 { return 1 }
        if x >= 1 { return 0 }
        let nd = Double(n)
        let last = Int((nd * (1 - x)).rounded(.down))
        let logN = logGamma(nd + 1)
        let logX = log(x)
        var sum = 0.0
        for v in 0...max(last, 0) {
            let vd = Double(v)
            let rest = 1 - x - vd / nd
            let remaining = nd - vd
            if rest <= 0 {
                if remaining > 0 { continue }
            }
            var logTerm: Double = logN - logGamma(vd + 1)
            logTerm -= logGamma(remaining + 1)
            if v > 0 { logTerm += logX + (vd - 1) * log(x + vd / nd) }
            if remaining > 0 { logTerm += remaining * log(rest) }
            sum += exp(logTerm)
        }
        return sum
    }

    /// log(n! / nⁿ) by Stirling's series (scipy's `_log_nfactorial_div_n_pow_n`).
    static func logFactorialOverPower(_ n: Int) -> Double {
        let coefficients = [-2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
                            -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2]
        let nd = Double(n)
        let rn = 1 / nd
        let series = coefficients.reduce(0.0) { $0 * (rn / nd) + $1 }
        return log(nd) / 2 - nd + log(2 * Double.pi) / 2 + rn * series
    }

    /// P(Dₙ ≤ x) by the Durbin matrix: the (k, k) entry of Hⁿ times n!/nⁿ (Marsaglia, Tsang & Wang 2003).
    static func durbinMatrix(n: Int, x: Double) -> Double {
        if x >= 1 { return 1 }
        let nd = Double(n)
        let nx = nd * x
        if nx <= 0.5 { return 0 }
        let k = Int(nx.rounded(.up))
        let h = Double(k) - nx
        let m = 2 * k - 1
        var v = (1...m).map { 1 - pow(h, Double($0)) }
        var w = [Double](repeating: 0, count: m)
        var factorial = 1.0
        for j in 1...m {
            w[j - 1] = factorial
            factorial /= Double(j)
            v[j - 1] *= factorial
        }
        let tail = pow(max(2 * h - 1, 0), Double(m)) - 2 * pow(h, Double(m))
        v[m - 1] = (1 + tail) * factorial
        var matrix = SquareMatrix(size: m)
        for i in 1..<max(m, 1) {
            for row in (i - 1)..<m { matrix[row, i] = w[row - (i - 1)] }
        }
        for row in 0..<m { matrix[row, 0] = v[row] }
        for column in 0..<m { matrix[m - 1, column] = v[m - 1 - column] }

        var power = SquareMatrix.identity(size: m)
        var remaining = n
        var exponent = 0, matrixExponent = 0
        while remaining > 0 {
            if remaining % 2 == 1 {
                power = power.multiplied(by: matrix)
                exponent += matrixExponent
            }
            matrix = matrix.multiplied(by: matrix)
            matrixExponent *= 2
            if abs(matrix[k - 1, k - 1]) > scaleUp {
                matrix.scale(by: scaleDown)
                matrixExponent += scaleExponent
            }
            remaining /= 2
        }
        var p = power[k - 1, k - 1]
        for i in 1...n {
            p = Double(i) * p / nd
            if abs(p) < scaleDown {
                p *= scaleUp
                exponent -= scaleExponent
            }
        }
        return exponent == 0 ? p : scalbn(p, exponent)
    }

    /// P(Dₙ ≤ x) by Pomeranz's recursion (1974): rows of Poisson-weighted convolutions, two kept at a time.
    static func pomeranz(n: Int, x: Double) -> Double {
        let nd = Double(n)
        let t = nd * x
        let ll = Int(t.rounded(.down))
        let f = t - Double(ll)
        let g = min(f, 1 - f)
        let ceilF = f > 0 ? 1 : 0
        let roundF = f > 0.5 ? 1 : 0
        let powers = 2 * (ll + 1)
        var gPower = [Double](repeating: 1, count: powers)
        var twoGPower = [Double](repeating: 1, count: powers)
        var oneMinusTwoGPower = [Double](repeating: 1, count: powers)
        let gOverN = g / nd, twoGOverN = 2 * g / nd, oneMinusTwoGOverN = (1 - 2 * g) / nd
        for m in 1..<powers {
            gPower[m] = gPower[m - 1] * gOverN / Double(m)
            twoGPower[m] = twoGPower[m - 1] * twoGOverN / Double(m)
            oneMinusTwoGPower[m] = oneMinusTwoGPower[m - 1] * oneMinusTwoGOverN / Double(m)
        }
        var previous = [Double](repeating: 0, count: powers)
        var current = [Double](repeating: 0, count: powers)
        current[0] = 1
        var previousStart = 0, currentStart = 0
        var exponent = 0
        var (j1, j2) = pomeranzBounds(row: 0, n: n, ll: ll, ceilF: ceilF, roundF: roundF)
        for i in 1..<(2 * n + 2) {
            let k1 = j1
            swap(&previous, &current)
            swap(&previousStart, &currentStart)
            for index in current.indices { current[index] = 0 }
            (j1, j2) = pomeranzBounds(row: i, n: n, ll: ll, ceilF: ceilF, roundF: roundF)
            let weights = i == 1 || i == 2 * n + 1 ? gPower : (i % 2 == 1 ? twoGPower : oneMinusTwoGPower)
            let span = j2 - k1 + 1
            guard span > 0 else { continue }
            let lower = k1 - previousStart
            let available = min(span, powers - lower)
            let offset = j1 - k1
            for out in 0..<(j2 - j1 + 1) {
                let c = offset + out
                var sum = 0.0
                let first = max(0, c - span + 1), last = min(c, available - 1)
                if first <= last {
                    for i in first...last { sum += previous[lower + i] * weights[c - i] }
                }
                current[out] = sum
            }
            if let largest = current.max(), largest > 0, largest < scaleDown {
                for index in current.indices { current[index] *= scaleUp }
                exponent -= scaleExponent
            }
            currentStart = previousStart + j1 - k1
        }
        var answer = current[n - currentStart]
        for m in 1...n {
            if abs(answer) > scaleUp {
                answer *= scaleDown
                exponent += scaleExponent
            }
            answer *= Double(m)
        }
        return exponent == 0 ? answer : scalbn(answer, exponent)
    }

    private static func pomeranzBounds(row i: Int, n: Int, ll: Int, ceilF: Int, roundF: Int) -> (Int, Int) {
        var j1: Int, j2: Int
        if i == 0 {
            (j1, j2) = (-ll - ceilF - 1, ll + ceilF - 1)
        } else {
            let half = (i + 1) / 2, odd = (i + 1) % 2 == 0
            if odd {
                if half == n + 1 {
                    (j1, j2) = (n - ll - ceilF - 1, n + ll + ceilF - 1)
                } else {
                    (j1, j2) = (half - 1 - ll - roundF - 1, half + ll - 1 + ceilF - 1)
                }
            } else {
                (j1, j2) = (half - 1 - ll - 1, half + ll + roundF - 1)
            }
        }
        return (max(j1 + 2, 0), min(j2, n))
    }

    /// P(Dₙ ≤ x) by the Pelz–Good asymptotic series (1976) in four terms.
    static func pelzGood(n: Int, x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let piSquared = Double.pi * Double.pi
        let piFour = piSquared * piSquared, piSix = piFour * piSquared
        let sqrt2Pi = (2 * Double.pi).squareRoot()
        let z = Double(n).squareRoot() * x
        let z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2
        let qLog = -piSquared / 8 / z2
        if qLog < -708 { return 0 }
        var q = exp(qLog)
        let k1a = -z2, k1b = piSquared / 4
        let k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * piSquared / 4, k2c = piFour * (1 - 2 * z2) / 16
        let k3d = piSix * (5 - 30 * z2) / 64
        let k3c = piFour * (-60 * z2 + 212 * z4) / 16
        let k3b = piSquared * (135 * z4 - 96 * z6) / 4
        let k3a = -30 * z6 - 90 * pow(z, 8)
        var terms = [0.0, 0.0, 0.0, 0.0]
        let maxK = Int((16 * z / Double.pi).rounded(.up))
        for k in stride(from: maxK, through: 1, by: -1) {
            let m = Double(2 * k - 1)
            let m2 = m * m, m4 = m2 * m2, m6 = m4 * m2
            let qPower = pow(q, Double(8 * k))
            let coefficients = [1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6]
            for i in 0..<4 { terms[i] = terms[i] * qPower + coefficients[i] }
        }
        let divisors = [z, 6 * z4, 72 * pow(z, 7), 6480 * pow(z, 10)]
        for i in 0..<4 { terms[i] = terms[i] * q * sqrt2Pi / divisors[i] }
        q = exp(-piSquared / 2 / z2)
        var extra2 = 0.0, extra3 = 0.0
        let sqrt3z = 3.0.squareRoot() * z
        for k in stride(from: maxK, through: 1, by: -1) {
            let kd = Double(k)
            let kPi = Double.pi * kd
            let weighted = kd * kd * pow(q, kd * kd)
            extra2 += weighted
            extra3 += (sqrt3z + kPi) * (sqrt3z - kPi) * weighted
        }
        terms[2] += extra2 * piSquared * sqrt2Pi / (-36 * z3)
        terms[3] += extra3 * piSquared * sqrt2Pi / (216 * z6)
        for i in 0..<4 { terms[i] /= pow(Double(n), Double(i) / 2) }
        return terms.reduce(0, +)
    }

    private static func clip(_ p: Double) -> Double { min(max(p, 0), 1) }

    static func logGamma(_ x: Double) -> Double {
        var sign: Int32 = 0
        return lgamma_r(x, &sign)
    }
}

/// A dense square matrix for the Durbin matrix power.
private struct SquareMatrix {
    let size: Int
    var values: [Double]

    init(size: Int) {
        self.size = size
        values = [Double](repeating: 0, count: size * size)
    }

    static func identity(size: Int) -> SquareMatrix {
        var m = SquareMatrix(size: size)
        for i in 0..<size { m[i, i] = 1 }
        return m
    }

    subscript(row: Int, column: Int) -> Double {
        get { values[row * size + column] }
        set { values[row * size + column] = newValue }
    }

    mutating func scale(by factor: Double) {
        for i in values.indices { values[i] *= factor }
    }

    func multiplied(by other: SquareMatrix) -> SquareMatrix {
        var result = SquareMatrix(size: size)
        let n = size
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                result.values.withUnsafeMutableBufferPointer { c in
                    for i in 0..<n {
                        for k in 0..<n {
                            let aik = a[i * n + k]
                            if aik == 0 { continue }
                            for j in 0..<n { c[i * n + j] += aik * b[k * n + j] }
                        }
                    }
                }
            }
        }
        return result
    }
}
