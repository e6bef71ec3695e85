import Foundation

/// Maps a data interval onto a pixel interval, and picks round tick values (1, 2 or 5 × 10ⁿ apart).
struct LinearScale {
    let lower: Double
    let upper: Double
    let start: Double
    let end: Double

    /// `domain` is widened when empty so that a constant series still has an axis.
    init(domain: (Double, Double), pixels: (Double, Double)) {
        var (low, high) = domain
        if !(low.isFinite && high.isFinite) { (low, high) = (0, 1) }
        if low > high { swap(&low, &high) }
        if low == high {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            (low, high) = (low - pad, high + pad)
        }
        lower = low
        upper = high
        (start, end) = pixels
    }

    func callAsFunction(_ value: Double) -> Double {
        start + (value - lower) / (upper - lower) * (end - start)
    }

    /// The scale over `values` widened to round tick values at both ends (and to include 0 if asked).
    static func nice(_ values: [Double], pixels: (Double, Double), includeZero: Bool = false, ticks: Int = 5) -> LinearScale {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        if includeZero { low = min(low, 0); high = max(high, 0) }
        let provisional = LinearScale(domain: (low, high), pixels: pixels)
        let step = niceStep((provisional.upper - provisional.lower) / Double(max(ticks, 1)))
        return LinearScale(domain: ((provisional.lower / step).rounded(.down) * step, (provisional.upper / step).rounded(.up) * step),
                           pixels: pixels)
    }

    /// About `count` round values inside the domain.
    func ticks(_ count: Int = 5) -> [Double] {
        let step = tickStep(count)
        let first = (lower / step).rounded(.up) * step
        var values: [Double] = []
        var value = first
        while value <= upper + step * 1e-9, values.count < 50 {
            values.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return values
    }

    func tickStep(_ count: Int) -> Double { Self.niceStep((upper - lower) / Double(max(count, 1))) }

    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let fraction = rough / magnitude
        let nice: Double = fraction >= 50.0.squareRoot() ? 10 : fraction >= 10.0.squareRoot() ? 5 : fraction >= 2.0.squareRoot() ? 2 : 1
        return nice * magnitude
    }

    /// A tick label with as many decimals as the step needs; thousands as k and millions as M.
    static func label(_ value: Double, step: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 1_000_000, step >= 100_000 { return trimmed(value / 1_000_000, digits: 1) + "M" }
        if magnitude >= 10_000, step >= 1_000 { return trimmed(value / 1_000, digits: 1) + "k" }
        let digits = max(0, Int(-(log10(step)).rounded(.down)))
        return String(format: "%.\(digits)f", value).replacingOccurrences(of: "-", with: "−")
    }

    private static func trimmed(_ value: Double, digits: Int) -> String {
        var text = String(format: "%.\(digits)f", value)
        while text.contains("."), text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text.replacingOccurrences(of: "-", with: "−")
    }
}
