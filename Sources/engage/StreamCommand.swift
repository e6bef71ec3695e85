import ArgumentParser
import Coordinator
import Dataset
import Foundation
import Stream
import Wire

/// `engage stream`: micro-batch scoring of events from an inbox folder or a ZeroMQ socket into
/// the stream database, exactly once per event (docs/serving.md).
struct StreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Score events in micro-batches with a registry model: predictions, alerts and aggregates in SQLite, exactly once.",
        discussion: """
        Events come as CSV (event_id, user_id, the model's features) in files of an inbox folder (write, then \
        rename; exactly once by atomic claim and the event-id key) or in EVENTS batches on a ZeroMQ ROUTER socket \
        (acknowledged after commit; producers resend what is not acknowledged). A micro-batch is scored when --batch \
        events wait or the oldest has waited --max-wait. The model follows its reference: a promotion takes effect \
        at the next batch. SIGTERM or SIGINT commits what is buffered and exits. See docs/serving.md.
        """)

    @Option(help: "The model: a registry reference such as churn@production, churn@3 or churn@champion.")
    var model: String

    @Option(help: "inbox:DIR, or zmq:tcp://HOST:PORT to bind (loopback unless secured with --keys).")
    var from: String

    @Option(help: "Events per micro-batch.")
    var batch = 1000

    @Option(help: "How long the oldest waiting event may wait before its batch is scored (30s, 500ms, 2m).")
    var maxWait = "30s"

    @Option(help: "A score at or above this raises an alert.")
    var alertThreshold = 0.7

    @Option(name: .shortAndLong, help: "The cluster file: its registry.path and work_dir.")
    var config = "cluster.yaml"

    @Option(help: "The registry (default: registry.path of the cluster file).")
    var registry: String?

    @Option(help: "The stream database (default: WORK_DIR/stream.sqlite of the cluster file).")
    var db: String?

    @Flag(help: "Inbox only: score what the inbox holds (and what an earlier stream left in processing/), then exit.")
    var once = false

    @Option(help: ArgumentHelp("zmq only: secure the socket with CURVE from this key folder (engage keys generate): only producers whose keys are in its allowed/ get in. Required for a bind other hosts can reach; default: the cluster file's security.keys when security.curve is on.", valueName: "DIR"))
    var keys: String?

    @Flag(name: .shortAndLong, help: "Log every committed micro-batch.")
    var verbose = false

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, not \(batch)") }
        guard alertThreshold.isFinite else { throw ValidationError("--alert-threshold must be a number") }
    }

    func run() throws {
        try failing {
            let source = try StreamSourceSpec(parsing: from)
            if case .inbox = source, keys != nil { throw CLIFailure(message: "--keys secures a zmq bind; an inbox source binds nothing") }
            if case .zmq = source, once { throw CLIFailure(message: "--once reads an inbox; a zmq source has no end to wait for") }
            let wait = try StreamSourceSpec.seconds(maxWait, option: "--max-wait")
            let cluster = try ClusterConfig.loadIfPresent(path: config)
            let scorer = try StreamScorer(reference: model, registryPath: registry ?? cluster.registryPath)
            let store = try StreamStore(path: db ?? (cluster.workDirectory as NSString).appendingPathComponent("stream.sqlite"))
            let logger = CLILogging.logger("engage.stream", verbose: verbose)
            logger.info("scoring with \(scorer.model)@\(scorer.version) (\(model)) into \(store.path)")
            let stop = StopSignals()
            let validate: (EventBatch) throws -> Void = { try scorer.check($0) }
            var messages: String?
            let totals: StreamTotals
            switch source {
            case .inbox(let directory):
                let inbox = try InboxEventSource(directory: directory, categorical: scorer.categorical, validate: validate, logger: logger)
                var runner = StreamRunner(source: inbox, scorer: scorer, store: store, threshold: alertThreshold, batchSize: batch,
                                          maxWait: wait, logger: logger)
                try runner.run(untilIdle: once, shouldStop: { stop.requested })
                totals = runner.totals
            case .zmq(let endpoint):
                let curve = try keys.map { CurveKeyDirectory(path: $0) } ?? cluster.security.coordinatorKeys(file: config)
                let socket = try ZMQEventSource(endpoint: endpoint, keys: curve, categorical: scorer.categorical, validate: validate, logger: logger)
                FileHandle.standardOutput.write(Data("stream listening on \(socket.endpoint)\n".utf8))
                var runner = StreamRunner(source: socket, scorer: scorer, store: store, threshold: alertThreshold, batchSize: batch,
                                          maxWait: wait, logger: logger)
                try runner.run(shouldStop: { stop.requested })
                totals = runner.totals
                messages = socket.counters.json
            }
            let summary = StreamSummary(model: "\(scorer.model)@\(scorer.version)", totals: totals, database: try store.counts())
            var lines = String(decoding: try EngageJSONEncoder([.sortedKeys]).encode(summary), as: UTF8.self) + "\n"
            if let messages { lines += MessageCounters.logPrefix + messages + "\n" }
            FileHandle.standardOutput.write(Data(lines.utf8))
        }
    }
}

/// The summary `engage stream` prints when it stops: this process's totals and the database's row counts.
struct StreamSummary: Encodable {
    var model: String
    var totals: StreamTotals
    var database: StreamCounts
}
