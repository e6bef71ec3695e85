import Foundation

/// An SVG chart the report embeds inline.
protocol Chart {
    /// What the chart shows, in a sentence: its accessible name.
    var title: String { get }
    func svg() -> String
}

/// Lines (and optional markers) over fixed x and y ranges, with dashed reference lines: the ROC,
/// precision-recall and calibration charts.
struct LineChart: Chart {
    /// A connected series; `markers` draws a circle at each point, sized by its weight when given.
    struct Series {
        var label: String
        var points: [CurvePoint]
        var markers = false
        /// Per point, relative weights (e.g. rows per calibration bin) for marker sizes.
        var weights: [Double]? = nil
        /// Per point, a tooltip.
        var tooltips: [String]? = nil
    }

    /// A dashed segment such as the chance diagonal.
    struct Reference {
        var label: String
        var from: CurvePoint
        var to: CurvePoint
    }

    var title: String
    var xTitle: String
    var yTitle: String
    var xDomain: (Double, Double) = (0, 1)
    var yDomain: (Double, Double) = (0, 1)
    var series: [Series]
    var references: [Reference] = []
    var width = 480.0
    var height = 320.0

    func svg() -> String {
        let frame = PlotFrame(width: width, height: height, x: xDomain, y: yDomain)
        var canvas = SVGCanvas(width: width, height: height)
        frame.drawAxes(on: &canvas, xTitle: xTitle, yTitle: yTitle)
        for reference in references {
            canvas.line(frame.x(reference.from.x), frame.y(reference.from.y), frame.x(reference.to.x), frame.y(reference.to.y), class: "reference")
        }
        for (index, line) in series.enumerated() {
            let pixels = LineChart.thinned(line.points.map { (frame.x($0.x), frame.y($0.y)) })
            canvas.polyline(pixels, class: "series series-\(index)")
            guard line.markers else { continue }
            let largest = line.weights?.max() ?? 0
            for (p, point) in line.points.enumerated() {
                let weight = line.weights.map { largest > 0 ? $0[p] / largest : 1 } ?? 1
                canvas.circle(cx: frame.x(point.x), cy: frame.y(point.y), r: 2.5 + 4 * weight.squareRoot(),
                              class: "marker series-\(index)", title: line.tooltips?[p])
            }
        }
        frame.drawLegend(on: &canvas, entries: series.indices.map { (series[$0].label, "swatch series-\($0)") }
            + references.map { ($0.label, "swatch reference") })
        return canvas.markup(title: title)
    }

    /// Drops points less than half a pixel from the last one kept: a curve of 20,000 thresholds
    /// draws the same with a few hundred, and the page stays small.
    static func thinned(_ points: [(Double, Double)], tolerance: Double = 0.5) -> [(Double, Double)] {
        guard points.count > 2 else { return points }
        var kept = [points[0]]
        for point in points.dropFirst().dropLast() {
            let last = kept[kept.count - 1]
            if abs(point.0 - last.0) >= tolerance || abs(point.1 - last.1) >= tolerance { kept.append(point) }
        }
        kept.append(points[points.count - 1])
        return kept
    }
}
