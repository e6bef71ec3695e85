import Foundation
import ModelZoo
import Registry

/// The whole HTML document of a run report: head with the inline stylesheet, the run's header,
/// a table of contents, a summary of the models, one section per model, data quality, drift,
/// and the JSON data island. Nothing in it refers to the network.
public struct ReportPage {
    let report: RunReport

    public init(report: RunReport) { self.report = report }

    public func render() throws -> String {
        let run = report.run
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="engage \(HTML.escape(EngageVersion.current))">
        <title>engage run \(HTML.escape(run.id))</title>
        <style>\(ReportStyle.css)</style>
        </head><body>
        """
        html += header()
        html += navigation()
        html += "<main>"
        html += summary()
        html += report.models.map { ModelSection(model: $0).render() }.joined()
        html += QualityBlock(section: report.quality).render()
        html += DriftBlock(section: report.drift).render()
        html += "<footer>Written by engage \(HTML.escape(EngageVersion.current)) on \(HTML.escape(HTML.date(report.generatedAt))) from \(HTML.escape(report.registryPath)). "
            + "Self-contained: charts are inline SVG, nothing is loaded from the network.</footer>"
        html += "</main>" + (try ReportDataIsland(report).element()) + "</body></html>\n"
        return html
    }

    private func header() -> String {
        let run = report.run
        let seconds = run.finishedAt.map { $0.timeIntervalSince(run.startedAt) }
        let statusTone = run.status == .succeeded ? "good" : run.status == .running ? "warn" : "bad"
        let facts: [(String, String)] = [
            ("status", Block.badge(run.status.rawValue, tone: statusTone)),
            ("started", HTML.escape(HTML.date(run.startedAt))),
            ("finished", HTML.escape(HTML.date(run.finishedAt)) + (seconds.map { " (\(HTML.escape(HTML.duration($0))))" } ?? "")),
            ("versions", String(report.models.count)),
            ("dataset", HTML.shortHash(run.datasetSHA256)),
            ("config", HTML.shortHash(run.configSHA256)),
        ]
        return "<header class=\"page\"><div class=\"inner\"><h1>Run report <span class=\"run-id\">\(HTML.escape(run.id))</span></h1>"
            + Block.definitions(facts) + "</div></header>"
    }

    private func navigation() -> String {
        let links = [("summary", "Summary")] + report.models.map { ($0.anchor, $0.version.reference) }
            + [(QualityBlock.anchor, "Data quality"), (DriftBlock.anchor, "Drift")]
        return "<nav class=\"toc\">" + links.map { "<a href=\"#\($0.0)\">\(HTML.escape($0.1))</a>" }.joined() + "</nav>"
    }

    private func summary() -> String {
        var html = "<section id=\"summary\"><h2>Summary</h2>"
        guard !report.models.isEmpty else {
            return html + Block.note("This run registered no model versions (status \(report.run.status.rawValue)).") + "</section>"
        }
        let rows = report.models.map { model -> [Cell] in
            let v = model.version
            let primary = PrimaryMetric.of(v)
            let value = primary.flatMap { v.metric($0.name, split: $0.split) }
            let verdict = FairnessBlock.verdict(of: model.fairness)
            return [
                .markup("<a href=\"#\(model.anchor)\">\(HTML.escape(v.model))</a>"), .integer(v.version), .text(v.kind.rawValue),
                .text(primary.map { $0.name } ?? "–"), .number(value, digits: 4),
                .markup(verdict.map { Block.badge($0, tone: $0 == "pass" ? "good" : $0 == "fail" ? "bad" : "warn") } ?? "–"),
                .text(v.stage.rawValue), .text(v.worker), .markup(HTML.escape(HTML.duration(v.trainSeconds)), numeric: true),
            ]
        }
        let table = HTMLTable(header: ["model", "version", "kind", "primary test metric", "value", "fairness", "stage", "worker", "trained in"],
                              numericColumns: [1, 4, 8], rows: rows)
        html += Block.card("Models of this run", table.render(), wide: true)
        return html + "</section>"
    }
}
