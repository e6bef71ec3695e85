import Foundation
import ModelZoo
import Registry

/// The section of one model version: badges, metrics, lineage, test-set curves, importance,
/// SHAP summary and fairness.
struct ModelSection {
    let model: ModelReport

    /// Features shown per importance chart and rows of the SHAP plot.
    static let topFeatures = 12

    func render() -> String {
        let version = model.version
        var html = "<section id=\"\(model.anchor)\"><h2>\(HTML.escape(version.model)) <span class=\"muted\">v\(version.version)</span>\(badges())</h2>"
        html += model.notes.map(Block.note).joined()
        html += Block.grid([metricsCard(), lineageCard()])
        html += "<h4>Test set</h4>" + evaluation()
        html += "<h4>Feature importance</h4>" + importance()
        html += "<h4>SHAP summary</h4>" + shapSummary()
        html += "<h4>Fairness</h4>" + FairnessBlock(model: model).render()
        return html + "</section>"
    }

    private func badges() -> String {
        let version = model.version
        var items = [Block.badge(version.kind.rawValue)]
        if let objective = version.objective?.rawValue ?? objectiveFromEvaluation() { items.append(Block.badge(objective)) }
        if version.stage != .none { items.append(Block.badge(version.stage.rawValue, tone: version.stage == .production ? "good" : "neutral")) }
        items += version.aliases.map { Block.badge("@" + $0) }
        if let verdict = FairnessBlock.verdict(of: model.fairness) {
            items.append(Block.badge("fairness \(verdict)", tone: verdict == "pass" ? "good" : verdict == "fail" ? "bad" : "warn"))
        }
        if !version.prohibitedFeatures.isEmpty { items.append(Block.badge("prohibited features", tone: "bad")) }
        return " " + items.joined(separator: " ")
    }

    private func objectiveFromEvaluation() -> String? {
        switch model.evaluation {
        case .classifier: return "binary"
        case .regression, .unavailable: return nil
        }
    }

    private func metricsCard() -> String {
        let metrics = model.version.metrics
        guard !metrics.isEmpty else { return Block.card("Metrics", Block.note("no metrics were registered")) }
        let order = ["test", "train", "valid", "oof"]
        let splits = Array(Set(metrics.map(\.split))).sorted { (order.firstIndex(of: $0) ?? 99, $0) < (order.firstIndex(of: $1) ?? 99, $1) }
        var names: [String] = []
        for metric in metrics where !names.contains(metric.name) { names.append(metric.name) }
        let rows = names.map { name in
            [Cell.text(name)] + splits.map { split in Cell.number(model.version.metric(name, split: split), digits: 4) }
        }
        let table = HTMLTable(header: ["metric"] + splits, numericColumns: Set(1...splits.count), rows: rows)
        return Block.card("Metrics", table.render())
    }

    private func lineageCard() -> String {
        let v = model.version
        var facts: [(String, String)] = [
            ("registered", HTML.escape(HTML.date(v.createdAt))),
            ("worker", HTML.escape(v.worker + (v.host.map { " on \($0)" } ?? ""))),
            ("trained in", HTML.escape(HTML.duration(v.trainSeconds))),
        ]
        if let t = model.training {
            if let trees = t.trees { facts.append(("trees", HTML.integer(trees))) }
            facts.append(("rows", "\(HTML.integer(t.trainRows)) train · \(HTML.integer(t.evalRows)) test"))
            if let attempt = t.attempt, attempt > 1 { facts.append(("attempts", String(attempt))) }
        }
        facts += [
            ("shards", "\(v.shardIDs.count)" + (model.training?.evalShards.map { " (\($0.count) test)" } ?? "")),
            ("artifact", "\(HTML.shortHash(v.artifactSHA256)) · \(HTML.integer(v.artifactBytes)) bytes"),
            ("dataset", HTML.shortHash(v.datasetSHA256)),
            ("code", HTML.escape(v.codeVersion)),
        ]
        if !v.prohibitedFeatures.isEmpty { facts.append(("prohibited", HTML.escape(v.prohibitedFeatures.joined(separator: ", ")))) }
        return Block.card("Lineage", Block.definitions(facts))
    }

    // MARK: test set

    private func evaluation() -> String {
        switch model.evaluation {
        case .classifier(let curves, let source):
            return Block.note(curveSummary(curves, source)) + Block.grid(ClassifierCharts(curves: curves, model: model.version.reference).cards())
        case .regression(let fit):
            let chart = ScatterChart(title: "\(model.version.reference): predicted against observed on the test rows",
                                     xTitle: "predicted", yTitle: "observed", points: fit.points)
            let caption = "\(HTML.integer(fit.rows)) test rows (\(HTML.integer(fit.points.count)) drawn): R² \(HTML.number(fit.r2)), MAE \(HTML.number(fit.mae))."
            return Block.grid([Block.chartCard(chart, heading: "Predicted vs observed", caption: caption)])
        case .unavailable(let reason):
            return Block.note("Curves unavailable: \(reason).")
        }
    }

    private func curveSummary(_ curves: ClassifierCurves, _ source: CurveSource) -> String {
        var text = "From \(source.rawValue)"
        if let rows = curves.rows { text += ": \(HTML.integer(rows)) test rows" }
        if let positives = curves.positives { text += ", \(HTML.integer(positives)) positive" }
        text += ". Area under the ROC curve \(HTML.number(curves.auc))"
        if let registered = model.version.metric(MetricDefinition.auc.name) { text += " (registered test AUC \(HTML.number(registered)))" }
        text += "; average precision \(HTML.number(curves.averagePrecision))."
        return text
    }

