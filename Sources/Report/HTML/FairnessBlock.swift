import Foundation
import ModelZoo
import Registry

/// Fairness by group for one version: per sensitive attribute, the groups' selection rates (hit
/// rates for a recommender) as bars against the four-fifths line, the group table and the
/// attribute's parity numbers; then the proxy features.
struct FairnessBlock {
    let model: ModelReport

    /// `pass`, `fail` or `undefined`, from whichever fairness document the version has.
    static func verdict(of section: FairnessSection) -> String? {
        switch section {
        case .report(let report): return report.verdict.rawValue
        case .measures(let record): return record.verdict.rawValue
        case .none: return nil
        }
    }

    func render() -> String {
        switch model.fairness {
        case .none:
            return Block.note("No fairness report is stored for this version.")
        case .measures(let record):
            return measures(record)
        case .report(let report):
            var html = ""
            if let classifier = report.classifier { html += classifierSection(classifier) }
            if let regressor = report.regressor { html += regressorSection(regressor) }
            if let recommender = report.recommender { html += recommenderSection(recommender) }
            if html.isEmpty { html = Block.note("The fairness report has no section for this model's kind.") }
            return html + proxies(report.proxies)
        }
    }

    // MARK: classifier

    private func classifierSection(_ report: ClassifierFairnessReport) -> String {
        var cards: [String] = []
        for attribute in report.attributes {
            let line = FourFifthsLine(rates: attribute.groups.map(\.selectionRate), minRatio: report.minDisparateImpact)
            let chart = groupChart(attribute.attribute, attribute.groups.map { ($0.group, $0.selectionRate, $0.count) }, line: line,
                                   measure: "selection rate (score > \(HTML.number(report.threshold, digits: 2)))")
            let table = HTMLTable(
                header: ["group", "rows", "selection", "TPR", "FPR", "AUC", "mean score", "observed"], numericColumns: Set(1...7),
                rows: attribute.groups.map { g in
                    [Cell.text(g.group), .integer(g.count), .number(g.selectionRate, digits: 3), .number(g.truePositiveRate, digits: 3),
                     .number(g.falsePositiveRate, digits: 3), .number(g.auc, digits: 3), .number(g.meanScore, digits: 3), .number(g.observedRate, digits: 3)]
                }, compact: true)
            let summary = Block.definitions([
                ("disparate impact", impact(attribute.disparateImpact, attribute.verdict)),
                ("demographic parity", "difference \(HTML.number(attribute.demographicParityDifference, digits: 3)) · ratio \(HTML.number(attribute.demographicParityRatio, digits: 3))"),
                ("equalized odds", "difference \(HTML.number(attribute.equalizedOddsDifference, digits: 3)) · ratio \(HTML.number(attribute.equalizedOddsRatio, digits: 3))"),
            ])
            cards.append(figure(attribute.attribute, chart: chart, details: summary + table.render()))
        }
        return Block.grid(cards)
    }

    // MARK: regressor

    private func regressorSection(_ report: RegressionFairnessReport) -> String {
        var cards: [String] = []
        for attribute in report.attributes {
            let line = FourFifthsLine(rates: attribute.groups.map(\.selectionRate), minRatio: report.minDisparateImpact)
            let chart = groupChart(attribute.attribute, attribute.groups.map { ($0.group, $0.selectionRate, $0.count) }, line: line,
                                   measure: "share in the top \(HTML.percent(report.topShare)) of predictions")
            let table = HTMLTable(
                header: ["group", "rows", "mean prediction", "mean label", "MAE", "selected"], numericColumns: Set(1...5),
                rows: attribute.groups.map { g in
                    [Cell.text(g.group), .integer(g.count), .number(g.meanPrediction, digits: 3), .number(g.meanLabel, digits: 3),
                     .number(g.mae, digits: 3), .number(g.selectionRate, digits: 3)]
                }, compact: true)
            let summary = Block.definitions([
                ("disparate impact", impact(attribute.disparateImpact, attribute.verdict)),
                ("mean prediction", "difference \(HTML.number(attribute.meanPredictionDifference, digits: 3))"),
                ("MAE", "difference \(HTML.number(attribute.maeDifference, digits: 3))"),
            ])
            cards.append(figure(attribute.attribute, chart: chart, details: summary + table.render()))
        }
        return Block.grid(cards)
    }

    // MARK: recommender

