import Foundation

/// Reads what a test needs out of an `engage report` page: its sections, its printed numbers and
/// its JSON data island. Shared by the in-process report tests and the CLI integration tests.
public enum ReportPageReader {
    /// What the page refers to outside itself (a self-contained page has none).
    public static func externalReferences(in html: String) -> [String] {
        ["http://", "https://", "<link", "src=", "@import", "url("].filter { html.contains($0) }
    }

    /// A number as the report prints it (Unicode minus sign).
    public static func format(_ value: Double, digits: Int = 4) -> String {
        String(format: "%.\(digits)f", value).replacingOccurrences(of: "-", with: "−")
    }

    /// The text between the first `start` and the next `end`.
    public static func slice(_ html: String, from start: String, to end: String) throws -> String {
        guard let lower = html.range(of: start) else { throw HarnessError("no \(start) in the page") }
        guard let upper = html.range(of: end, range: lower.upperBound..<html.endIndex) else { throw HarnessError("no \(end) after \(start)") }
        return String(html[lower.upperBound..<upper.lowerBound])
    }
}

/// The JSON data island of a report page.
public struct ReportIsland {
    public let root: [String: Any]

    public init(html: String) throws {
        let open = "<script type=\"application/json\" id=\"engage-report-data\">"
        let json = try ReportPageReader.slice(html, from: open, to: "</script>")
        guard let root = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw HarnessError("the report's data island is not a JSON object")
        }
        self.root = root
    }

    public var run: String? { root["run"] as? String }

    public func model(_ name: String) throws -> [String: Any] {
        guard let models = root["models"] as? [[String: Any]], let model = models.first(where: { $0["model"] as? String == name }) else {
            throw HarnessError("no \(name) in the report data")
        }
        return model
    }

    public func evaluation(of name: String) throws -> [String: Any] {
        guard let evaluation = try model(name)["evaluation"] as? [String: Any] else { throw HarnessError("\(name) has no evaluation in the report data") }
        return evaluation
    }

    public func drift() throws -> [String: Any] {
        guard let drift = root["drift"] as? [String: Any] else { throw HarnessError("the report data has no drift section") }
        return drift
    }
}
