/// Whether a larger value of a metric is better, so that comparisons between
/// versions (promotion's margin, `compare`'s deltas) read the right way round.
public enum MetricDirection: String, Codable, Sendable, Equatable {
    case higherIsBetter = "higher"
    case lowerIsBetter = "lower"

    /// True when `candidate` is better than `reference` by at least `margin`.
    public func beats(_ candidate: Double, _ reference: Double, by margin: Double) -> Bool {
        improvement(from: reference, to: candidate) >= margin
    }

    /// How much better `new` is than `old` (negative when worse).
    public func improvement(from old: Double, to new: Double) -> Double {
        self == .higherIsBetter ? new - old : old - new
    }
}
