import ArgumentParser
import Dataset
import Foundation
import ModelZoo

/// `engage fairness`: the classifier fairness report of any CSV of predictions, so that users
/// can audit models engage did not train with the numbers engage's own reports use.
struct FairnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fairness",
        abstract: "Audit a CSV of predictions: per-group rates, AUC and calibration, parity, equalized odds and the four-fifths rule.",
        discussion: """
        A row is selected (predicted 1) when its score is strictly above --threshold. Rates, differences and ratios \
        are defined as Fairlearn defines them; disparate impact is the lowest group's selection rate over the \
        highest's, and passes at --min-disparate-impact or above.
        """)

    @Option(help: "The CSV file of predictions.")
    var data: String

    @Option(help: "The column of 0/1 labels.")
    var label: String

    @Option(help: "The column of scores (probabilities, for calibration).")
    var score: String

    @Option(help: "Rows scoring strictly above this are selected.")
    var threshold = 0.5

    @Option(help: "Sensitive attribute columns, comma-separated.")
    var sensitive: String

    @Option(help: "The disparate impact at or above which an attribute passes.")
    var minDisparateImpact = 0.8

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        try failing {
            let attributes = try sensitiveNames()
            let table = try CSV.read(path: data, categorical: Set(attributes), numeric: [label, score])
            try requireColumns([label, score] + attributes, in: table)
            let report: ClassifierFairnessReport
            do {
                report = try ClassifierFairness(threshold: threshold, minDisparateImpact: minDisparateImpact).report(
                    labels: try table.numeric(label), scores: try table.numeric(score),
                    sensitive: try attributes.map { SensitiveAttribute(name: $0, column: try table.column($0)) },
                    labelName: label, scoreName: score)
            } catch FairnessError.invalidValue(let column, let row, let value, let expected) {
                throw CLIFailure(message: "\(data):\(row + 2): column '\(column)': \(value) is not \(expected)")
            }
            if json {
                print(try FairnessReport(classifier: report).json(pretty: true))
            } else {
                print(FairnessTableRenderer(report: report).render())
            }
        }
    }

    private func sensitiveNames() throws -> [String] {
        guard label != score else { throw CLIFailure(message: "--label and --score name the same column '\(label)'") }
        let names = sensitive.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw CLIFailure(message: "--sensitive names no column; give one or more, comma-separated") }
        for name in [label, score] where names.contains(name) {
            throw CLIFailure(message: "column '\(name)' cannot be both a sensitive attribute and the label or score")
        }
        return names
    }

    private func requireColumns(_ wanted: [String], in table: Table) throws {
        let missing = wanted.filter { table.index(of: $0) == nil }
        guard missing.isEmpty else {
            let plural = missing.count > 1 ? "s" : ""
            throw CLIFailure(message: "\(data): no column\(plural) \(missing.map { "'\($0)'" }.joined(separator: ", ")); "
                             + "the file has: \(table.names.joined(separator: ", "))")
        }
    }
}

/// The text form of a classifier fairness report: one table per sensitive attribute.
struct FairnessTableRenderer {
    let report: ClassifierFairnessReport

    func render() -> String {
        var out: [String] = []
        let all = report.overall
        out.append("\(all.count) rows, \(all.positives) positive, \(all.selected) selected (score > \(report.threshold)); "
                   + "AUC \(optional(all.auc)), mean score \(format(all.meanScore)), observed rate \(format(all.observedRate))")
        for attribute in report.attributes {
            out.append("")
            out.append("\(attribute.attribute): disparate impact \(optional(attribute.disparateImpact)) → \(attribute.verdict.rawValue.uppercased())"
                       + " (four-fifths rule at \(format(report.minDisparateImpact, digits: 2)))")
            let rows = attribute.groups.map { g in
                [g.group, String(g.count), format(g.selectionRate), format(g.truePositiveRate), format(g.falsePositiveRate),
                 optional(g.auc), format(g.meanScore), format(g.observedRate)]
            }
            out.append(renderTable(header: ["group", "n", "selection", "TPR", "FPR", "AUC", "mean score", "observed"], rows: rows))
            out.append("demographic parity  difference \(format(attribute.demographicParityDifference))  ratio \(optional(attribute.demographicParityRatio))")
            out.append("equalized odds      difference \(format(attribute.equalizedOddsDifference))  ratio \(optional(attribute.equalizedOddsRatio))")
        }
        out.append("")
        out.append("verdict: \(report.verdict.rawValue.uppercased())"
                   + (report.worstDisparateImpact.map { " (lowest disparate impact \(format($0)))" } ?? ""))
        return out.joined(separator: "\n")
    }

    private func optional(_ value: Double?) -> String { value.map { format($0) } ?? "n/a" }
}
