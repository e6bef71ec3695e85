import Foundation
import Registry

/// When `watch.schedule` says the watched models are due for retraining, read from the registry
/// alone so that the answer survives a restart.
///
/// The schedule counts from the last training: the newest registered version of the watched
/// models (whatever made it: `engage run`, a batch trigger, an earlier slot) or the end of the
/// last schedule slot, whichever is later (a slot that registered nothing still moves the clock).
/// A slot is due `every` seconds after that, rounded up to a whole second, or at the cron
/// expression's first time after it; missed slots do not pile up: a watch that was down for
/// three periods retrains once.
struct WatchSchedule {
    let schedule: WatchConfig.Schedule
    let models: [String]

    func lastTraining(_ registry: ModelRegistry) throws -> Date? {
        let versions = try models.flatMap { try registry.versions(model: $0) }.map(\.createdAt)
        let slots = try registry.scheduleSlots().compactMap(\.finishedAt)
        return (versions + slots).max()
    }

    /// The next due time; nil while no watched model has a version (the watch waits for a first `engage run`).
    func due(_ registry: ModelRegistry) throws -> Date? {
        guard let last = try lastTraining(registry) else { return nil }
        switch schedule {
        case .every(let seconds): return Date(timeIntervalSince1970: (last.timeIntervalSince1970 + seconds).rounded(.up))
        case .cron(let expression): return expression.next(after: last)
        }
    }

    /// The run id of the retraining of the slot due at `due`: the same after any restart.
    static func runID(due: Date) -> String { "watch-schedule-\(stamp(due))" }

    /// `2026-12-02T06:00:00Z`: how a slot is named in decisions and the docs.
    static func text(_ due: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: due)
    }

    /// `20261202T060000Z`, file-name safe (the run id names `work_dir/watch/RUN_ID.csv`).
    private static func stamp(_ due: Date) -> String {
        text(due).filter { $0 != "-" && $0 != ":" }
    }
}
