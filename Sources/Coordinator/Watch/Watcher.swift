import Dataset
import Foundation
import Logging
import ModelZoo
import Registry

/// `engage watch`: takes the inbox's batches one at a time, oldest first, judges each against the
/// watched models, retrains on a trigger and promotes a candidate that beats production.
///
/// Every step is recorded in the registry before the next one acts (claim → decision with run id →
/// run → outcome), so a watch killed anywhere and started again finishes each batch exactly once:
/// a batch already done is only moved to `done/`, a retraining run that did not finish is resumed
/// through its journal, and a run that finished goes straight to promotion.
public struct Watcher {
    public var config: ClusterConfig
    public var watch: WatchConfig
    public var configSHA256: String
    public var logger: Logger
    public var workerExecutable: String
    public var localWorkers: Int
    public var workerThreads: Int

    public init(config: ClusterConfig, watch: WatchConfig, configSHA256: String, logger: Logger, workerExecutable: String,
                localWorkers: Int, workerThreads: Int) {
        self.config = config
        self.watch = watch
        self.configSHA256 = configSHA256
        self.logger = logger
        self.workerExecutable = workerExecutable
        self.localWorkers = localWorkers
        self.workerThreads = workerThreads
    }

    /// True for a TCP endpoint whose port is `*` or 0: each run binds a different one.
    static func hasEphemeralPort(_ endpoint: String) -> Bool {
        guard endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":") else { return false }
        let port = endpoint[endpoint.index(after: colon)...]
        return port == "*" || port == "0"
    }

    /// The run id of the retraining a batch triggers: the same after any restart.
    public static func runID(sha256: String) -> String { "watch-\(sha256.prefix(16))" }

    /// Finishes what an earlier watch left (a schedule slot, then the batches in `processing/`),
    /// takes every waiting batch, and then runs the schedule's slot when it is due, handing each
    /// decision to `report` once it is recorded; `shouldStop` is asked between batches.
    @discardableResult
    public func step(shouldStop: () -> Bool = { false }, report: (WatchDecision) -> Void) throws -> [WatchDecision] {
        if localWorkers == 0, Self.hasEphemeralPort(config.coordinator.bind) {
            throw WatchError("\(config.file): with 0 local workers every retraining run waits for workers started by hand, which cannot find "
                + "the ephemeral port of cluster.coordinator.bind \(config.coordinator.bind); give it a fixed port (see docs/watch.md)")
        }
        let inbox = try Inbox(directory: watch.inbox)
        let registry = try ModelRegistry(path: config.registryPath)
        var decisions: [WatchDecision] = []
        func emit(_ decision: WatchDecision) {
            decisions.append(decision)
            report(decision)
        }
        for slot in try registry.scheduleSlots() where slot.status == .claimed {
            emit(try runSlot(slot, inbox: inbox, registry: registry))
        }
        var names = try inbox.unfinished()
        if try !names.isEmpty || !inbox.waiting().isEmpty {
            guard try !BatchAssessor(registry: registry, config: config, watch: watch).references().isEmpty else {
                throw WatchError("no model of \(config.file) has a registered version with a profile to judge batches by; train once with engage run first")
            }
            for name in try inbox.waiting() where !shouldStop() {
                if try inbox.claim(name) != nil { names.append(name) }
            }
            for name in names {
                if shouldStop() && !decisions.isEmpty { break }
                emit(try process(name, inbox: inbox, registry: registry))
            }
        }
        if !shouldStop(), let schedule, let due = try schedule.due(registry), due <= Date() {
            let slot = try registry.claimScheduleSlot(dueAt: due, runID: WatchSchedule.runID(due: due))
            if slot.status == .claimed { emit(try runSlot(slot, inbox: inbox, registry: registry)) }
        }
        return decisions
    }

    /// Runs ``step(shouldStop:report:)``, then waits for the next inbox poll (`pollSeconds`) or the
    /// schedule's next due time, whichever comes first, until `shouldStop` says so.
    public func loop(pollSeconds: Double, shouldStop: () -> Bool, report: (WatchDecision) -> Void) throws {
        while !shouldStop() {
            try step(shouldStop: shouldStop, report: report)
            var until = Date().addingTimeInterval(pollSeconds)
            if let schedule, let due = try schedule.due(try ModelRegistry(path: config.registryPath)) { until = min(until, due) }
            repeat {
                Thread.sleep(forTimeInterval: max(0.01, min(0.2, pollSeconds, until.timeIntervalSinceNow)))
            } while !shouldStop() && Date() < until
        }
    }

    /// The schedule of `watch.schedule`, if any.
    var schedule: WatchSchedule? {
        watch.schedule.map { WatchSchedule(schedule: $0, models: config.models.map(\.name)) }
    }

    private func process(_ name: String, inbox: Inbox, registry: ModelRegistry) throws -> WatchDecision {
        let path = inbox.path("processing", name)
        let sha = try SHA256.hex(fileAt: path)
        let table = Result { try CSV.read(path: path, categorical: Set(config.data.categorical)) }
        var record = try registry.claimBatch(sha256: sha, file: name, rows: try? table.get().rowCount)
        if record.status != .claimed {
            try inbox.finish(name, failed: record.status == .failed)
            return decision(record, file: name, action: WatchDecision.Action(rawValue: record.action ?? "") ?? .none,
                            why: "already processed as \(record.file) (same SHA-256); not processed again")
        }
        do {
            var assessments: [ModelAssessment] = []
            if record.runID == nil {
                assessments = try BatchAssessor(registry: registry, config: config, watch: watch).assess(try table.get(), source: name)
                let (verdict, trigger) = try judge(assessments, registry: registry)
                guard let trigger else {
                    try registry.decideBatch(sha256: sha, verdict: verdict, trigger: nil, runID: nil)
                    try registry.finishBatch(sha256: sha, status: .done, action: WatchDecision.Action.none.rawValue, error: nil)
                    record = try registry.batch(sha256: sha)!
                    let why = assessments.map { "\($0.reference): \($0.driftedFeatures) of \($0.features) features drifted" }.joined(separator: "; ")
                    try log(record, models: assessments.map { ($0.model, nil) }, why: why, registry: registry)
                    try inbox.finish(name, failed: false)
                    var result = decision(record, file: name, action: .none, why: why)
                    result.models = assessments
                    return result
                }
                try registry.decideBatch(sha256: sha, verdict: verdict, trigger: trigger, runID: Self.runID(sha256: sha))
                record = try registry.batch(sha256: sha)!
            }
            let outcome = try retrain(runID: record.runID!, trigger: record.trigger ?? "",
                                      batch: TriggeringBatch(sha256: sha, file: name, path: path), slot: nil, inbox: inbox, registry: registry)
            try registry.finishBatch(sha256: sha, status: .done, action: outcome.action.rawValue, error: nil)
            record = try registry.batch(sha256: sha)!
            try log(record, models: outcome.logged, why: outcome.why, registry: registry)
            try inbox.finish(name, failed: false)
            var result = decision(record, file: name, action: outcome.action, why: outcome.why)
            result.versions = outcome.versions
            result.models = assessments
            return result
        } catch let failed as RetrainingFailed {
            throw failed
        } catch {
            let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            try registry.finishBatch(sha256: sha, status: .failed, action: WatchDecision.Action.failed.rawValue, error: message)
            record = try registry.batch(sha256: sha)!
            try log(record, models: config.models.map { ($0.name, nil) }, why: message, registry: registry)
            try inbox.finish(name, failed: true)
            return decision(record, file: name, action: .failed, why: message)
        }
    }

    /// The verdict text and the trigger, if any: drift first, then the performance drop, then the schedule.
    private func judge(_ assessments: [ModelAssessment], registry: ModelRegistry) throws -> (String, String?) {
        let drifted = assessments.filter(\.drifted)
        let dropped = assessments.filter(\.performanceDropped)
        var parts: [String] = []
        if !drifted.isEmpty {
            parts.append("drift: " + drifted.map { "\($0.model) (\($0.driftedFeatures) of \($0.features) features)" }.joined(separator: ", "))
        }
        if !dropped.isEmpty {
            parts.append("performance drop: " + dropped.map {
                String(format: "%@ %@ %.4f → %.4f", $0.model, $0.metric ?? "", $0.registered ?? .nan, $0.observed ?? .nan)
            }.joined(separator: ", "))
        }
        let verdict = parts.isEmpty ? "no drift" : parts.joined(separator: "; ")
        if watch.drift, !drifted.isEmpty { return (verdict, "drift") }
        if !dropped.isEmpty { return (verdict, "performance_drop") }
        if let schedule, let due = try schedule.due(registry), due <= Date() { return (verdict, "schedule") }
        return (verdict, nil)
    }

    /// Runs the schedule's slot (resuming its run when an earlier watch started it) and records its outcome.
    private func runSlot(_ slot: ScheduleSlot, inbox: Inbox, registry: ModelRegistry) throws -> WatchDecision {
        let due = WatchSchedule.text(slot.dueAt)
        do {
            let outcome = try retrain(runID: slot.runID, trigger: "schedule", batch: nil, slot: due, inbox: inbox, registry: registry)
            try registry.finishScheduleSlot(dueAt: slot.dueAt, status: .done, action: outcome.action.rawValue, error: nil)
            let finished = try registry.scheduleSlot(dueAt: slot.dueAt)!
            for (model, version) in outcome.logged { try registry.logWatchDecision(model: model, version: version, slot: finished, reason: outcome.why) }
            var result = WatchDecision(slot: due, trigger: "schedule", action: outcome.action, runID: slot.runID, why: outcome.why)
            result.versions = outcome.versions
            return result
        } catch let failed as RetrainingFailed {
            throw failed
        } catch {
            let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            try registry.finishScheduleSlot(dueAt: slot.dueAt, status: .failed, action: WatchDecision.Action.failed.rawValue, error: message)
            let finished = try registry.scheduleSlot(dueAt: slot.dueAt)!
            for model in config.models { try registry.logWatchDecision(model: model.name, version: nil, slot: finished, reason: message) }
            return WatchDecision(slot: due, trigger: "schedule", action: .failed, runID: slot.runID, why: message)
        }
    }

    /// What a retraining run came to: the action, why, the versions it registered, and what to log for each model.
    private struct RetrainingOutcome {
        var action: WatchDecision.Action
        var why: String
        var versions: [String]
        var logged: [(String, Int?)]
    }

    /// The batch whose trigger started a retraining run, in `processing/`.
    private struct TriggeringBatch {
        var sha256: String
        var file: String
        var path: String
    }

    /// Runs (or resumes) `runID` unless it already succeeded, then judges its versions for promotion.
    private func retrain(runID: String, trigger: String, batch: TriggeringBatch?, slot: String?, inbox: Inbox, registry: ModelRegistry) throws -> RetrainingOutcome {
        if try registry.run(id: runID)?.status != .succeeded {
            try runPipeline(runID: runID, trigger: trigger, batch: batch, slot: slot, inbox: inbox, registry: registry)
        }
        let versions = try registry.versions().filter { $0.runID == runID }.sorted { $0.model < $1.model }
        let names = versions.map(\.reference)
        let action: WatchDecision.Action
        var why: String
        var logged: [(String, Int?)] = versions.map { ($0.model, $0.version) }
        if watch.autoPromote {
            var policy = PromotionPolicy(config: config.promotion)
            policy.comparesRegisteredMetrics = false
            let judge = ChampionChallenger(registry: registry, store: try shardStore(), policy: policy, margin: watch.margin)
            var reasons: [String] = []
            var promoted = false
            for version in versions {
                switch try judge.decide(version) {
                case .promoted(let reason):
                    promoted = true
                    reasons.append("\(version.reference) promoted: \(reason)")
                case .kept(let reason):
                    reasons.append("\(version.reference) stays a candidate: \(reason)")
                }
            }
            action = promoted ? .promoted : .kept
            why = reasons.joined(separator: "; ")
        } else {
            action = .retrained
            why = "candidates \(names.joined(separator: ", ")) (promote.auto is off)"
        }
        if versions.isEmpty { why = "run \(runID) registered no version"; logged = config.models.map { ($0.name, nil) } }
        return RetrainingOutcome(action: action, why: why, versions: names, logged: logged)
    }

    /// The batch's drift against each watched model's reference version, as the `drift` document
    /// of that model's new version, so `engage report RUN` shows what triggered the run.
    private func batchDrift(_ path: String, source: String, registry: ModelRegistry) throws -> [String: [String: String]] {
        let batch = try CSV.read(path: path, categorical: Set(config.data.categorical))
        var documents: [String: [String: String]] = [:]
        for version in try BatchAssessor(registry: registry, config: config, watch: watch).references() {
            let drift = try VersionDrift(registry: registry, version: version, current: batch, thresholds: config.drift, source: source,
                                         predictions: false)
            documents[version.model] = [DriftReport.registryName: String(decoding: try EngageJSONEncoder().encode(drift.report), as: UTF8.self)]
        }
        return documents
    }

    private func runPipeline(runID: String, trigger: String, batch: TriggeringBatch?, slot: String?, inbox: Inbox, registry: ModelRegistry) throws {
        let earlier = try registry.batches().filter { $0.status == .done && $0.sha256 != batch?.sha256 }
            .filter { FileManager.default.fileExists(atPath: inbox.donePath($0.file)) }
        let window = TrainingWindow(config: config, window: watch.window)
        let kept = window.selected(earlier.map { ($0.sha256, $0.file, inbox.donePath($0.file)) } + (batch.map { [($0.sha256, $0.file, $0.path)] } ?? []))
        let csv = ((config.workDirectory as NSString).appendingPathComponent("watch") as NSString).appendingPathComponent("\(runID).csv")
        try window.write(batches: kept.map(\.2), to: csv)
        var runConfig = config
        runConfig.data.source = .csv
        runConfig.data.path = csv
        let resume = try registry.run(id: runID) != nil
        var runner = PipelineRunner(config: runConfig, configSHA256: configSHA256, logger: logger, workerExecutable: workerExecutable,
                                    localWorkers: localWorkers, workerThreads: workerThreads, runID: runID, resume: resume)
        let lineage = WatchLineage(trigger: trigger, batch: batch?.sha256, slot: slot, batches: kept.map(\.0), batchFiles: kept.map(\.1),
                                   window: "\(watch.window)")
        runner.keepRemoteWorkers = true
        if Self.hasEphemeralPort(config.coordinator.bind), config.hosts.contains(where: { !["localhost", "127.0.0.1", "::1"].contains($0.host) && $0.workers > 0 }) {
            logger.warning("cluster.coordinator.bind \(config.coordinator.bind) has an ephemeral port: the workers of other hosts cannot find this run; give it a fixed port")
        }
        runner.runDocuments = [WatchLineage.registryName: String(decoding: try JSONEncoder.sortedKeys.encode(lineage), as: UTF8.self)]
        if let batch { runner.modelDocuments = try batchDrift(batch.path, source: batch.file, registry: registry) }
        let subject = batch?.file ?? "schedule slot \(slot ?? "")"
        logger.info("\(subject): \(trigger) → \(resume ? "resuming" : "starting") retraining run \(runID) on \(csv)")
        let summary = try runner.run()
        if let failure = summary.failure {
            let left = batch == nil ? "the slot stays claimed" : "the batch stays in processing/"
            throw RetrainingFailed(message: "retraining run \(runID) of \(subject) failed: \(failure); \(left) and the next watch resumes the run")
        }
    }

    private func shardStore() throws -> ShardStore {
        try ShardStore(directory: (config.workDirectory as NSString).appendingPathComponent("shards"))
    }

    private func log(_ record: BatchRecord, models: [(String, Int?)], why: String, registry: ModelRegistry) throws {
        for (model, version) in models {
            try registry.logWatchDecision(model: model, version: version, batch: record, reason: why)
        }
    }

    private func decision(_ record: BatchRecord, file: String, action: WatchDecision.Action, why: String) -> WatchDecision {
        WatchDecision(batch: file, sha256: record.sha256, rows: record.rows, verdict: record.verdict ?? (record.error == nil ? "" : "error"),
                      trigger: record.trigger, action: action, runID: record.runID, why: why)
    }
}

/// A retraining run that started and did not succeed (jobs out of attempts, workers lost): not the
/// batch's fault, so the batch is left claimed with its run id for the next watch to resume.
struct RetrainingFailed: Error, LocalizedError {
    let message: String
    var errorDescription: String? { message }
}
