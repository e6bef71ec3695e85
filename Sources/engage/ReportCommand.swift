import ArgumentParser
import Coordinator
import Foundation
import Registry
import Report

/// `engage report RUN --out report.html`: one self-contained HTML page about a run, for the
/// person deciding what to promote: each version's metrics, curves, importance, SHAP summary and
/// fairness by group, and the run's data quality and drift.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report of a run: metrics, ROC/PR/calibration, importance, SHAP, fairness, data quality, drift.",
        discussion: """
            RUN is a run id, an unambiguous beginning of one, or 'latest'. ROC, precision-recall and calibration
            curves come from a version's stored 'curves' report when it has one, and otherwise from scoring the
            run's test shards (WORK_DIR/shards) again with the registered artifact. The page loads nothing from
            the network: styles are inline and charts are inline SVG.
            """)

    @Argument(help: ArgumentHelp("The run: its id, the beginning of its id, or 'latest'.", valueName: "RUN"))
    var runReference: String

    @Option(help: "The registry database (default: registry.path of the cluster file).")
    var registry: String?

    @Option(name: .shortAndLong, help: "The cluster file naming the registry and the work directory.")
    var config = "cluster.yaml"

    @Option(help: "The run's work directory, whose shards/ holds the test shards (default: work_dir of the cluster file).")
    var workDir: String?

    @Option(name: .shortAndLong, help: "The HTML file to write.")
    var out = "report.html"

    func run() throws {
        try failing {
            let settings = try ClusterConfig.loadIfPresent(path: config)
            let registry = try ModelRegistry.openReadOnly(path: self.registry ?? settings.registryPath)
            let selected = try RunSelector(runs: try registry.runs(), registryPath: registry.path).select(runReference)
            let shardDirectory = ((workDir ?? settings.workDirectory) as NSString).appendingPathComponent("shards")
            let report = try RunReportBuilder(registry: registry, shardDirectory: shardDirectory).build(run: selected)
            let html = try ReportPage(report: report).render()
            do {
                try Data(html.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw ReportError.cannotWrite(path: out, reason: error.localizedDescription)
            }
            for model in report.models {
                for note in model.notes { warn("\(model.version.reference): \(note)") }
                if let reason = model.unavailableReason { warn("\(model.version.reference): curves unavailable: \(reason)") }
            }
            print("wrote \(out): run \(selected.id), \(report.models.count) version\(report.models.count == 1 ? "" : "s"), \(html.utf8.count / 1024) KiB")
        }
    }

    /// The cluster file's registry path and work directory, or the defaults when there is no file.
    private func warn(_ text: String) {
        FileHandle.standardError.write(Data("note: \(text)\n".utf8))
    }
}
