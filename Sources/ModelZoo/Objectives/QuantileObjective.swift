/// Pinball loss at `alpha`, as LightGBM's `quantile` objective.
///
/// Gradients are `1 − alpha` at or above the label and `−alpha` below, with hessian 1; since
/// those say nothing about how far off a leaf is, each finished leaf is refit to the
/// alpha-percentile of its rows' residuals (label − score), and boosting starts from the
/// alpha-percentile of the labels. Percentiles interpolate linearly as LightGBM 4 does.
public struct QuantileObjective: Objective {
    public let labels: [Double]
    public let alpha: Double

    public init(labels: [Double], alpha: Double) throws {
        guard alpha > 0 && alpha < 1 else {
            throw GBDTError.invalidObjective("quantile alpha must be in (0, 1), got \(alpha)")
        }
        self.labels = labels
        self.alpha = alpha
    }

    public var kind: ObjectiveKind { .quantile(alpha: alpha) }

    public func initialScore() -> Double {
        var copy = labels
        return copy.withUnsafeMutableBufferPointer { Percentile.lightGBM($0, alpha: alpha) }
    }

    public var constantHessian: Double? { 1 }

    public func computeGradients(scores: UnsafePointer<Double>, gradients: UnsafeMutablePointer<Double>,
                                 hessians: UnsafeMutablePointer<Double>, range: Range<Int>) {
        let above = 1 - alpha
        let below = -alpha
        labels.withUnsafeBufferPointer { y in
            for i in range {
                gradients[i] = scores[i] >= y[i] ? above : below
                hessians[i] = 1
            }
        }
    }

    public var renewsLeafOutputs: Bool { true }

    public func renewedLeafOutput(rows: UnsafeBufferPointer<Int32>, scores: UnsafePointer<Double>,
                                  scratch: UnsafeMutablePointer<Double>) -> Double {
        labels.withUnsafeBufferPointer { y in
            for (i, row) in rows.enumerated() { scratch[i] = y[Int(row)] - scores[Int(row)] }
        }
        return Percentile.lightGBM(UnsafeMutableBufferPointer(start: scratch, count: rows.count), alpha: alpha)
    }

    public func transform(_ raw: Double) -> Double { raw }

    public var defaultMetric: any EvaluationMetric { PinballMetric(alpha: alpha) }
}

/// Order statistics without a full sort.
enum Percentile {
    /// The alpha-percentile with linear interpolation between order statistics — numpy's
    /// default (`np.quantile(..., method="linear")`), which is what LightGBM 4's unweighted
    /// `PercentileFun` returns: with a ascending and h = alpha·(n − 1),
    /// a[⌊h⌋] + (h − ⌊h⌋)·(a[⌊h⌋ + 1] − a[⌊h⌋]). Reorders `values`; 0 for no values.
    static func lightGBM(_ values: UnsafeMutableBufferPointer<Double>, alpha: Double) -> Double {
        let n = values.count
        guard n > 1 else { return n == 1 ? values[0] : 0 }
        let position = min(max(alpha, 0), 1) * Double(n - 1)
        let lower = min(Int(position), n - 1)
        let low = select(values, k: lower)
        let fraction = position - Double(lower)
        guard lower + 1 < n, fraction > 0 else { return low }
        var high = values[lower + 1]
        for i in (lower + 2)..<n where values[i] < high { high = values[i] }
        return low + fraction * (high - low)
    }

    /// Rearranges `values` so that `values[k]` is the k-th smallest, everything before it
    /// ≤ it and everything after it ≥ it (Hoare's selection); returns `values[k]`.
    static func select(_ values: UnsafeMutableBufferPointer<Double>, k: Int) -> Double {
        var low = 0
        var high = values.count - 1
        while low < high {
            let mid = low + (high - low) / 2
            if values[mid] < values[low] { values.swapAt(mid, low) }
            if values[high] < values[low] { values.swapAt(high, low) }
            if values[high] < values[mid] { values.swapAt(high, mid) }
            let pivot = values[mid]
            var i = low
            var j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j {
                high = j
            } else if k >= i {
                low = i
            } else {
                break
            }
        }
        return values[k]
    }
}
