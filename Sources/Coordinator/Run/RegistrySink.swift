import Dataset
import Foundation
import ModelZoo
import Training
import Registry

/// Turns accepted job results into registry versions and keeps the run journal current.
///
/// A job's predictions are stored as a shard before the journal marks it done, in the same
/// transaction as its version, so a restarted coordinator (`engage run --resume`) finds every
/// done job's version and predictions, or runs the job again.
final class RegistrySink: ResultSink {
    let registry: ModelRegistry
    let runID: String
    let data: PreparedData
    let configSHA256: String
    let store: ShardStore
    private let predictionStore: PredictionStore
    /// Training rows (while they fit) and their feature profiles, by training shards, for the
    /// profiles of the next versions (``trainingRows(_:)``).
    private var trainingSets: [String: (rows: Table?, profiles: FeatureProfiles)] = [:]
    private var keptRowsBytes = 0
    private(set) var registered: [String: ModelVersion] = [:]
    /// Job ids whose versions were registered before this coordinator resumed the run.
    let resumedVersions: Set<String>
    /// Predictions of every finished job, per shard of its evaluation and scored rows (the ensemble's inputs).
    private(set) var predictions: [String: [String: ArraySlice<Double>]] = [:]
    /// Journal writes that failed; each one can make `engage run --resume` redo or lose a job.
    private(set) var journalFailures = 0
    private(set) var firstJournalError: String?
    /// Every accepted job with the seconds its worker spent on it, in completion order.
    private(set) var jobSeconds: [RunSummary.JobTime] = []
    /// The objective of every model with an accepted job.
    private(set) var objectives: [String: ModelObjective] = [:]
    /// Documents stored with every version of the run besides the job's own (`engage watch`'s `trigger`).
    var runDocuments: [String: String] = [:]
    /// Documents stored with one model's version only, by model.
    var modelDocuments: [String: [String: String]] = [:]

    init(registry: ModelRegistry, runID: String, data: PreparedData, configSHA256: String, store: ShardStore,
         recovered: RecoveredRun = RecoveredRun()) {
        self.store = store
        self.registry = registry
        self.runID = runID
        self.data = data
        self.configSHA256 = configSHA256
        predictionStore = PredictionStore(store: store)
        registered = recovered.versions
        resumedVersions = Set(recovered.versions.keys)
        predictions = recovered.predictions
        objectives = recovered.objectives
    }

    func accept(job: PlannedJob, attempt: Int, worker: String, report: JobReport, result: ResultPayload) throws -> String {
        let byShard: [String: ArraySlice<Double>]
        do {
            byShard = try PredictionStore.split(result.predictions, over: job.spec.evalShards + job.spec.scoreShards, job: job.id)
        } catch let error as PredictionLoadError {
            throw JobError("the result \(error.reason)")
        }
        let stored = try predictionStore.save(result.predictions)
        let completion = JobCompletion(runID: runID, jobID: job.id, model: job.spec.model, attempt: attempt, worker: worker, predictions: stored.id,
                                       seconds: report.trainSeconds.isFinite && report.trainSeconds >= 0 ? report.trainSeconds : nil,
                                       units: job.units)
        let label = try register(job: job, attempt: attempt, worker: worker, report: report, result: result, completion: completion)
        predictions[job.id] = byShard
        objectives[job.spec.model] = job.spec.objective
        jobSeconds.append(RunSummary.JobTime(job: job.id, model: job.spec.model, worker: worker, seconds: report.trainSeconds))
        return label
    }