    // MARK: importance

    private func importance() -> String {
        let records = model.importance
        guard !records.isEmpty else { return Block.note("No feature importance was registered for this version.") }
        let totalGain = records.reduce(0) { $0 + ($1.gain.isFinite ? $1.gain : 0) }
        var cards: [String] = []
        if totalGain > 0 {
            cards.append(importanceCard("Gain", "share of total split gain", records.map { ($0.feature, $0.gain / totalGain) }, percent: true))
        }
        if records.contains(where: { $0.permutation.isFinite && $0.permutation != 0 }) {
            cards.append(importanceCard("Permutation", "loss increase when the feature is shuffled", records.map { ($0.feature, $0.permutation) }, percent: false))
        }
        if records.contains(where: { $0.meanAbsSHAP.isFinite && $0.meanAbsSHAP > 0 }) {
            cards.append(importanceCard("Mean |SHAP|", "mean absolute SHAP value on test rows", records.map { ($0.feature, $0.meanAbsSHAP) }, percent: false))
        }
        guard !cards.isEmpty else { return Block.note("Every importance measure of this version is zero or undefined.") }
        return Block.grid(cards)
    }

    private func importanceCard(_ name: String, _ meaning: String, _ values: [(String, Double)], percent: Bool) -> String {
        let top = values.filter { $0.1.isFinite }.sorted { $0.1 > $1.1 }.prefix(Self.topFeatures)
        let bars = top.map { feature, value in
            BarChart.Bar(label: feature, value: value, text: percent ? HTML.percent(value) : ImportanceFormat.compact(value))
        }
        let chart = BarChart(title: "\(model.version.reference): \(name.lowercased()) importance, top \(bars.count)",
                             xTitle: meaning, bars: Array(bars))
        return Block.chartCard(chart, heading: name)
    }

    // MARK: SHAP

    private func shapSummary() -> String {
        guard let shap = model.shap else {
            return Block.note("No SHAP summary is stored for this version (set shap: true for the model in cluster.yaml).")
        }
        let features = Array(shap.features.prefix(Self.topFeatures))
        let chart = SHAPSummaryChart(title: "\(model.version.reference): SHAP summary of the top \(features.count) features", features: features, width: 960)
        let caption = "\(HTML.integer(shap.rows)) test rows explained; expected model output \(HTML.number(shap.expectedValue)). "
            + "Each dot is a row; colour is the feature's value (blue low, red high)."
        return Block.grid(["<figure class=\"card chart-card wide\"><h3>SHAP summary</h3>\(chart.svg())<figcaption>\(HTML.escape(caption))</figcaption></figure>"])
    }
}

/// Importance values of any magnitude in at most four significant figures, trailing zeros dropped.
enum ImportanceFormat {
    static func compact(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude == 0 { return "0" }
        if magnitude >= 1000 { return LinearScale.label(value, step: magnitude >= 10_000 ? 1000 : 1) }
        let digits = max(0, min(6, 3 - Int(log10(magnitude).rounded(.down))))
        var text = HTML.number(value, digits: digits)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }
}

/// The ROC, precision-recall and calibration charts of a classifier.
struct ClassifierCharts {
    let curves: ClassifierCurves
    let model: String

    func cards() -> [String] {
        var cards: [String] = []
        if curves.roc.count >= 2 {
            let roc = LineChart(title: "\(model): ROC curve", xTitle: "false positive rate", yTitle: "true positive rate",
                                series: [.init(label: "AUC \(HTML.number(curves.auc, digits: 3))", points: curves.roc)],
                                references: [.init(label: "chance", from: CurvePoint(x: 0, y: 0), to: CurvePoint(x: 1, y: 1))])
            cards.append(Block.chartCard(roc, heading: "ROC curve"))
        }
        if curves.precisionRecall.count >= 2 {
            var references: [LineChart.Reference] = []
            if let prevalence = curves.prevalence {
                references.append(.init(label: "prevalence \(HTML.number(prevalence, digits: 3))",
                                        from: CurvePoint(x: 0, y: prevalence), to: CurvePoint(x: 1, y: prevalence)))
            }
            let pr = LineChart(title: "\(model): precision-recall curve", xTitle: "recall", yTitle: "precision",
                               series: [.init(label: "AP \(HTML.number(curves.averagePrecision, digits: 3))", points: curves.precisionRecall)],
                               references: references)
            cards.append(Block.chartCard(pr, heading: "Precision-recall curve"))
        }
        if !curves.calibration.isEmpty {
            let bins = curves.calibration
            let series = LineChart.Series(
                label: "observed rate per score bin", points: bins.map { CurvePoint(x: $0.meanScore, y: $0.observedRate) }, markers: true,
                weights: bins.map { Double($0.count) },
                tooltips: bins.map { "mean score \(HTML.number($0.meanScore, digits: 3)), observed \(HTML.number($0.observedRate, digits: 3)), \($0.count) rows" })
            let chart = LineChart(title: "\(model): calibration", xTitle: "mean predicted probability", yTitle: "observed positive rate",
                                  series: [series],
                                  references: [.init(label: "perfect", from: CurvePoint(x: 0, y: 0), to: CurvePoint(x: 1, y: 1))])
            cards.append(Block.chartCard(chart, heading: "Calibration", caption: "10 equal-width score bins; marker area grows with the rows in the bin."))
        }
        return cards
    }
}
