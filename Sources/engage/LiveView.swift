import Coordinator
import Foundation
import Logging

/// How `engage run` and `engage coordinator` show a run as it goes, chosen from the flags and
/// whether standard output is a terminal.
///
/// - terminal (and not `--quiet`, `--verbose` or `--json`): the live view, redrawn in place;
///   info logging is left to it, warnings are printed above it;
/// - otherwise: one plain line per event on standard output (`--verbose`: every progress report,
///   plus debug logging; `--json`: none, standard output stays the JSON summary);
/// - `--quiet`: no view and no event lines, warnings only;
/// - with the view or `--quiet`, local workers log to `WORK/logs/local-N.log`, not the terminal;
/// - `--events FILE`: the events as JSON lines too, whatever else is chosen.
struct RunDisplay {
    var sinks: [any RunEventSink] = []
    var view: TerminalRunView?
    var logLevel: Logger.Level = .info
    var workerLogsToFiles = false

    static func choose(quiet: Bool, verbose: Bool, json: Bool, eventsPath: String?, terminal: Bool = TerminalRunView.usable()) throws -> RunDisplay {
        var display = RunDisplay()
        if quiet {
            display.logLevel = .warning
            display.workerLogsToFiles = true
        } else if terminal, !verbose, !json {
            let view = TerminalRunView()
            display.view = view
            display.sinks.append(view)
            display.logLevel = .warning
            display.workerLogsToFiles = true
        } else if !json {
            display.sinks.append(PlainEventLog(everyProgress: verbose) { line in
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            })
            display.logLevel = verbose ? .debug : .info
        } else {
            display.logLevel = verbose ? .debug : .info
        }
        if let eventsPath { display.sinks.append(try JSONLinesEventLog(path: eventsPath)) }
        return display
    }

    /// Sets up logging for this display and returns the command's logger.
    func logger(_ label: String) -> Logger {
        CLILogging.console = view.flatMap { isatty(2) == 1 ? $0 : nil }
        var logger = CLILogging.logger(label, verbose: false)
        logger.logLevel = logLevel
        return logger
    }

    func configure(_ runner: inout PipelineRunner) {
        runner.eventSinks = sinks
        if workerLogsToFiles { runner.workerLogDirectory = (runner.config.workDirectory as NSString).appendingPathComponent("logs") }
    }
}

/// Standard-error logging that steps around the live view: while one is on the terminal, each
/// line is printed above it instead of over it.
struct ConsoleLogHandler: LogHandler {
    private var stream: StreamLogHandler
    private let label: String

    init(label: String) {
        self.label = label
        stream = StreamLogHandler.standardError(label: label)
    }

    var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { stream.metadata }
        set { stream.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { stream[metadataKey: key] }
        set { stream[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        guard let view = CLILogging.console else {
            stream.log(event: event)
            return
        }
        view.printAbove("\(event.level): \(event.message)")
    }
}