    private func recommenderSection(_ report: RecommenderFairnessReport) -> String {
        var cards: [String] = []
        for attribute in report.attributes {
            let line = FourFifthsLine(rates: attribute.groups.map(\.hitRate), minRatio: report.minHitRateRatio)
            let chart = groupChart(attribute.attribute, attribute.groups.map { ($0.group, $0.hitRate, $0.users) }, line: line,
                                   measure: "HR@\(report.k)")
            let table = HTMLTable(header: ["group", "users", "hits", "HR@\(report.k)"], numericColumns: [1, 2, 3],
                                  rows: attribute.groups.map { [Cell.text($0.group), .integer($0.users), .integer($0.hits), .number($0.hitRate, digits: 3)] },
                                  compact: true)
            let summary = Block.definitions([("hit-rate ratio", impact(attribute.hitRateRatio, attribute.verdict)),
                                             ("difference", HTML.number(attribute.hitRateDifference, digits: 3))])
            cards.append(figure(attribute.attribute, chart: chart, details: summary + table.render()))
        }
        let exposure = HTMLTable(header: ["category", "slots", "share", "catalogue share", "exposure ratio"], numericColumns: [1, 2, 3, 4],
                                 rows: report.exposure.map { [Cell.text($0.category), .integer($0.slots), .percent($0.share), .percent($0.catalogueShare), .number($0.exposureRatio, digits: 2)] },
                                 compact: true)
        cards.append(Block.card("Exposure by category", exposure.render(), subtitle: "catalogue coverage \(HTML.percent(report.catalogueCoverage))"))
        return Block.grid(cards)
    }

    // MARK: shared pieces

    private func groupChart(_ attribute: String, _ groups: [(name: String, rate: Double, count: Int)], line: FourFifthsLine, measure: String) -> BarChart {
        BarChart(title: "\(model.version.reference): \(measure) by \(attribute), with the four-fifths line",
                 xTitle: measure,
                 bars: groups.map { group in
                     BarChart.Bar(label: group.name, value: group.rate, text: HTML.number(group.rate, digits: 3),
                                  flagged: line.isBelow(group.rate),
                                  tooltip: "\(group.name): \(HTML.number(group.rate, digits: 3)) over \(group.count) rows")
                 },
                 reference: line.threshold.map { BarChart.Reference(value: $0, label: "\(HTML.percent(line.minRatio)) of highest") })
    }

    /// A full-width card: the chart on the left, the numbers on the right (below it when narrow).
    private func figure(_ attribute: String, chart: BarChart, details: String) -> String {
        "<figure class=\"card chart-card wide\"><h3>By \(HTML.escape(attribute))</h3><div class=\"split\">"
            + "<div class=\"split-chart\">\(chart.svg())</div><div class=\"split-details\">\(details)</div></div></figure>"
    }

    private func impact(_ value: Double?, _ verdict: FourFifthsVerdict) -> String {
        let tone = verdict == .pass ? "good" : verdict == .fail ? "bad" : "warn"
        return "\(HTML.number(value, digits: 3)) \(Block.badge(verdict.rawValue, tone: tone))"
    }

    private func proxies(_ findings: [ProxyFinding]) -> String {
        guard !findings.isEmpty else { return Block.note("No feature is a proxy for a sensitive attribute (association above the threshold).") }
        let table = HTMLTable(header: ["feature", "attribute", "measure", "association", "threshold"], numericColumns: [3, 4],
                              rows: findings.map { [Cell.text($0.feature), .text($0.attribute), .text($0.measure.rawValue), .number($0.value, digits: 3), .number($0.threshold, digits: 2)] })
        return Block.card("Proxy features", table.render(), wide: true, subtitle: "features whose association with a sensitive attribute exceeds the threshold")
    }

    /// Only the registry's fairness rows: a table of every number and the disparate impacts as bars.
    private func measures(_ record: FairnessRecord) -> String {
        let impacts = record.disparateImpact.sorted { $0.key < $1.key }
        var cards: [String] = []
        if !impacts.isEmpty {
            let chart = BarChart(title: "\(model.version.reference): disparate impact by attribute", xTitle: "disparate impact",
                                 bars: impacts.map { .init(label: $0.key, value: $0.value, text: HTML.number($0.value, digits: 3), flagged: $0.value < 0.8) },
                                 reference: .init(value: 0.8, label: "80% line"))
            cards.append(Block.chartCard(chart, heading: "Disparate impact"))
        }
        let table = HTMLTable(header: ["attribute", "group", "metric", "value"], numericColumns: [3],
                              rows: record.measures.map { [Cell.text($0.attribute), .text($0.group ?? "(all)"), .text($0.metric), .number($0.value, digits: 4)] },
                              compact: true)
        cards.append(Block.card("Fairness numbers", table.render(), subtitle: "verdict \(record.verdict.rawValue); the full report was not stored"))
        return Block.grid(cards)
    }
}

/// The four-fifths rule on a set of group rates: a group is flagged when its rate is below
/// `minRatio` times the highest group's.
struct FourFifthsLine {
    let minRatio: Double
    /// `minRatio` × the highest rate; nil when no group has a positive rate.
    let threshold: Double?

    init(rates: [Double], minRatio: Double) {
        self.minRatio = minRatio
        let highest = rates.filter(\.isFinite).max() ?? 0
        threshold = highest > 0 ? highest * minRatio : nil
    }

    func isBelow(_ rate: Double) -> Bool {
        guard let threshold else { return false }
        return rate < threshold
    }
}
