import Dataset
import Foundation
import Registry

/// The run's data-quality section: counts, every finding, and the columns with missing values.
struct QualityBlock {
    let section: QualitySection

    static let anchor = "data-quality"

    func render() -> String {
        var html = "<section id=\"\(Self.anchor)\"><h2>Data quality"
        switch section {
        case .none:
            return html + "</h2>" + Block.note("No data-quality report was recorded for this run.") + "</section>"
        case .undecoded(let stored):
            html += counts(errors: stored.errors, warnings: stored.warnings) + "</h2>"
            html += Block.note("The stored report is not in a shape this version of engage reads; it is shown as stored.")
            let body = stored.body.count > 20_000 ? String(stored.body.prefix(20_000)) + "…" : stored.body
            return html + Block.card("Stored report", "<pre>\(HTML.escape(body))</pre>", wide: true) + "</section>"
        case .report(let report, let stored):
            html += counts(errors: report.errors.count, warnings: report.warnings.count) + "</h2>"
            html += Block.note("\(HTML.integer(report.rows)) rows checked; recorded \(HTML.date(stored.recordedAt)).")
            var cards: [String] = []
            if report.findings.isEmpty {
                cards.append(Block.card("Findings", Block.note("Every rule passed.")))
            } else {
                let table = HTMLTable(
                    header: ["severity", "rule", "columns", "value", "limit", "message"], numericColumns: [3, 4],
                    rows: report.findings.map { finding in
                        [Cell.markup(Block.badge(finding.severity.rawValue, tone: finding.severity == .error ? "bad" : "warn")),
                         .text(finding.rule), .text(finding.columns.joined(separator: ", ")), .number(finding.value, digits: 4),
                         .number(finding.threshold, digits: 4), .markup("<span>\(HTML.escape(finding.message))</span>")]
                    })
                cards.append(Block.card("Findings", table.render().replacingOccurrences(of: "<td><span>", with: "<td class=\"wrap\"><span>"), wide: true))
            }
            let missing = report.nullRates.filter { $0.rate > 0 }.sorted { $0.rate > $1.rate }.prefix(15)
            if missing.isEmpty {
                cards.append(Block.card("Missing values", Block.note("No column has missing values.")))
            } else {
                let warning = report.thresholds.nullRateWarning
                let chart = BarChart(title: "Share of missing values by column", xTitle: "share of rows missing",
                                     bars: missing.map { .init(label: $0.column, value: $0.rate, text: HTML.percent($0.rate), flagged: $0.rate > warning,
                                                               tooltip: "\($0.column): \($0.missing) missing (\(HTML.percent($0.rate)))") },
                                     reference: .init(value: warning, label: "warning \(HTML.percent(warning))"))
                cards.append(Block.chartCard(chart, heading: "Missing values", caption: "Columns with any missing value, most first (at most 15)."))
            }
            return html + Block.grid(cards) + "</section>"
        }
    }

    private func counts(errors: Int, warnings: Int) -> String {
        " " + Block.badge("\(errors) error\(errors == 1 ? "" : "s")", tone: errors > 0 ? "bad" : "good")
            + " " + Block.badge("\(warnings) warning\(warnings == 1 ? "" : "s")", tone: warnings > 0 ? "warn" : "good")
    }
}

/// The run's drift section: each drift report's features with their tests, PSI bars against the
/// threshold, or a plain statement that the run has no drift data.
struct DriftBlock {
    let section: DriftSection

    static let anchor = "drift"

    func render() -> String {
        var html = "<section id=\"\(Self.anchor)\"><h2>Drift</h2>"
        guard !section.reports.isEmpty else {
            html += Block.note("No drift data for this run.")
            if section.profiledFeatures > 0 {
                html += Block.note("Reference profiles were recorded for \(section.profiledFeatures) features: later data is compared with them for drift.")
            }
            return html + "</section>"
        }
        for (source, report) in section.reports {
            let verdict = report.drifted ? Block.badge("drifted", tone: "bad") : Block.badge("no drift", tone: "good")
            html += "<h4>\(HTML.escape(source)) \(verdict)</h4>"
            html += Block.note("\(HTML.integer(report.referenceRows)) reference rows against \(HTML.integer(report.currentRows)) current rows; "
                + "\(HTML.percent(report.share)) of features drifted (the dataset drifts at \(HTML.percent(report.thresholds.driftedShare))).")
            var cards: [String] = []
            let withPSI = report.features.filter { $0.psi?.isFinite == true }.sorted { $0.psi! > $1.psi! }.prefix(15)
            if !withPSI.isEmpty {
                let chart = BarChart(title: "Population stability index by feature", xTitle: "PSI",
                                     bars: withPSI.map { .init(label: $0.feature, value: $0.psi!, text: HTML.number($0.psi, digits: 3), flagged: $0.drifted) },
                                     reference: .init(value: report.thresholds.psiThreshold, label: "PSI \(HTML.number(report.thresholds.psiThreshold, digits: 2))"))
                cards.append(Block.chartCard(chart, heading: "Population stability", caption: "Largest PSI first (at most 15); red: the feature drifted."))
            }
            for feature in Self.worst(report) {
                guard let histogram = feature.histogram else { continue }
                let bars = zip(histogram.labels, zip(histogram.reference, histogram.current)).flatMap { label, shares -> [BarChart.Bar] in
                    [.init(label: "\(label) · ref", value: shares.0, text: HTML.percent(shares.0)),
                     .init(label: "\(label) · new", value: shares.1, text: HTML.percent(shares.1), flagged: true)]
                }
                let chart = BarChart(title: "\(feature.feature): reference against new", xTitle: "share of rows", bars: bars)
                cards.append(Block.chartCard(chart, heading: "\(feature.feature) (PSI \(HTML.number(feature.psi, digits: 3)))",
                                             caption: "Share of rows per \(feature.test == .chiSquared ? "level" : "bin of the reference's deciles"); red: the new data."))
            }
            let table = HTMLTable(
                header: ["feature", "test", "statistic", "p-value", "PSI", "missing ref", "missing now", "drifted"], numericColumns: [2, 3, 4, 5, 6],
                rows: report.features.map { f in
                    [Cell.text(f.feature), .text(f.test.rawValue), .number(f.statistic, digits: 4), .markup(HTML.pValue(f.pValue), numeric: true), .number(f.psi, digits: 4),
                     .percent(f.referenceMissingRate), .percent(f.currentMissingRate),
                     .markup(f.drifted ? Block.badge("yes", tone: "bad") : Block.badge("no", tone: "good"))]
                }, compact: true)
            cards.append(Block.card("Features", table.render(), wide: true))
            html += Block.grid(cards)
        }
        return html + "</section>"
    }

    /// The drifted features with the largest PSI that carry a histogram, at most three.
    static func worst(_ report: DriftReport) -> [FeatureDrift] {
        Array(report.features.filter { $0.drifted && $0.histogram != nil }.sorted { ($0.psi ?? 0) > ($1.psi ?? 0) }.prefix(3))
    }
}
