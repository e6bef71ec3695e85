import ArgumentParser
import Coordinator
import Dispatch
import Foundation

/// `engage watch`: the inbox → drift check → retrain → promote loop of the cluster file's `watch:` section.
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Judge the inbox's CSV batches for drift and performance drops, retrain on a trigger, promote a better candidate.",
        discussion: """
        With --once: finish what an earlier watch left (a schedule slot, the batches in processing/), take every \
        waiting batch, run the schedule's slot if it is due, print one decision per batch or slot and exit (for cron \
        and systemd timers). Without it: do the same every --poll seconds, waking at the schedule's due time when that \
        comes first, until SIGTERM or SIGINT, which stop it after the batch in progress (a second one stops it at once; \
        the next start resumes the retraining run). See docs/watch.md.

        Exit status: 0 when every batch was decided (a refused batch is a decision: action failed, moved to failed/); \
        1 when the watch itself could not go on (no watch: section, no trained model to judge by, an unreadable inbox or registry); \
        the batches then stay where they are.
        """)

    @OptionGroup var cluster: ClusterOptions

    @Flag(help: "Process the waiting batches (and a due schedule slot) once and exit.")
    var once = false

    @Flag(help: "Print one JSON object per batch instead of a line.")
    var json = false

    @Option(help: "Seconds between inbox polls in long-running mode.")
    var poll = 10.0

    @Option(help: "Local worker processes of a retraining run (default: the localhost entries of cluster.yaml).")
    var workers: Int?

    func run() throws {
        try failing {
            let config = try cluster.load()
            guard let watch = config.watch else { throw CLIFailure(message: "\(cluster.config) has no watch: section (see docs/watch.md)") }
            let local = config.localWorkers
            let count = workers ?? local.count
            let watcher = Watcher(config: config, watch: watch, configSHA256: ClusterConfig.fingerprint(path: cluster.config),
                                  logger: CLILogging.logger("engage.watch", verbose: cluster.verbose), workerExecutable: currentExecutable(),
                                  localWorkers: count, workerThreads: ClusterConfig.threadsPerLocalWorker(requested: local.threads, workers: count))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let report: (WatchDecision) -> Void = { decision in
                let text = json ? (try? encoder.encode(decision)).map { String(decoding: $0, as: UTF8.self) } ?? "{}" : decision.line
                FileHandle.standardOutput.write(Data((text + "\n").utf8))
            }
            if once {
                try watcher.step(report: report)
                return
            }
            let stop = StopSignals()
            try watcher.loop(pollSeconds: poll, shouldStop: { stop.requested }, report: report)
        }
    }
}

/// SIGTERM and SIGINT for the long-running watch: the first asks it to stop between batches,
/// the second ends the process at once (restart-safe by the batch records).
final class StopSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var sources: [DispatchSourceSignal] = []

    init() {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.received(number) }
            source.resume()
            sources.append(source)
        }
    }

    var requested: Bool { lock.withLock { count > 0 } }

    private func received(_ number: Int32) {
        let seen = lock.withLock { count += 1; return count }
        if seen > 1 { exit(128 + number) }
    }
}
