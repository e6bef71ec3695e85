import Dataset
import Foundation
import Logging
import ModelZoo
import Registry
import Wire

/// One finished pipeline run, as `engage run` prints it.
public struct RunSummary: Sendable {
    public struct Row: Sendable {
        public var model: String
        public var version: Int
        public var metrics: [MetricValue]
        public var seconds: Double
        public var worker: String
        /// Registered by an earlier coordinator of this run, before it was resumed.
        public var resumed = false
    }

    /// One accepted job and the seconds its worker spent on it (fold jobs included).
    public struct JobTime: Sendable, Codable {
        public var job: String
        public var model: String
        public var worker: String
        public var seconds: Double
    }

    public var runID: String
    public var rows: [Row]
    public var wallSeconds: Double
    /// Seconds spent generating or reading, checking and sharding the data before any job.
    public var dataSeconds: Double = 0
    public var jobs: [JobTime] = []
    public var failure: String?
    public var droppedMessages: Int
    public var workersLost: Int
    /// CURVE handshakes refused because the worker's key was not in `allowed/`.
    public var refusedHandshakes = 0
    /// Backup copies started for straggling jobs: work done twice so a slow worker does not hold up the run.
    public var backupTasks = 0
    public var qualityWarnings: [String]
    /// True when this coordinator resumed an interrupted run (`engage run --resume`).
    public var resumed = false
    /// Jobs taken over from the journal as done, not run again.
    public var resumedJobs = 0
    /// Journal-done jobs run again because their stored predictions were missing or damaged.
    public var rerunJobs = 0
    public var totalJobs = 0
    /// Journal writes that failed; any fails the run (`failure` names the first).
    public var journalFailures = 0
    /// Peak RSS of the coordinator process and of each worker, in bytes.
    public var peakRSS = PeakRSSSummary()
    /// Where the wall time went: the coordinator's phases, each job from dispatch to registration, each worker's idle time.
    public var timeline = RunTimeline()
}

/// The peak resident set size of each process of a run, in bytes: the coordinator's own
/// (``PeakRSS``, read at the end of the run) and the largest each worker reported of itself.
public struct PeakRSSSummary: Sendable, Codable, Equatable {
    public var coordinator: UInt64?
    /// By worker name (`local-1@host`), as in the jobs' `worker`.
    public var workers: [String: UInt64] = [:]
    /// Malformed `peakRSSBytes` values the coordinator dropped.
    public var droppedValues = 0

    public init(coordinator: UInt64? = nil, workers: [String: UInt64] = [:], droppedValues: Int = 0) {
        self.coordinator = coordinator
        self.workers = workers
        self.droppedValues = droppedValues
    }
}

/// Runs the whole pipeline once: data → shards → job graph → workers → registry.
///
/// With `localWorkers > 0` it starts that many `engage worker` child processes on this machine
/// and stops them at the end; with 0 it waits for workers started elsewhere.
public struct PipelineRunner {
    public var config: ClusterConfig
    public var configSHA256: String
    public var logger: Logger
    /// The executable used to start local workers (normally this very binary).
    public var workerExecutable: String
    public var localWorkers: Int
    public var workerThreads: Int
    public var runID: String
    /// Resume the existing run `runID` (its journal's done jobs are not run again) instead of starting one.
    public var resume: Bool
    /// Allow a non-local bind without CURVE (`--insecure`): for trusted networks only.
    public var insecure = false
    /// Registry documents stored with every version this run registers, by name (`engage watch`'s `trigger` lineage).
    public var runDocuments: [String: String] = [:]
    /// Registry documents stored with the version of one model, by model then name (the drift of
    /// the batch that triggered an `engage watch` retraining, against that model's reference).
    public var modelDocuments: [String: [String: String]] = [:]
    /// Where the run's events go (live view, plain log, `--events FILE`); the metrics join them.
    public var eventSinks: [any RunEventSink] = []
    /// When set, local workers write their logs to `DIR/local-N.log` instead of this process's
    /// standard error (which the live view owns).
    public var workerLogDirectory: String?
    /// At the end, tell the workers this run did not start to wait for the next run instead of
    /// exiting (`engage watch`, whose retraining runs share hand-started workers).
    public var keepRemoteWorkers = false

