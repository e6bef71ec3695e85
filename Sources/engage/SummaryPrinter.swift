import Coordinator
import Foundation
import Registry

/// Renders a finished run for people (a table) or for programs (JSON).
enum SummaryPrinter {
    static func text(_ summary: RunSummary) -> String {
        let rows = summary.rows.map { row in
            [row.model, "v\(row.version)", row.metrics.map { "\($0.name)=\(format($0.value))" }.joined(separator: " "),
             format(row.seconds, digits: 1), row.worker]
        }
        var lines = [renderTable(header: ["model", "version", "test metrics", "seconds", "worker"], rows: rows)]
        lines.append("run \(summary.runID): \(summary.rows.count) new version\(summary.rows.count == 1 ? "" : "s") in \(format(summary.wallSeconds, digits: 1)) s"
            + (summary.workersLost > 0 ? ", \(summary.workersLost) worker(s) lost" : "")
            + (summary.droppedMessages > 0 ? ", \(summary.droppedMessages) malformed message(s) dropped" : "")
            + (summary.qualityWarnings.isEmpty ? "" : ", \(summary.qualityWarnings.count) data-quality warning(s)"))
        return lines.joined(separator: "\n")
    }

    static func json(_ summary: RunSummary) -> String {
        struct Row: Encodable { let model: String; let version: Int; let metrics: [String: Double]; let seconds: Double; let worker: String }
        struct Body: Encodable { let runID: String; let wallSeconds: Double; let failure: String?; let versions: [Row]; let droppedMessages: Int; let workersLost: Int }
        let body = Body(runID: summary.runID, wallSeconds: summary.wallSeconds, failure: summary.failure,
                        versions: summary.rows.map { Row(model: $0.model, version: $0.version,
                                                         metrics: Dictionary($0.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
                                                         seconds: $0.seconds, worker: $0.worker) },
                        droppedMessages: summary.droppedMessages, workersLost: summary.workersLost)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(body)) ?? Data(), as: UTF8.self)
    }
}
