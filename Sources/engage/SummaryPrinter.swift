import Coordinator
import Dataset
import Foundation
import Registry

/// Renders a finished run for people (a table) or for programs (JSON).
enum SummaryPrinter {
    static func text(_ summary: RunSummary) -> String {
        let rows = summary.rows.map { row in
            [row.model, "v\(row.version)" + (row.resumed ? "*" : ""), row.metrics.map { "\($0.name)=\(format($0.value))" }.joined(separator: " "),
             format(row.seconds, digits: 1), row.worker]
        }
        var lines = [renderTable(header: ["model", "version", "test metrics", "seconds", "worker"], rows: rows)]
        lines.append(headline(summary) + " in \(format(summary.wallSeconds, digits: 1)) s"
            + (summary.workersLost > 0 ? ", \(summary.workersLost) worker(s) lost" : "")
            + (summary.droppedMessages > 0 ? ", \(summary.droppedMessages) malformed message(s) dropped" : "")
            + (summary.refusedHandshakes > 0 ? ", \(summary.refusedHandshakes) CURVE handshake(s) refused" : "")
            + (summary.backupTasks > 0 ? ", \(summary.backupTasks) backup task(s)" : "")
            + (summary.journalFailures > 0 ? ", \(summary.journalFailures) journal write(s) failed" : "")
            + (summary.qualityWarnings.isEmpty ? "" : ", \(summary.qualityWarnings.count) data-quality warning(s)"))
        if !summary.jobs.isEmpty { lines.append(timeBreakdown(summary)) }
        lines.append(memory(summary.peakRSS))
        return lines.joined(separator: "\n")
    }

    /// The peak RSS of the coordinator and of each worker, largest worker first.
    static func memory(_ peak: PeakRSSSummary) -> String {
        let workers = peak.workers.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \(mebibytes($0.value))" }
        return "memory: peak RSS coordinator \(peak.coordinator.map(mebibytes) ?? "unknown"); "
            + (workers.isEmpty ? "no worker reported its own" : workers.joined(separator: ", "))
            + (peak.droppedValues > 0 ? "; \(peak.droppedValues) malformed peak RSS value(s) dropped" : "")
    }

    private static func mebibytes(_ bytes: UInt64) -> String { "\(format(Double(bytes) / 1_048_576, digits: 0)) MiB" }

    /// How many versions the run produced; for a resumed run, also what the journal already held.
    static func headline(_ summary: RunSummary) -> String {
        let count = summary.rows.count
        guard summary.resumed else { return "run \(summary.runID): \(count) new version\(count == 1 ? "" : "s")" }
        let before = summary.rows.filter(\.resumed).count
        return "run \(summary.runID) (resumed): \(count) version\(count == 1 ? "" : "s") in the run, \(count - before) new"
            + (before > 0 ? " (* registered before the resume)" : "")
            + "; \(summary.resumedJobs) of \(summary.totalJobs) jobs resumed from the journal"
            + (summary.rerunJobs > 0 ? ", \(summary.rerunJobs) run again for lost predictions" : "")
    }

    /// Where the wall time went: data preparation, then the jobs' worker-seconds by model.
    static func timeBreakdown(_ summary: RunSummary) -> String {
        let workers = Set(summary.jobs.map(\.worker)).count
        let total = summary.jobs.reduce(0) { $0 + $1.seconds }
        var byModel: [String: (seconds: Double, jobs: Int)] = [:]
        for job in summary.jobs { byModel[job.model, default: (0, 0)].seconds += job.seconds; byModel[job.model, default: (0, 0)].jobs += 1 }
        let models = byModel.sorted { $0.value.seconds > $1.value.seconds }
            .map { "\($0.key) \(format($0.value.seconds, digits: 1)) s (\($0.value.jobs) job\($0.value.jobs == 1 ? "" : "s"))" }
        let jobsWall = summary.wallSeconds - summary.dataSeconds
        var busy: [String: Double] = [:]
        for job in summary.jobs { busy[job.worker, default: 0] += job.seconds }
        let idle = busy.sorted { $0.key < $1.key }.map { "\($0.key) \(format(max(0, jobsWall - $0.value), digits: 1)) s" }
        return "time: data \(format(summary.dataSeconds, digits: 1)) s; \(summary.jobs.count) jobs took \(format(total, digits: 1)) worker-seconds on "
            + "\(workers) worker\(workers == 1 ? "" : "s") in \(format(jobsWall, digits: 1)) s of wall: "
            + models.joined(separator: ", ")
            + (idle.isEmpty ? "" : "; idle (wall less own job seconds): " + idle.joined(separator: ", "))
    }

    static func json(_ summary: RunSummary) -> String {
        struct Row: Encodable {
            let model: String; let version: Int; let metrics: [String: Double]; let seconds: Double; let worker: String; let resumed: Bool
        }
        struct Body: Encodable {
            let runID: String; let wallSeconds: Double; let dataSeconds: Double; let failure: String?; let versions: [Row]
            let jobs: [RunSummary.JobTime]; let droppedMessages: Int; let workersLost: Int; let journalFailures: Int; let refusedHandshakes: Int
            let backupTasks: Int
            /// Bytes: `{"coordinator": n, "workers": {name: n}, "droppedValues": n}`.
            let peakRSS: PeakRSSSummary
            let resumed: Bool; let resumedJobs: Int; let rerunJobs: Int; let totalJobs: Int
            /// Seconds since the run started: `{"phases": [...], "jobs": [...], "workers": [...]}`.
            let timeline: RunTimeline
        }
        let body = Body(runID: summary.runID, wallSeconds: summary.wallSeconds, dataSeconds: summary.dataSeconds, failure: summary.failure,
                        versions: summary.rows.map { Row(model: $0.model, version: $0.version,
                                                         metrics: Dictionary($0.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
                                                         seconds: $0.seconds, worker: $0.worker, resumed: $0.resumed) },
                        jobs: summary.jobs, droppedMessages: summary.droppedMessages, workersLost: summary.workersLost,
                        journalFailures: summary.journalFailures, refusedHandshakes: summary.refusedHandshakes, backupTasks: summary.backupTasks,
                        peakRSS: summary.peakRSS, resumed: summary.resumed, resumedJobs: summary.resumedJobs, rerunJobs: summary.rerunJobs, totalJobs: summary.totalJobs,
                        timeline: summary.timeline)
        let encoder = EngageJSONEncoder([.prettyPrinted, .sortedKeys])
        return String(decoding: (try? encoder.encode(body)) ?? Data(), as: UTF8.self)
    }
}
