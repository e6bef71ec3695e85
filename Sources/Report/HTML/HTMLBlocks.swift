import Foundation

/// One table cell: escaped text or trusted markup, aligned as text or as a number.
struct Cell {
    var html: String
    var numeric: Bool

    static func text(_ value: String) -> Cell { Cell(html: HTML.escape(value), numeric: false) }
    static func markup(_ html: String, numeric: Bool = false) -> Cell { Cell(html: html, numeric: numeric) }
    static func number(_ value: Double?, digits: Int = 4) -> Cell { Cell(html: HTML.number(value, digits: digits), numeric: true) }
    static func integer(_ value: Int?) -> Cell { Cell(html: HTML.integer(value), numeric: true) }
    static func percent(_ value: Double?) -> Cell { Cell(html: HTML.escape(HTML.percent(value)), numeric: true) }
}

/// A table with a header row; number columns are right-aligned in tabular figures.
struct HTMLTable {
    var header: [String]
    /// Which columns hold numbers (their headers align right too).
    var numericColumns: Set<Int> = []
    var rows: [[Cell]]
    var compact = false

    func render() -> String {
        var html = "<div class=\"table-wrap\"><table\(compact ? " class=\"compact\"" : "")><thead><tr>"
        for (index, title) in header.enumerated() {
            html += numericColumns.contains(index) ? "<th class=\"num\">\(HTML.escape(title))</th>" : "<th>\(HTML.escape(title))</th>"
        }
        html += "</tr></thead><tbody>"
        for row in rows {
            html += "<tr>" + row.map { $0.numeric ? "<td class=\"num\">\($0.html)</td>" : "<td>\($0.html)</td>" }.joined() + "</tr>"
        }
        return html + "</tbody></table></div>"
    }
}

/// The page's building blocks: cards, badges, notes and definition lists.
enum Block {
    static func card(_ title: String, _ body: String, wide: Bool = false, subtitle: String? = nil) -> String {
        "<div class=\"card\(wide ? " wide" : "")\"><h3>\(HTML.escape(title))</h3>"
            + (subtitle.map { "<p class=\"subtitle\">\(HTML.escape($0))</p>" } ?? "") + body + "</div>"
    }

    static func chartCard(_ chart: Chart, heading: String, caption: String? = nil) -> String {
        "<figure class=\"card chart-card\"><h3>\(HTML.escape(heading))</h3>\(chart.svg())"
            + (caption.map { "<figcaption>\(HTML.escape($0))</figcaption>" } ?? "") + "</figure>"
    }

    /// `tone`: `good`, `bad`, `warn` or `neutral`.
    static func badge(_ text: String, tone: String = "neutral") -> String {
        "<span class=\"badge \(tone)\">\(HTML.escape(text))</span>"
    }

    static func note(_ text: String) -> String { "<p class=\"note\">\(HTML.escape(text))</p>" }

    static func definitions(_ pairs: [(String, String)]) -> String {
        "<dl class=\"facts\">" + pairs.map { "<dt>\(HTML.escape($0.0))</dt><dd>\($0.1)</dd>" }.joined() + "</dl>"
    }

    static func grid(_ items: [String]) -> String {
        items.isEmpty ? "" : "<div class=\"grid\">" + items.joined() + "</div>"
    }
}
