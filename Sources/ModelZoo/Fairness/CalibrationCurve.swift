/// One non-empty bin of a calibration curve: how many rows fell in it, their mean score and
/// the share of them that were positive.
public struct CalibrationBin: Codable, Sendable, Equatable {
    /// 0-based index of the bin among `bins` equal-width bins over [0, 1].
    public var bin: Int
    public var count: Int
    public var meanScore: Double
    public var observedRate: Double
}

/// A reliability curve over equal-width score bins, exactly as scikit-learn's
/// `calibration_curve(y_true, y_prob, n_bins=bins, strategy="uniform")`.
///
/// Exists so that per-group calibration in the fairness report can be checked against
/// scikit-learn. The bin edges are `i · (1 / bins)` (numpy's `linspace`); a score equal to an
/// inner edge belongs to the lower bin (`searchsorted`, side left); empty bins are left out.
public struct CalibrationCurve: Sendable {
    public let bins: Int
    private let innerEdges: [Double]

    public init(bins: Int = 10) {
        precondition(bins > 0, "calibration curve needs at least one bin")
        self.bins = bins
        let step = 1.0 / Double(bins)
        innerEdges = (1..<bins).map { Double($0) * step }
    }

    /// The curve of `rows` of `scores` against 0/1 `labels`; nil when a score lies outside
    /// [0, 1], where scikit-learn refuses (the scores are not probabilities).
    public func curve(labels: [Double], scores: [Double], rows: [Int]) -> [CalibrationBin]? {
        var counts = Array(repeating: 0, count: bins)
        var scoreSums = Array(repeating: 0.0, count: bins)
        var positives = Array(repeating: 0.0, count: bins)
        for row in rows {
            let score = scores[row]
            guard score >= 0, score <= 1 else { return nil }
            let bin = binIndex(score)
            counts[bin] += 1
            scoreSums[bin] += score
            positives[bin] += labels[row]
        }
        return (0..<bins).compactMap { bin in
            counts[bin] == 0 ? nil : CalibrationBin(bin: bin, count: counts[bin], meanScore: scoreSums[bin] / Double(counts[bin]),
                                                     observedRate: positives[bin] / Double(counts[bin]))
        }
    }

    /// The number of inner edges strictly below `score`.
    func binIndex(_ score: Double) -> Int {
        var low = 0, high = innerEdges.count
        while low < high {
            let mid = (low + high) / 2
            if innerEdges[mid] < score { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
