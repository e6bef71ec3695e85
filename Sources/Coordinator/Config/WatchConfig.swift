import Foundation

/// The `watch:` section of cluster.yaml: where `engage watch` takes batches from, what makes it
/// retrain, which rows a retraining run reads, and whether a better candidate is promoted.
public struct WatchConfig: Sendable, Equatable {
    /// The rows a retraining run trains and tests on.
    public enum Window: Sendable, Equatable {
        /// The original data and every accepted batch.
        case all
        /// The original data and the last N accepted batches.
        case lastBatches(Int)
        /// The last N rows of the original data followed by the accepted batches.
        case lastRows(Int)
    }

    /// When the watched models are due for a retraining without any other trigger (docs/watch.md, "The schedule").
    public enum Schedule: Sendable, Equatable {
        /// This many seconds after the last training.
        case every(Double)
        /// At the first time of the expression (UTC) after the last training.
        case cron(CronExpression)
    }

    public var inbox: String
    /// nil: retrain only on drift or a performance drop.
    public var schedule: Schedule?
    /// Retrain when a batch drifts against the production version's profile (`drift:` thresholds).
    public var drift = true
    /// Retrain when a labelled batch's primary metric is below production's registered test metric by more than this.
    public var performanceDrop: Double?
    public var window = Window.all
    public var autoPromote = false
    /// How much better than production (primary metric, same held-out rows) a candidate must be to be promoted.
    public var margin = 0.0
}

extension ClusterConfig {
    /// Reads `watch:`; errors name the file, line, column and key.
    mutating func readWatch(_ root: YAMLNodeReader) throws {
        guard let w = try root.mapping("watch", allowedKeys: ["inbox", "schedule", "drift", "performance_drop", "window", "promote"]) else { return }
        guard let inbox = try w.string("inbox") else {
            throw ConfigError(file: file, line: w.node.mark?.line, column: w.node.mark?.column, keyPath: "watch.inbox", message: "missing; expected the inbox directory")
        }
        var config = WatchConfig(inbox: inbox)
        if let schedule = try w.string("schedule") {
            if schedule.hasPrefix("every") {
                guard let seconds = Self.interval(schedule) else {
                    throw w.fail("schedule", w.child("schedule")!, "expected 'every N' with N and a unit s, m, h or d (e.g. every 6h), found '\(schedule)'")
                }
                config.schedule = .every(seconds)
            } else {
                do {
                    let cron = try CronExpression(parsing: schedule)
                    guard cron.next(after: Date()) != nil else { throw CronError("'\(schedule)' names no time in the next five years") }
                    config.schedule = .cron(cron)
                } catch let error as CronError {
                    throw w.fail("schedule", w.child("schedule")!, "expected 'every N' (e.g. every 6h) or a five-field cron expression (e.g. 0 */6 * * *): \(error)")
                }
            }
        }
        config.drift = try w.bool("drift") ?? config.drift
        config.performanceDrop = try w.double("performance_drop", range: 0...1)
        if let node = w.child("window") {
            if node.string == "all" {
                config.window = .all
            } else if let window = try w.mapping("window", allowedKeys: ["last_batches", "last_rows"]) {
                if let n = try window.int("last_batches", min: 1) { config.window = .lastBatches(n) }
                if let n = try window.int("last_rows", min: 1) { config.window = .lastRows(n) }
            } else {
                throw w.fail("window", node, "expected all, { last_batches: N } or { last_rows: N }")
            }
        }
        if let promote = try w.mapping("promote", allowedKeys: ["auto", "margin"]) {
            config.autoPromote = try promote.bool("auto") ?? false
            config.margin = try promote.double("margin", range: 0...1) ?? 0
        }
        watch = config
    }

    /// `every 6h`, `every 30m`, `every 90s`, `every 1d` in seconds.
    static func interval(_ text: String) -> Double? {
        let words = text.split(separator: " ")
        guard words.count == 2, words[0] == "every", let unit = words[1].last, let n = Double(words[1].dropLast()), n > 0 else { return nil }
        switch unit {
        case "s": return n
        case "m": return n * 60
        case "h": return n * 3600
        case "d": return n * 86400
        default: return nil
        }
    }
}
