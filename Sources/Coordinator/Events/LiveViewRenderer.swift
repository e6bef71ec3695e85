import Foundation

/// Draws a ``RunState`` as the lines of the live view: a headline with the counts, then one line
/// per worker with its job, a progress bar, the percentage and the ETA.
///
/// Pure (state, time and width in, lines out) so that tests and `engage watch` use it directly.
/// No line is ever longer than `width - 1` columns: a wrapped line would break the redraw in place.
public struct LiveViewRenderer: Sendable {
    public var barWidth = 16

    public init() {}

    public func lines(_ state: RunState, now: Date, width: Int) -> [String] {
        let headline = "run \(state.run ?? "?")  \(RunClock.elapsed(since: state.startedAt, now: now))  "
            + "jobs \(state.done)/\(state.totalJobs) done · \(state.running.count) running · \(state.waiting) waiting · \(state.failed) failed"
            + (state.finished ? (state.failure == nil ? "  finished" : "  FAILED") : "")
        let workers = state.sortedWorkers
        let nameWidth = workers.map(\.name.count).max() ?? 0
        let jobWidth = workers.compactMap(\.job).map(\.count).max() ?? 0
        let rows = workers.map { worker -> String in
            let prefix = "worker \(pad(worker.name, nameWidth))  \(pad(RunClock.threads(worker.threads), 10))"
            guard let id = worker.job else { return prefix + " idle" }
            let job = state.running[id]
            let fraction = job?.fraction ?? 0
            let percent = String(format: "%3d%%", Int(fraction * 100))
            let eta = job?.etaSeconds.map { "  ETA \(RunClock.duration($0))" } ?? ""
            let full = "\(prefix) \(pad(id, jobWidth)) \(bar(fraction)) \(percent)\(eta)"
            return full.count < width ? full : "\(prefix) \(id) \(percent)\(eta)"
        }
        return ([headline] + rows).map { fit($0, width: width) }
    }

    func bar(_ fraction: Double) -> String {
        let filled = min(barWidth, max(0, Int((fraction * Double(barWidth)).rounded(.down))))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled) + "]"
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private func fit(_ line: String, width: Int) -> String {
        let limit = max(1, width - 1)
        return line.count <= limit ? line : String(line.prefix(max(0, limit - 1))) + "…"
    }
}
