import Foundation

/// The geometry of a chart with an x and a y axis: its size, margins and scales, and the drawing
/// of gridlines, ticks, tick labels and axis titles that every such chart shares.
struct PlotFrame {
    struct Margins {
        var top = 30.0, right = 16.0, bottom = 44.0, left = 56.0
    }

    let width: Double
    let height: Double
    let margins: Margins
    let x: LinearScale
    let y: LinearScale

    var left: Double { margins.left }
    var right: Double { width - margins.right }
    var top: Double { margins.top }
    var bottom: Double { height - margins.bottom }

    /// A frame whose scales map the given domains onto the plot area.
    init(width: Double, height: Double, margins: Margins = Margins(), x: (Double, Double), y: (Double, Double)) {
        self.init(width: width, height: height, margins: margins) { horizontal, vertical in
            (LinearScale(domain: x, pixels: horizontal), LinearScale(domain: y, pixels: vertical))
        }
    }

    /// A frame whose scales are made from the plot area's pixel intervals (left→right, bottom→top).
    init(width: Double, height: Double, margins: Margins = Margins(),
         scales: ((Double, Double), (Double, Double)) -> (LinearScale, LinearScale)) {
        self.width = width
        self.height = height
        self.margins = margins
        (x, y) = scales((margins.left, width - margins.right), (height - margins.bottom, margins.top))
    }

    /// Gridlines and tick labels on both axes, the axis lines, and the two axis titles.
    func drawAxes(on canvas: inout SVGCanvas, xTitle: String, yTitle: String, xTicks: Int = 5, yTicks: Int = 5) {
        let xStep = x.tickStep(xTicks), yStep = y.tickStep(yTicks)
        for value in y.ticks(yTicks) {
            let py = y(value)
            canvas.line(left, py, right, py, class: "grid")
            canvas.text(LinearScale.label(value, step: yStep), x: left - 6, y: py + 4, anchor: "end", class: "tick")
        }
        for value in x.ticks(xTicks) {
            let px = x(value)
            canvas.line(px, top, px, bottom, class: "grid")
            canvas.text(LinearScale.label(value, step: xStep), x: px, y: bottom + 16, anchor: "middle", class: "tick")
        }
        canvas.line(left, bottom, right, bottom, class: "axis")
        canvas.line(left, top, left, bottom, class: "axis")
        canvas.text(xTitle, x: (left + right) / 2, y: height - 8, anchor: "middle", class: "axis-title")
        canvas.text(yTitle, x: 14, y: (top + bottom) / 2, anchor: "middle", class: "axis-title", rotate: -90)
    }

    /// A row of legend swatches in the top margin, right-aligned.
    func drawLegend(on canvas: inout SVGCanvas, entries: [(label: String, swatchClass: String)]) {
        var cursor = right
        for entry in entries.reversed() {
            let textWidth = TextMetrics.width(entry.label, size: 11)
            canvas.text(entry.label, x: cursor, y: top - 10, anchor: "end", class: "legend")
            cursor -= textWidth + 6
            canvas.line(cursor - 16, top - 14, cursor, top - 14, class: entry.swatchClass)
            cursor -= 16 + 14
        }
    }
}

/// Approximate rendered text widths for laying out labels without a font engine.
enum TextMetrics {
    /// Advance widths in ems, on the wide side (DejaVu Sans, the fallback on Linux), so labels
    /// laid out with them do not collide in narrower fonts either.
    static func width(_ text: String, size: Double) -> Double {
        var ems = 0.0
        for scalar in text.unicodeScalars {
            switch scalar {
            case "i", "l", "j", "'", "|", ".", ",", ":", ";", "!": ems += 0.3
            case "f", "t", "r", " ", "(", ")", "[", "]": ems += 0.4
            case "m", "w": ems += 0.95
            case "M", "W", "@", "%": ems += 0.95
            case "<", ">", "=", "+", "~", "&", "#", "$": ems += 0.84
            case "A"..."Z": ems += 0.72
            case "0"..."9": ems += 0.64
            default: ems += 0.64
            }
        }
        return ems * size
    }

    /// `text` cut with an ellipsis to fit `maxWidth`.
    static func fitted(_ text: String, size: Double, maxWidth: Double) -> String {
        guard width(text, size: size) > maxWidth else { return text }
        var cut = text
        while !cut.isEmpty, width(cut + "…", size: size) > maxWidth { cut.removeLast() }
        return cut + "…"
    }
}