    public init(config: ClusterConfig, configSHA256: String, logger: Logger, workerExecutable: String, localWorkers: Int, workerThreads: Int,
                runID: String? = nil, resume: Bool = false) {
        self.resume = resume
        self.config = config
        self.configSHA256 = configSHA256
        self.logger = logger
        self.workerExecutable = workerExecutable
        self.localWorkers = localWorkers
        self.workerThreads = workerThreads
        self.runID = runID ?? PipelineRunner.newRunID()
    }

    public static func newRunID() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "run-\(formatter.string(from: Date()))-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    /// Loads, checks and shards the data. The tables stay inside this call, so the coordinator
    /// does not hold the whole customer table and interaction log while it serves the jobs.
    private func prepareData(store: ShardStore, phases: inout PhaseClock) throws -> (PreparedData, DataQualityReport) {
        let preparer = DataPreparer(config: config, store: store)
        let tables = try preparer.loadTables()
        phases.mark(config.data.source == .generate ? "data: generate" : "data: read")
        let quality = try preparer.qualityReport(tables.customers)
        try quality.requireNoErrors()
        for warning in quality.warnings { logger.warning("data quality: \(warning)") }
        phases.mark("data: quality checks")
        let prepared = try preparer.prepare(tables)
        phases.mark("data: split and write shards")
        return (prepared, quality)
    }

