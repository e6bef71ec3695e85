import Foundation

/// The run's events as one plain line each, for a log file or a pipe (not a terminal).
///
/// Progress is thinned to one line per job per 10% (`everyProgress` prints every report), so a
/// long run's log stays readable; every other event gets exactly one line.
public final class PlainEventLog: RunEventSink {
    private let write: (String) -> Void
    private let everyProgress: Bool
    private var printedDecile: [String: Int] = [:]

    /// `write` receives each line without its newline.
    public init(everyProgress: Bool = false, write: @escaping (String) -> Void) {
        self.everyProgress = everyProgress
        self.write = write
    }

    public func receive(_ event: RunEvent, state: RunState) {
        guard let text = line(event, state: state) else { return }
        write("\(RunClock.elapsed(since: state.startedAt, now: event.time)) \(text)")
    }

    func line(_ event: RunEvent, state: RunState) -> String? {
        let job = event.job ?? "?", worker = event.worker ?? "?"
        switch event.type {
        case .runStarted:
            return "run \(event.run ?? "?") started: \(event.jobs ?? 0) jobs" + ((event.done ?? 0) > 0 ? ", \(event.done ?? 0) already done" : "")
        case .workerJoined:
            return "worker \(worker) joined (\(RunClock.threads(event.threads ?? 0)))"
        case .workerLost:
            return "worker \(worker) lost: \(event.reason ?? "")"
        case .jobStarted:
            printedDecile[job] = 0
            return "\(job) started on \(worker) (attempt \(event.attempt ?? 1))"
        case .jobProgress:
            guard let fraction = event.fraction else { return nil }
            let decile = Int(fraction * 10)
            if !everyProgress {
                guard decile > printedDecile[job, default: 0], decile < 10 else { return nil }
                printedDecile[job] = decile
            }
            return "\(job) \(Int(fraction * 100))% on \(worker)" + (event.etaSeconds.map { ", ETA \(RunClock.duration($0))" } ?? "")
        case .jobDone:
            printedDecile[job] = nil
            return "\(job) done on \(worker) in \(String(format: "%.1f", event.seconds ?? 0)) s → \(event.result ?? "") \(counts(state))"
        case .jobRetried:
            printedDecile[job] = nil
            return "\(job) retried (attempt \(event.attempt ?? 0) next): \(event.reason ?? "")"
        case .jobFailed:
            printedDecile[job] = nil
            return "\(job) failed after attempt \(event.attempt ?? 0): \(event.reason ?? "") \(counts(state))"
        case .runFinished:
            return "run \(event.run ?? "?") " + (event.reason.map { "failed: \($0)" } ?? "finished") + " in \(String(format: "%.1f", event.seconds ?? 0)) s \(counts(state))"
        }
    }

    private func counts(_ state: RunState) -> String {
        "[\(state.done)/\(state.totalJobs) done, \(state.running.count) running, \(state.waiting) waiting, \(state.failed) failed]"
    }
}

/// The clock and count wording the plain log and the terminal view share.
enum RunClock {
    /// `mm:ss` (or `h:mm:ss`) since the run started.
    static func elapsed(since start: Date?, now: Date) -> String {
        let total = max(0, Int(now.timeIntervalSince(start ?? now)))
        let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, seconds) : String(format: "%02d:%02d", minutes, seconds)
    }

    /// `41s`, `3m05s`, `1h02m`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        if total < 60 { return "\(total)s" }
        if total < 3600 { return String(format: "%dm%02ds", total / 60, total % 60) }
        return String(format: "%dh%02dm", total / 3600, total / 60 % 60)
    }

    static func threads(_ count: Int) -> String { "\(count) thread\(count == 1 ? "" : "s")" }
}
