import Foundation

/// A detector score's centre and spread on the training rows, for putting scores of different
/// detectors on one scale: z = (score − median) / (1.4826 · MAD).
///
/// Robust statistics because the rows that matter are the outliers: a mean and standard
/// deviation would be dragged by the very anomalies being measured. When more than half the
/// rows share one score (MAD = 0), the standard deviation is the spread, and 1 if that is 0 too.
public struct RobustScale: Sendable, Equatable {
    public let median: Double
    public let spread: Double

    public init(median: Double, spread: Double) throws {
        guard median.isFinite, spread.isFinite, spread > 0 else {
            throw AnomalyError.invalidModel("robust scale needs a finite median and a positive spread, got \(median) and \(spread)")
        }
        self.median = median
        self.spread = spread
    }

    init(fitting scores: [Double]) {
        let finite = scores.filter(\.isFinite).sorted()
        guard !finite.isEmpty else {
            median = 0
            spread = 1
            return
        }
        let median = Quantiles.sortedMedian(finite)
        let deviations = finite.map { abs($0 - median) }.sorted()
        var spread = 1.4826 * Quantiles.sortedMedian(deviations)
        if !(spread > 0) {
            let mean = finite.reduce(0, +) / Double(finite.count)
            spread = (finite.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(finite.count)).squareRoot()
        }
        self.median = median
        self.spread = spread > 0 && spread.isFinite ? spread : 1
    }

    @inline(__always)
    func z(_ score: Double) -> Double { (score - median) / spread }
}

/// Maps a score to its percentile among the training rows, in [0, 1], through 2,049 stored
/// quantiles with linear interpolation between them.
///
/// Exists so that `AnomalyDetector.score` means the same on every data set ("0.995: more
/// anomalous than 99.5 % of the training rows") and so that the contamination threshold is a
/// percentile. The map is strictly increasing, beyond the training range too (the tails
/// approach 0 and 1 at the pace of `tailScale`), so it never turns distinct scores into ties.
public struct ScoreCalibrator: Sendable, Equatable {
    public static let knotCount = 2_049

    /// Training quantiles at levels 0, 1/(k−1), …, 1 (numpy's linear percentile).
    public let knots: [Double]
    /// How far beyond the training range a score must be to close half the remaining gap to 0 or 1.
    public let tailScale: Double
    /// The share of the unit interval kept for each tail beyond the training range.
    public let tailShare: Double

    public init(knots: [Double], tailScale: Double, tailShare: Double) throws {
        guard knots.count >= 2, knots.allSatisfy(\.isFinite), zip(knots, knots.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw AnomalyError.invalidModel("calibration knots must be at least 2 finite, non-decreasing values")
        }
        guard tailScale.isFinite, tailScale > 0, tailShare > 0, tailShare < 0.5 else {
            throw AnomalyError.invalidModel("calibration tails need a positive scale and a share in (0, 0.5)")
        }
        self.knots = knots
        self.tailScale = tailScale
        self.tailShare = tailShare
    }

    init(fitting scores: [Double], scale: Double) {
        let sorted = scores.filter(\.isFinite).sorted()
        let values = sorted.isEmpty ? [0, 0] : sorted
        knots = (0..<Self.knotCount).map { Quantiles.sortedLinear(values, Double($0) / Double(Self.knotCount - 1)) }
        tailScale = scale > 0 && scale.isFinite ? scale : 1
        tailShare = 0.5 / Double(values.count + 1)
    }

    /// The calibrated value of `score`: interpolated quantile level inside the training range,
    /// squeezed into [tailShare, 1 − tailShare], with hyperbolic tails outside it. NaN maps to 0.5.
    public func callAsFunction(_ score: Double) -> Double {
        guard !score.isNaN else { return 0.5 }
        let last = knots.count - 1
        let inner = 1 - 2 * tailShare
        if score < knots[0] {
            return tailShare * tailScale / (tailScale + (knots[0] - score))
        }
        if score > knots[last] {
            return 1 - tailShare * tailScale / (tailScale + (score - knots[last]))
        }
        // First knot ≥ score and last knot ≤ score.
        var low = 0, high = last
        while low < high {
            let mid = (low + high) / 2
            if knots[mid] < score { low = mid + 1 } else { high = mid }
        }
        let firstAtLeast = low
        let level: Double
        if knots[firstAtLeast] == score {
            var lastAtMost = firstAtLeast
            while lastAtMost < last && knots[lastAtMost + 1] == score { lastAtMost += 1 }
            level = Double(firstAtLeast + lastAtMost) / 2
        } else {
            let below = firstAtLeast - 1
            level = Double(below) + (score - knots[below]) / (knots[firstAtLeast] - knots[below])
        }
        return tailShare + inner * level / Double(last)
    }
}

/// Order statistics as numpy computes them.
enum Quantiles {
    /// `np.percentile(values, 100 * q)` (linear interpolation) of ascending `sorted`.
    static func sortedLinear(_ sorted: [Double], _ q: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? .nan }
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }

    static func sortedMedian(_ sorted: [Double]) -> Double { sortedLinear(sorted, 0.5) }
}
