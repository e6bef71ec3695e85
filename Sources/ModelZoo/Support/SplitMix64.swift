/// A small, fast, seedable random number generator (Steele, Lea & Flood's SplitMix64).
///
/// Training must be reproducible from `GBDTParameters.seed` on every platform, so
/// sampling never uses the system generator.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// A generator whose stream is independent of other streams derived from the same seed.
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        state = mixer.next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }
}

/// Reproducible subset selection used for row bagging, column sampling and bin sampling.
enum Sampling {
    /// `k` distinct indices of `0..<n` in increasing order (Knuth's selection sampling, one pass).
    static func sortedSubset(of n: Int, count k: Int, using rng: inout SplitMix64) -> [Int32] {
        let k = max(0, min(k, n))
        var chosen = [Int32]()
        chosen.reserveCapacity(k)
        var needed = k
        var i = 0
        while needed > 0 && i < n {
            let remaining = n - i
            if Double(remaining) * rng.nextUnit() < Double(needed) {
                chosen.append(Int32(i))
                needed -= 1
            }
            i += 1
        }
        return chosen
    }
}
