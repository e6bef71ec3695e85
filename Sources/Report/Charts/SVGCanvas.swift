import Foundation

/// Accumulates SVG elements and wraps them in one `<svg>` element with a title for screen readers.
///
/// Presentation lives in the page's stylesheet (class names such as `axis`, `grid`, `series-0`),
/// so charts stay small and one CSS change restyles them all. Coordinates carry one decimal.
struct SVGCanvas {
    let width: Double
    let height: Double
    private var elements: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    static func coordinate(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
    }

    private static func attributes(_ pairs: [(String, String)]) -> String {
        pairs.map { " \($0.0)=\"\(HTML.escape($0.1))\"" }.joined()
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, class name: String) {
        let c = Self.coordinate
        elements.append("<line x1=\"\(c(x1))\" y1=\"\(c(y1))\" x2=\"\(c(x2))\" y2=\"\(c(y2))\" class=\"\(name)\"/>")
    }

    mutating func polyline(_ points: [(Double, Double)], class name: String) {
        guard !points.isEmpty else { return }
        let list = points.map { "\(Self.coordinate($0.0)),\(Self.coordinate($0.1))" }.joined(separator: " ")
        elements.append("<polyline points=\"\(list)\" class=\"\(name)\"/>")
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, class name: String, title: String? = nil) {
        let c = Self.coordinate
        let open = "<rect x=\"\(c(x))\" y=\"\(c(y))\" width=\"\(c(max(width, 0)))\" height=\"\(c(max(height, 0)))\" class=\"\(name)\""
        elements.append(title.map { "\(open)><title>\(HTML.escape($0))</title></rect>" } ?? open + "/>")
    }

    mutating func circle(cx: Double, cy: Double, r: Double, class name: String, fill: String? = nil, title: String? = nil) {
        let c = Self.coordinate
        var open = "<circle cx=\"\(c(cx))\" cy=\"\(c(cy))\" r=\"\(c(r))\" class=\"\(name)\""
        if let fill { open += Self.attributes([("fill", fill)]) }
        elements.append(title.map { "\(open)><title>\(HTML.escape($0))</title></circle>" } ?? open + "/>")
    }

    /// Text at (x, y); `anchor` is `start`, `middle` or `end`; `rotate` turns it about its anchor point.
    mutating func text(_ content: String, x: Double, y: Double, anchor: String = "start", class name: String = "label", rotate: Double? = nil) {
        var pairs = [("x", Self.coordinate(x)), ("y", Self.coordinate(y)), ("text-anchor", anchor), ("class", name)]
        if let rotate { pairs.append(("transform", "rotate(\(Self.coordinate(rotate)) \(Self.coordinate(x)) \(Self.coordinate(y)))")) }
        elements.append("<text\(Self.attributes(pairs))>\(HTML.escape(content))</text>")
    }

    /// The finished `<svg>`, for inline use in HTML (which needs no namespace attribute); `title`
    /// names the chart for assistive technology and tooltips.
    func markup(title: String) -> String {
        let w = Self.coordinate(width), h = Self.coordinate(height)
        return "<svg viewBox=\"0 0 \(w) \(h)\" width=\"\(w)\" height=\"\(h)\" role=\"img\" class=\"chart\">"
            + "<title>\(HTML.escape(title))</title>" + elements.joined() + "</svg>"
    }
}
