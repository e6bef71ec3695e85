import Foundation
import ModelZoo
import Registry

/// Turns accepted job results into registry versions and keeps the run journal current.
final class RegistrySink: ResultSink {
    let registry: ModelRegistry
    let runID: String
    let data: PreparedData
    let configSHA256: String
    private(set) var registered: [String: ModelVersion] = [:]
    /// Evaluation-row predictions of every finished job, in its evaluation shards' order (the ensemble's inputs).
    private(set) var predictions: [String: [Double]] = [:]
    private(set) var journalErrors = 0

    init(registry: ModelRegistry, runID: String, data: PreparedData, configSHA256: String) {
        self.registry = registry
        self.runID = runID
        self.data = data
        self.configSHA256 = configSHA256
    }

    func accept(job: PlannedJob, attempt: Int, worker: String, report: TaskReport, result: ResultPayload) throws -> String {
        let expected = job.spec.evalShards.reduce(0) { $0 + $1.rows }
        guard result.predictions.count == expected else {
            throw TaskError("the result holds \(result.predictions.count) predictions for \(expected) evaluation rows")
        }
        predictions[job.id] = result.predictions
        guard case .full = job.spec.role else { return "out-of-fold predictions" }
        let artifact = result.artifact
        guard !artifact.isEmpty else { throw TaskError("the result carries no artifact") }
        var version = NewVersion(
            model: job.spec.model, runID: runID, kind: job.spec.kind, artifact: artifact,
            metrics: report.metrics.map { MetricRecord(split: $0.split, name: $0.name, value: $0.value) },
            importance: report.importance.map {
                ImportanceRecord(feature: $0.feature, gain: $0.gain, splits: $0.splits, permutation: $0.permutation, meanAbsSHAP: $0.meanAbsSHAP)
            },
            parameters: report.parameters,
            reports: report.reports.merging(["training": RegistrySink.json(TrainingFacts(report: report, attempt: attempt, job: job))]) { _, facts in facts },
            datasetSHA256: data.datasetSHA256, configSHA256: configSHA256, shardIDs: job.shardIDs,
            codeVersion: EngageVersion.current, worker: worker, trainSeconds: report.trainSeconds)
        version.objective = job.spec.objective.rawValue
        version.host = worker.split(separator: "@").last.map(String.init)
        version.finishedAt = Date()
        version.startedAt = Date().addingTimeInterval(-report.trainSeconds)
        if let json = report.reports[FairnessReport.registryName] {
            version.fairness = FairnessRecord(report: try FairnessReport.decode(json: json), json: json)
        }
        let stored = try registry.register(version)
        registered[job.id] = stored
        return stored.reference
    }

    func jobChanged(job: PlannedJob, status: String, attempt: Int, worker: String?, error: String?) {
        do {
            try registry.recordJob(runID: runID, jobID: job.id, model: job.spec.model, status: status, attempt: attempt,
                                   worker: worker, version: registered[job.id]?.version, error: error)
        } catch {
            journalErrors += 1
        }
    }

    /// Job ids the journal already holds as done for this run (a resumed run skips them).
    static func doneJobs(registry: ModelRegistry, runID: String) throws -> Set<String> {
        Set(try registry.jobs(runID: runID).filter { $0.status == "done" }.map(\.jobID))
    }

    private struct TrainingFacts: Encodable {
        let features: [String]
        let trainRows: Int
        let evalRows: Int
        let trees: Int
        let attempt: Int
        let jobID: String
        let trainShards: [String]
        let evalShards: [String]
        init(report: TaskReport, attempt: Int, job: PlannedJob) {
            features = report.features
            trainRows = report.trainRows
            evalRows = report.evalRows
            trees = report.trees
            self.attempt = attempt
            jobID = job.id
            trainShards = job.spec.trainShards.map(\.id)
            evalShards = job.spec.evalShards.map(\.id)
        }
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
