import Foundation

/// Predicted against observed values on shared axes, with the y = x line of a perfect model.
struct ScatterChart: Chart {
    var title: String
    var xTitle: String
    var yTitle: String
    var points: [CurvePoint]
    var width = 480.0
    var height = 320.0

    func svg() -> String {
        let values = points.flatMap { [$0.x, $0.y] }
        let frame = PlotFrame(width: width, height: height) { horizontal, vertical in
            (LinearScale.nice(values, pixels: horizontal), LinearScale.nice(values, pixels: vertical))
        }
        var canvas = SVGCanvas(width: width, height: height)
        frame.drawAxes(on: &canvas, xTitle: xTitle, yTitle: yTitle)
        let low = max(frame.x.lower, frame.y.lower), high = min(frame.x.upper, frame.y.upper)
        if low < high { canvas.line(frame.x(low), frame.y(low), frame.x(high), frame.y(high), class: "reference") }
        for point in points where point.x.isFinite && point.y.isFinite {
            canvas.circle(cx: frame.x(point.x), cy: frame.y(point.y), r: 2, class: "dot")
        }
        frame.drawLegend(on: &canvas, entries: [("test rows", "swatch series-0"), ("y = x", "swatch reference")])
        return canvas.markup(title: title)
    }
}
