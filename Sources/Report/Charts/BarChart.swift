import Foundation

/// Horizontal bars with their labels on the left and their values at their ends, and an optional
/// dashed reference line: feature importance, fairness by group (with the 80% line), null rates
/// and drift.
struct BarChart: Chart {
    struct Bar {
        var label: String
        var value: Double
        /// The value as printed at the bar's end.
        var text: String
        /// Drawn in the warning colour (a group under the four-fifths line, a drifted feature).
        var flagged = false
        var tooltip: String? = nil
    }

    struct Reference {
        var value: Double
        var label: String
    }

    var title: String
    var xTitle: String
    var bars: [Bar]
    var reference: Reference? = nil
    var width = 480.0
    var rowHeight = 22.0

    var height: Double { topMargin + Double(max(bars.count, 1)) * rowHeight + 44 }

    /// Room above the bars for the reference line's label.
    private var topMargin: Double { reference == nil ? 8 : 30 }

    func svg() -> String {
        let labelWidth = min(200, max(60, bars.map { TextMetrics.width($0.label, size: 12) }.max() ?? 60) + 10)
        let valueWidth = (bars.map { TextMetrics.width($0.text, size: 11) }.max() ?? 30) + 10
        let margins = PlotFrame.Margins(top: topMargin, right: valueWidth + 6, bottom: 44, left: labelWidth)
        let values = bars.map(\.value) + (reference.map { [$0.value] } ?? [])
        let frame = PlotFrame(width: width, height: height, margins: margins) { horizontal, vertical in
            (LinearScale.nice(values, pixels: horizontal, includeZero: true, ticks: 4), LinearScale(domain: (0, 1), pixels: vertical))
        }
        var canvas = SVGCanvas(width: width, height: height)
        let xStep = frame.x.tickStep(4)
        for value in frame.x.ticks(4) {
            let px = frame.x(value)
            canvas.line(px, frame.top, px, frame.bottom, class: "grid")
            canvas.text(LinearScale.label(value, step: xStep), x: px, y: frame.bottom + 16, anchor: "middle", class: "tick")
        }
        canvas.text(xTitle, x: (frame.left + frame.right) / 2, y: height - 8, anchor: "middle", class: "axis-title")

        let zero = frame.x(0)
        for (row, bar) in bars.enumerated() {
            let top = frame.top + Double(row) * rowHeight
            let middle = top + rowHeight / 2
            let end = frame.x(bar.value.isFinite ? bar.value : 0)
            canvas.rect(x: min(zero, end), y: top + 4, width: abs(end - zero), height: rowHeight - 8,
                        class: bar.flagged ? "bar flagged" : "bar", title: bar.tooltip ?? "\(bar.label): \(bar.text)")
            canvas.text(TextMetrics.fitted(bar.label, size: 12, maxWidth: labelWidth - 10), x: frame.left - 8, y: middle + 4, anchor: "end", class: "label")
            canvas.text(bar.text, x: max(zero, end) + 5, y: middle + 4, class: "value")
        }
        canvas.line(zero, frame.top, zero, frame.bottom, class: "axis")
        if let reference {
            let px = frame.x(reference.value)
            canvas.line(px, frame.top - 6, px, frame.bottom, class: "reference")
            canvas.text(reference.label, x: px, y: frame.top - 10, anchor: "middle", class: "legend")
        }
        return canvas.markup(title: title)
    }
}
