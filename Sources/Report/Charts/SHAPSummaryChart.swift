import Foundation
import ModelZoo

/// The SHAP summary ("beeswarm") plot: one row per feature, most important first; each dot is a
/// test row placed by its SHAP value and coloured by its feature value (blue low, red high, by
/// rank within the feature); dots that would overlap are stacked across the row.
struct SHAPSummaryChart: Chart {
    var title: String
    var features: [SHAPSummary.Feature]
    var width = 480.0
    var rowHeight = 28.0

    var height: Double { 34 + Double(max(features.count, 1)) * rowHeight + 44 }

    func svg() -> String {
        let labelWidth = min(260, max(60, features.map { TextMetrics.width($0.feature, size: 12) }.max() ?? 60) + 10)
        let margins = PlotFrame.Margins(top: 34, right: 16, bottom: 44, left: labelWidth)
        let values = features.flatMap { $0.points.compactMap { $0.count == 2 ? $0[1] : nil } }
        let frame = PlotFrame(width: width, height: height, margins: margins) { horizontal, vertical in
            (LinearScale.nice(values, pixels: horizontal, includeZero: true, ticks: 5), LinearScale(domain: (0, 1), pixels: vertical))
        }
        var canvas = SVGCanvas(width: width, height: height)
        let step = frame.x.tickStep(5)
        for value in frame.x.ticks(5) {
            let px = frame.x(value)
            canvas.line(px, frame.top, px, frame.bottom, class: "grid")
            canvas.text(LinearScale.label(value, step: step), x: px, y: frame.bottom + 16, anchor: "middle", class: "tick")
        }
        canvas.line(frame.x(0), frame.top, frame.x(0), frame.bottom, class: "axis")
        canvas.text("SHAP value (impact on the model output)", x: (frame.left + frame.right) / 2, y: height - 8, anchor: "middle", class: "axis-title")

        for (row, feature) in features.enumerated() {
            let middle = frame.top + (Double(row) + 0.5) * rowHeight
            canvas.line(frame.left, middle, frame.right, middle, class: "grid")
            canvas.text(TextMetrics.fitted(feature.feature, size: 12, maxWidth: labelWidth - 10), x: frame.left - 8, y: middle + 4, anchor: "end", class: "label")
            let pairs = feature.points.filter { $0.count == 2 && $0[0].isFinite && $0[1].isFinite }
            let shades = SHAPSummaryChart.ranks(pairs.map { $0[0] })
            var stacked: [Int: Int] = [:]
            let spread = rowHeight / 2 - 3
            for (p, pair) in pairs.enumerated() {
                let px = frame.x(pair[1])
                let bucket = Int((px / 3).rounded(.down))
                let k = stacked[bucket, default: 0]
                stacked[bucket] = k + 1
                let offset = min(spread, Double((k + 1) / 2) * 2.2) * (k % 2 == 0 ? 1 : -1)
                canvas.circle(cx: px, cy: middle + offset, r: 2.2, class: "shap-dot", fill: SHAPSummaryChart.color(shades[p]))
            }
        }
        drawColorKey(on: &canvas, right: frame.right, y: frame.top - 16)
        return canvas.markup(title: title)
    }

    private func drawColorKey(on canvas: inout SVGCanvas, right: Double, y: Double) {
        canvas.text("high", x: right, y: y + 4, anchor: "end", class: "legend")
        let end = right - TextMetrics.width("high", size: 11) - 6
        for i in 0..<5 {
            canvas.circle(cx: end - Double(4 - i) * 12 - 4, cy: y, r: 4, class: "shap-dot", fill: SHAPSummaryChart.color(Double(i) / 4))
        }
        canvas.text("feature value: low", x: end - 5 * 12 - 4, y: y + 4, anchor: "end", class: "legend")
    }

    /// Each value's rank in [0, 1] (ties share the lower rank); a single value is mid-range.
    static func ranks(_ values: [Double]) -> [Double] {
        guard values.count > 1 else { return values.map { _ in 0.5 } }
        let order = values.indices.sorted { values[$0] < values[$1] }
        var result = [Double](repeating: 0, count: values.count)
        var position = 0
        while position < order.count {
            var end = position
            while end + 1 < order.count, values[order[end + 1]] == values[order[position]] { end += 1 }
            for i in position...end { result[order[i]] = Double(position) / Double(order.count - 1) }
            position = end + 1
        }
        return result
    }

    /// Blue (0) through violet to red (1), as in the usual SHAP palette.
    static func color(_ t: Double) -> String {
        let low = (30.0, 136.0, 229.0), high = (255.0, 0.0, 82.0)
        let s = min(max(t, 0), 1)
        func channel(_ a: Double, _ b: Double) -> Int { Int((a + (b - a) * s).rounded()) }
        return String(format: "#%02x%02x%02x", channel(low.0, high.0), channel(low.1, high.1), channel(low.2, high.2))
    }
}
