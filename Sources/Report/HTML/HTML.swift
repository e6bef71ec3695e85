import Foundation

/// Text made safe for HTML and SVG, and the few number and date formats the report uses.
///
/// Every string from the registry (model names, feature names, group names, messages) passes
/// through ``escape(_:)`` before it reaches the page.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// A fragment identifier made of letters, digits and dashes.
    static func slug(_ text: String) -> String {
        var out = ""
        for scalar in text.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar), scalar.isASCII {
                out.unicodeScalars.append(scalar)
            } else if !out.hasSuffix("-") {
                out += "-"
            }
        }
        return out.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
    }

    /// A measure with `digits` decimals; NaN and nil read "–".
    static func number(_ value: Double?, digits: Int = 4) -> String {
        guard let value, !value.isNaN else { return "–" }
        if value.isInfinite { return value > 0 ? "∞" : "−∞" }
        return String(format: "%.\(digits)f", value).replacingOccurrences(of: "-", with: "−")
    }

    /// A share as a percentage with one decimal, none for a whole number (`80%`, `41.3%`).
    static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "–" }
        if value > 0, value < 0.0005 { return "<0.1%" }
        let text = String(format: "%.1f", value * 100)
        return (text.hasSuffix(".0") ? String(text.dropLast(2)) : text) + "%"
    }

    /// A p-value as markup: four decimals, or `&lt;0.0001` below that.
    static func pValue(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "–" }
        return value < 0.0001 ? "&lt;0.0001" : number(value, digits: 4)
    }

    static func integer(_ value: Int?) -> String {
        guard let value else { return "–" }
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.groupingSeparator = ","
        formatter.usesGroupingSeparator = true
        return formatter.string(from: NSNumber(value: value)) ?? String(value)
    }

    /// `2026-11-21 19:58:47 UTC`.
    static func date(_ value: Date?) -> String {
        guard let value else { return "–" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: value)
    }

    /// `1 min 12 s`, `8.4 s`.
    static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "–" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \(whole % 3600 / 60) min"
    }

    /// The first 12 hex digits of a SHA-256, the full value in a tooltip.
    static func shortHash(_ hash: String) -> String {
        "<code title=\"\(escape(hash))\">\(escape(String(hash.prefix(12))))</code>"
    }
}
