import Foundation

/// A fast, seedable pseudo-random generator (xoshiro256**, seeded through splitmix64).
///
/// Exists because the system generator cannot be seeded: generated data, splits and
/// folds must be identical for the same seed on every machine and every run.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    public init(seed: UInt64) {
        var sm = seed
        func splitmix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix()
        s1 = splitmix()
        s2 = splitmix()
        s3 = splitmix()
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = (s1 &* 5).rotatedLeft(by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3.rotatedLeft(by: 45)
        return result
    }
}

extension SeededRandom {
    /// Uniform in [0, 1), 53 random bits.
    @inline(__always)
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform in (0, 1): safe to take the logarithm of.
    @inline(__always)
    public mutating func openUniform() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1p-53
    }

    /// Uniform in [lower, upper).
    @inline(__always)
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * uniform()
    }

    /// Uniform integer in 0..<bound, without modulo bias (Lemire's multiply-and-reject).
    /// Written out rather than taken from the standard library so that sequences stay
    /// the same across Swift versions.
    @inline(__always)
    public mutating func index(below bound: Int) -> Int {
        precondition(bound > 0, "index(below:) needs a positive bound, got \(bound)")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// Fisher–Yates shuffle in place, reproducible for a seed.
    public mutating func shuffle<Element>(_ array: inout [Element]) {
        var i = array.count
        while i > 1 {
            let j = index(below: i)
            i -= 1
            array.swapAt(i, j)
        }
    }

    @inline(__always)
    public mutating func bernoulli(_ p: Double) -> Bool {
        uniform() < p
    }

    /// Standard normal by the Marsaglia polar method.
    public mutating func normal() -> Double {
        while true {
            let u = 2 * uniform() - 1
            let v = 2 * uniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                return u * (-2 * Foundation.log(s) / s).squareRoot()
            }
        }
    }

    public mutating func normal(mean: Double, sd: Double) -> Double {
        mean + sd * normal()
    }

    /// exp(N(mu, sigma²)): mu and sigma are on the log scale.
    public mutating func logNormal(mu: Double, sigma: Double) -> Double {
        Foundation.exp(mu + sigma * normal())
    }

    public mutating func exponential(mean: Double) -> Double {
        -mean * Foundation.log(openUniform())
    }

    /// Gamma(shape, scale) by Marsaglia & Tsang (2000); shape < 1 uses the boost U^(1/shape).
    public mutating func gamma(shape: Double, scale: Double = 1) -> Double {
        precondition(shape > 0 && scale > 0, "gamma needs positive shape and scale, got \(shape), \(scale)")
        if shape < 1 {
            let boost = Foundation.pow(openUniform(), 1 / shape)
            return gamma(shape: shape + 1, scale: scale) * boost
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = normal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = openUniform()
            if u < 1 - 0.0331 * x * x * x * x { return d * v * scale }
            if Foundation.log(u) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) { return d * v * scale }
        }
    }

    public mutating func beta(_ a: Double, _ b: Double) -> Double {
        let x = gamma(shape: a)
        let y = gamma(shape: b)
        return x / (x + y)
    }

    /// Poisson(lambda): inversion for small means, Hörmann's PTRS (1993) for large ones.
    public mutating func poisson(_ lambda: Double) -> Int {
        precondition(lambda >= 0 && lambda.isFinite, "poisson needs a finite non-negative mean, got \(lambda)")
        if lambda == 0 { return 0 }
        if lambda < 12 {
            let limit = Foundation.exp(-lambda)
            var product = uniform()
            var count = 0
            while product > limit {
                product *= uniform()
                count += 1
            }
            return count
        }
        let slam = lambda.squareRoot()
        let logLambda = Foundation.log(lambda)
        let b = 0.931 + 2.53 * slam
        let a = -0.059 + 0.02483 * b
        let invAlpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = uniform() - 0.5
            let v = openUniform()
            let us = 0.5 - abs(u)
            let k = Foundation.floor((2 * a / us + b) * u + lambda + 0.43)
            if us >= 0.07 && v <= vr { return Int(k) }
            if k < 0 || (us < 0.013 && v > us) { continue }
            let lhs = Foundation.log(v) + Foundation.log(invAlpha) - Foundation.log(a / (us * us) + b)
            let rhs = -lambda + k * logLambda - Foundation.lgamma(k + 1)
            if lhs <= rhs { return Int(k) }
        }
    }

    /// Over-dispersed counts: Poisson with a Gamma-distributed mean (negative binomial).
    /// Smaller `shape` gives a heavier tail; the mean stays `mean`.
    public mutating func negativeBinomial(mean: Double, shape: Double) -> Int {
        guard mean > 0 else { return 0 }
        return poisson(gamma(shape: shape, scale: mean / shape))
    }

    /// Pareto (power law) with minimum `xMin` and tail exponent `alpha` (density ∝ x^-(alpha+1)).
    public mutating func pareto(xMin: Double, alpha: Double) -> Double {
        xMin * Foundation.pow(openUniform(), -1 / alpha)
    }

    /// An index drawn with probability proportional to `cumulative[i] - cumulative[i-1]`.
    /// `cumulative` must be non-decreasing with a positive last element.
    public mutating func index(cumulative: UnsafeBufferPointer<Double>) -> Int {
        let target = uniform() * cumulative[cumulative.count - 1]
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let mid = (low + high) >> 1
            if cumulative[mid] > target { high = mid } else { low = mid + 1 }
        }
        return low
    }

    public mutating func index(cumulative: [Double]) -> Int {
        cumulative.withUnsafeBufferPointer { index(cumulative: $0) }
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotatedLeft(by k: UInt64) -> UInt64 {
        (self << k) | (self >> (64 - k))
    }
}
