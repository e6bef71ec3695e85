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
    private(set) var registered: [String: ModelVersion] = [:]
    /// Job ids whose versions were registered before this coordinator resumed the run.
    let resumedVersions: Set<String>
    /// Predictions of every finished job, per shard of its evaluation and scored rows (the ensemble's inputs).
    private(set) var predictions: [String: [String: ArraySlice<Double>]] = [:]
    private(set) var journalErrors = 0
    /// Every accepted job with the seconds its worker spent on it, in completion order.
    private(set) var jobSeconds: [RunSummary.JobTime] = []
    /// The objective of every model with an accepted job.
    private(set) var objectives: [String: ModelObjective] = [:]

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
        let completion = JobCompletion(runID: runID, jobID: job.id, model: job.spec.model, attempt: attempt, worker: worker, predictions: stored.id)
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
            reports: report.reports.merging([TrainingFacts.registryName: RegistrySink.json(TrainingFacts(report: report, attempt: attempt, job: job))]) { _, facts in facts },
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

    /// A stacking job gets its base-prediction table (`StackingTable`) once its inputs are done:
    /// a training row's value comes from the fold job that held the row out (supervised inputs)
    /// or from the full job that scored it (unsupervised inputs); a test row's from the full job.
    func materialize(_ job: PlannedJob) throws -> PlannedJob {
        guard job.spec.kind == .stacking, job.spec.stackingShards.isEmpty, let settings = job.spec.stacking else { return job }
        let foldOfShard = Dictionary(uniqueKeysWithValues: data.foldShards.enumerated().flatMap { fold, shards in shards.map { ($0.id, fold) } })
        let binaryInputs = Set(objectives.filter { $0.value == .binary }.map(\.key))
        var inputs: [(name: String, values: [Double])] = []
        for model in settings.inputs {
            var values: [Double] = []
            values.reserveCapacity(data.rows)
            for shard in job.spec.trainShards + job.spec.evalShards {
                let sources: [String]
                if !settings.supervised.contains(model) {
                    sources = ["\(model)/full"]
                } else if let fold = foldOfShard[shard.id] {
                    sources = ["\(model)/fold\(fold)"]
                } else {
                    sources = data.foldShards.indices.map { "\(model)/fold\($0)" }
                }
                values.append(contentsOf: try meanPrediction(of: sources, shard: shard, ensemble: job.spec.model))
            }
            if binaryInputs.contains(model) {
                // A probability enters the meta-learner as its log-odds, where a linear model can weigh it.
                values = values.map { p in let q = min(max(p, 1e-7), 1 - 1e-7); return log(q / (1 - q)) }
            }
            inputs.append((model, values))
        }
        let reference = try settings.reference.map { name in
            try job.spec.evalShards.flatMap { try meanPrediction(of: ["\(name)/full"], shard: $0, ensemble: job.spec.model) }
        }
        let table = try StackingTable.make(trainFolds: job.spec.trainShards.flatMap { Array(repeating: foldOfShard[$0.id] ?? -1, count: $0.rows) },
                                           testRows: job.spec.evalShards.reduce(0) { $0 + $1.rows }, inputs: inputs,
                                           referenceTestPredictions: reference)
        var ready = job
        ready.spec.stackingShards = [try store.write(table)]
        return ready
    }

    /// The mean, row by row, of the named jobs' predictions for one shard.
    private func meanPrediction(of jobs: [String], shard: ShardRef, ensemble: String) throws -> [Double] {
        var sum = [Double](repeating: 0, count: shard.rows)
        for source in jobs {
            guard let slice = predictions[source]?[shard.id], slice.count == shard.rows else {
                throw JobError("ensemble \(ensemble): no prediction of \(source) for shard \(shard.id.prefix(12))")
            }
            for (i, value) in zip(sum.indices, slice) { sum[i] += value }
        }
        return sum.map { $0 / Double(jobs.count) }
    }

    func jobChanged(job: PlannedJob, status: JobStatus, attempt: Int, worker: String?, error: String?) {
        do {
            try registry.recordJob(runID: runID, jobID: job.id, model: job.spec.model, status: status, attempt: attempt,
                                   worker: worker, version: registered[job.id]?.version, error: error)
        } catch {
            journalErrors += 1
        }
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