    public func run() throws -> RunSummary {
        let started = ContinuousClock.now
        var phases = PhaseClock(origin: started)
        if let warning = try ExposureCheck.verdict(endpoint: config.coordinator.bind, curve: config.security.curve, insecure: insecure) {
            logger.warning("\(warning)")
        }
        let curveKeys = try config.security.coordinatorKeys(file: config.file)
        if resume {
            // Refuse before the (slow) data preparation whatever can be refused without it.
            let existing = try ModelRegistry.openExisting(path: config.registryPath).run(id: runID)
            try ResumeRefusal.check(existing, id: runID, configSHA256: configSHA256, datasetSHA256: nil)
            if let existing, let coordinator = CoordinatorProcess.liveCoordinator(of: existing) {
                throw ResumeRefusal(runID: runID, reason: .stillRunning(host: coordinator.host, pid: coordinator.pid))
            }
        }
        let store = try ShardStore(directory: (config.workDirectory as NSString).appendingPathComponent("shards"))
        let (data, quality) = try prepareData(store: store, phases: &phases)
        logger.info("data: \(data.rows) rows, \(data.columns.count) columns, \(data.trainShards.count) train + \(data.testShards.count) test shards, dataset \(data.datasetSHA256.prefix(12))")
        let registry = try ModelRegistry(path: config.registryPath)
        let costs = JobCostModel().learning(from: try JobHistory(registry: registry).observations(),
                                             kinds: Dictionary(config.models.map { ($0.name, $0.kind) }, uniquingKeysWith: { a, _ in a }))
        phases.mark("registry and cost history")
        let binningStarted = ContinuousClock.now
        let binning = try SharedBinning(store: store, threads: ProcessInfo.processInfo.activeProcessorCount)
            .attach(to: try JobPlanner(config: config, data: data, costs: costs).plan(), trainShards: data.trainShards)
        let jobs = binning.jobs
        for written in binning.shards {
            logger.info("binned the training rows once for \(written.jobs) GBDT jobs: shard \(written.shard.id.prefix(12)), \(written.shard.bytes) bytes, in \(String(format: "%.2f", (ContinuousClock.now - binningStarted).seconds)) s")
        }
        phases.mark("binning for the GBDT jobs")
        let dataSeconds = (ContinuousClock.now - started).seconds

        let me = CoordinatorProcess.current
        if resume {
            try registry.resumeRun(id: runID, configSHA256: configSHA256, datasetSHA256: data.datasetSHA256, coordinatorHost: me.host, coordinatorPID: me.pid)
        } else {
            try registry.beginRun(id: runID, configSHA256: configSHA256, datasetSHA256: data.datasetSHA256, startedAt: Date(),
                                  coordinatorHost: me.host, coordinatorPID: me.pid)
        }
        logger.info("run \(runID) \(resume ? "resumed" : "started"); after a crash, `engage run --resume \(runID)` picks it up again")
        try registry.recordQuality(runID: runID, errors: quality.errors.count, warnings: quality.warnings.count, body: try quality.json())
        let recovered = resume
            ? try RecoveredRun.recover(registry: registry, runID: runID, jobs: jobs, predictions: PredictionStore(store: store))
            : RecoveredRun()
        if resume {
            logger.info("resuming run \(runID): \(recovered.done.count) of \(jobs.count) jobs done in the journal, \(recovered.versions.count) versions registered")
            for rerun in recovered.reruns {
                logger.warning("\(rerun.job) runs again: \(rerun.reason)")
                let model = jobs.first { $0.id == rerun.job }?.spec.model ?? rerun.job
                try registry.recordJob(runID: runID, jobID: rerun.job, model: model, status: .pending, attempt: recovered.attempts[rerun.job] ?? 0,
                                       worker: nil, version: nil, error: rerun.reason)
            }
        }
        let sink = RegistrySink(registry: registry, runID: runID, data: data, configSHA256: configSHA256, store: store, recovered: recovered)
        sink.runDocuments = runDocuments
        sink.modelDocuments = modelDocuments
        let book = JobBook(jobs: jobs, maxAttempts: config.coordinator.maxAttempts, alreadyDone: recovered.done, priorAttempts: recovered.attempts)

        let events = RunEventHub(sinks: eventSinks)
        defer { events.close() }
        events.emit(.runStarted(runID, jobs: jobs.count, alreadyDone: recovered.done.count))
        let settings = CoordinatorServer.Settings(endpoint: config.coordinator.bind, heartbeatMs: config.coordinator.heartbeatMs, liveness: config.coordinator.liveness)
        let server = try CoordinatorServer(settings: settings, jobs: book, store: store, runID: runID, logger: logger, curveKeys: curveKeys)
        server.events = events
        server.timelineOrigin = started
        let metricsEndpoint = try config.metrics.map { try MetricsEndpoint.start($0, server: server, sink: sink, registry: registry, events: events, logger: logger) }
        defer { metricsEndpoint?.stop() }
        let children = try LocalWorkers.start(count: book.isFinished ? 0 : localWorkers, executable: workerExecutable, endpoint: server.boundEndpoint,
                                              threads: workerThreads, cacheRoot: (config.workDirectory as NSString).appendingPathComponent("worker-cache"),
                                              heartbeatMs: config.coordinator.heartbeatMs, curveKeys: curveKeys?.path, logDirectory: workerLogDirectory, logger: logger)
        defer { children.stop() }

        phases.mark("run setup and worker start")
        var outcome = try server.serve(sink: EventingResultSink(sink, events: events)) {
            if localWorkers > 0, children.allExited { return "all \(localWorkers) local workers exited" }
            return nil
        }
        phases.mark("jobs (serving shards, registering results)")
        let jobsEnd = (ContinuousClock.now - started).seconds
        outcome.failure = outcome.failure ?? sink.journalFailure
        server.shutdownWorkers(keepingAllBut: keepRemoteWorkers ? Set(children.pids) : nil)
        children.waitForExit(seconds: 5)
        try registry.finishRun(id: runID, status: outcome.failure == nil ? .succeeded : .failed, finishedAt: Date())
        events.emit(.runFinished(runID, seconds: (ContinuousClock.now - started).seconds, failure: outcome.failure))

        let rows = jobs.compactMap { job -> RunSummary.Row? in
            guard let version = sink.registered[job.id] else { return nil }
            return RunSummary.Row(model: version.model, version: version.version, metrics: version.metrics.filter { $0.split == "test" },
                                  seconds: version.trainSeconds, worker: version.worker, resumed: sink.resumedVersions.contains(job.id))
        }.sorted { $0.model < $1.model }
        var summary = RunSummary(runID: runID, rows: rows, wallSeconds: (ContinuousClock.now - started).seconds, failure: outcome.failure,
                                 droppedMessages: outcome.droppedMessages, workersLost: outcome.workersLost,
                                 qualityWarnings: quality.warnings.map(\.description))
        summary.dataSeconds = dataSeconds
        summary.jobs = sink.jobSeconds
        summary.resumed = resume
        summary.resumedJobs = recovered.done.count
        summary.rerunJobs = recovered.reruns.count
        summary.totalJobs = jobs.count
        summary.journalFailures = sink.journalFailures
        summary.refusedHandshakes = outcome.refusedHandshakes
        summary.backupTasks = outcome.backupTasks
        summary.timeline = RunTimeline(phases: phases.phases, jobs: server.timeline)
        summary.timeline.summarizeWorkers(end: jobsEnd)
        summary.peakRSS = PeakRSSSummary(coordinator: PeakRSS.currentBytes(), workers: outcome.workerPeakRSS,
                                         droppedValues: outcome.droppedPeakRSSValues)
        return summary
    }
}