    /// Journals the job done with its predictions; a full job also gets its version in the same
    /// transaction, unless it already has one from before a restart (then it keeps that one).
    private func register(job: PlannedJob, attempt: Int, worker: String, report: JobReport, result: ResultPayload,
                          completion: JobCompletion) throws -> String {
        guard case .full = job.spec.role else {
            try registry.completeJob(completion, version: nil)
            return "out-of-fold predictions"
        }
        if let existing = registered[job.id] {
            try registry.completeJob(completion, version: existing.version)
            return "\(existing.reference) (registered before the restart; predictions restored)"
        }
        let artifact = result.artifact
        guard !artifact.isEmpty else { throw JobError("the result carries no artifact") }
        var version = NewVersion(
            model: job.spec.model, runID: runID, kind: job.spec.kind, artifact: artifact,
            metrics: report.metrics.map { MetricValue(split: $0.split, name: $0.name, value: $0.value) },
            importance: report.importance.map {
                ImportanceRecord(feature: $0.feature, gain: $0.gain, splits: $0.splits, permutation: $0.permutation, meanAbsSHAP: $0.meanAbsSHAP)
            },
            parameters: report.parameters,
            reports: report.reports.merging([TrainingFacts.registryName: RegistrySink.json(TrainingFacts(report: report, attempt: attempt, job: job))]
                .merging(try profile(of: artifact, job: job, scored: report.trainingPrediction).map { [ModelProfile.registryName: $0] } ?? [:]) { a, _ in a }
                .merging(runDocuments) { a, _ in a }
                .merging(modelDocuments[job.spec.model] ?? [:]) { a, _ in a }) { _, ours in ours },
            datasetSHA256: data.datasetSHA256, configSHA256: configSHA256, shardIDs: job.shardIDs,
            codeVersion: EngageVersion.current, worker: worker, trainSeconds: report.trainSeconds)
        version.objective = job.spec.objective
        version.host = worker.split(separator: "@").last.map(String.init)
        let finished = Date()
        version.finishedAt = finished
        version.startedAt = finished.addingTimeInterval(-max(0, report.trainSeconds))
        if let json = report.reports[FairnessReport.registryName] {
            version.fairness = FairnessRecord(report: try FairnessReport.decode(json: json), json: json)
        }
        let stored = try registry.register(version, completing: completion)
        registered[job.id] = stored
        return stored.reference
    }

    /// The version's reference profile, computed here where the training shards are, so that every
    /// worker kind gets one profile rule; the prediction part comes from the worker's `scored`
    /// profile when it sent one (GBDT jobs), else from scoring the rows here.
    /// nil for an artifact that is not an `engage-model` (none the workers send).
    private func profile(of artifact: Data, job: PlannedJob, scored: FeatureProfile.Numeric?) throws -> String? {
        guard let model = try? TrainedModel.decode(artifact) else { return nil }
        let (rows, known) = try trainingRows(job.spec.trainShards)
        return try ModelProfile(model: model, rows: rows, known: known, scored: scored).json(reusing: known)
    }

    /// The rows of `shards`, read once for the full jobs that share them (every customer model
    /// trains on the run's training shards) rather than read, hashed and decoded per version, with
    /// the feature profiles already computed on them. The rows are kept only while they fit
    /// `Table.reuseBudgetBytes` (at ten million customers they would not); the profiles always are.
    private func trainingRows(_ shards: [ShardRef]) throws -> (rows: Table, profiles: FeatureProfiles) {
        let key = shards.map(\.id).joined(separator: ",")
        if let known = trainingSets[key], let rows = known.rows { return (rows, known.profiles) }
        let rows = try Table.concatenated(try shards.map { try store.read($0.id) })
        let profiles = trainingSets[key]?.profiles ?? FeatureProfiles(rows: rows.rowCount)
        let keep = keptRowsBytes + rows.decodedBytes <= Table.reuseBudgetBytes
        if keep { keptRowsBytes += rows.decodedBytes }
        trainingSets[key] = (keep ? rows : nil, profiles)
        return (rows, profiles)
    }

    /// A stacking job gets its base-prediction table (`StackingAssembly`) once its inputs are done.
    func materialize(_ job: PlannedJob) throws -> PlannedJob {
        guard job.spec.kind == .stacking, job.spec.stackingShards.isEmpty else { return job }
        let table = try StackingAssembly(ensemble: job, foldShards: data.foldShards).table(predictions: predictions, objectives: objectives)
        var ready = job
        ready.spec.stackingShards = [try store.write(table)]
        return ready
    }

    func jobChanged(job: PlannedJob, status: JobStatus, attempt: Int, worker: String?, error: String?) {
        do {
            try registry.recordJob(runID: runID, jobID: job.id, model: job.spec.model, status: status, attempt: attempt,
                                   worker: worker, version: registered[job.id]?.version, error: error)
        } catch {
            journalFailures += 1
            if firstJournalError == nil { firstJournalError = "\(error)" }
        }
    }

    /// Why the run fails for its journal, when a journal write failed.
    var journalFailure: String? {
        firstJournalError.map { "\(journalFailures) journal write(s) failed, so `--resume` cannot trust this run's journal; the first: \($0)" }
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder.sortedKeys
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

private extension TrainingFacts {
    init(report: JobReport, attempt: Int, job: PlannedJob) {
        self.init(jobID: job.id, features: report.features, trainRows: report.trainRows, evalRows: report.evalRows, trees: report.trees,
                  attempt: attempt, trainShards: job.spec.trainShards.map(\.id), evalShards: job.spec.evalShards.map(\.id))
    }
}
