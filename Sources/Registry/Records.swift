import Dataset
import Foundation
import ModelZoo

/// How much one input feature mattered to a model version, measured several ways.
///
/// A measure the trainer did not compute (no SHAP for a neural model) is NaN.
public struct ImportanceRecord: Codable, Sendable, Equatable {
    public var feature: String
    public var gain: Double
    public var splits: Int
    public var permutation: Double
    public var meanAbsSHAP: Double

    public init(feature: String, gain: Double, splits: Int, permutation: Double, meanAbsSHAP: Double) {
        self.feature = feature
        self.gain = gain
        self.splits = splits
        self.permutation = permutation
        self.meanAbsSHAP = meanAbsSHAP
    }
}

/// Everything the coordinator knows about a freshly trained model, handed to
/// ``ModelRegistry/register(_:)`` which turns it into the next ``ModelVersion``.
public struct NewVersion: Sendable {
    public var model: String
    public var runID: String
    /// The algorithm family, e.g. `gbdt`, `ncf`, `iforest`, `stacking`.
    public var kind: ModelKind
    public var artifact: Data
    public var metrics: [MetricValue]
    public var importance: [ImportanceRecord]
    /// The training hyper-parameters as JSON text.
    public var parameters: String
    /// Named JSON documents (`profile`, `fairness`, `shap_summary`, …).
    public var reports: [String: String]
    public var datasetSHA256: String
    public var configSHA256: String
    public var shardIDs: [String]
    public var codeVersion: String
    public var worker: String
    public var trainSeconds: Double
    /// `binary`, `regression`, `quantile`, …: decides the primary metric promotion compares.
    public var objective: ModelObjective?
    /// The machine the worker ran on.
    public var host: String?
    /// When training started and finished on the worker.
    public var startedAt: Date?
    public var finishedAt: Date?
    /// Prohibited attributes present in the training data; a version with any is never promoted.
    public var prohibitedFeatures: [String]
    public var fairness: FairnessRecord?

    public init(
        model: String, runID: String, kind: ModelKind, artifact: Data,
        metrics: [MetricValue] = [], importance: [ImportanceRecord] = [],
        parameters: String = "{}", reports: [String: String] = [:],
        datasetSHA256: String, configSHA256: String, shardIDs: [String],
        codeVersion: String, worker: String, trainSeconds: Double,
        objective: ModelObjective? = nil, host: String? = nil, startedAt: Date? = nil, finishedAt: Date? = nil,
        prohibitedFeatures: [String] = [], fairness: FairnessRecord? = nil
    ) {
        self.model = model
        self.runID = runID
        self.kind = kind
        self.artifact = artifact
        self.metrics = metrics
        self.importance = importance
        self.parameters = parameters
        self.reports = reports
        self.datasetSHA256 = datasetSHA256
        self.configSHA256 = configSHA256
        self.shardIDs = shardIDs
        self.codeVersion = codeVersion
        self.worker = worker
        self.trainSeconds = trainSeconds
        self.objective = objective
        self.host = host
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.prohibitedFeatures = prohibitedFeatures
        self.fairness = fairness
    }
}

/// A registered, immutable version of a model with its lineage and metrics:
/// what `engage registry list` shows and what `engage predict` loads.
public struct ModelVersion: Codable, Sendable, Equatable {
    public var model: String
    public var version: Int
    public var runID: String
    public var kind: ModelKind
    /// Millisecond precision: the registry stores no finer.
    public var createdAt: Date
    public var artifactSHA256: String
    /// Relative to ``ModelRegistry/directory``: `artifacts/ab/cdef…`.
    public var artifactPath: String
    public var artifactBytes: Int
    public var datasetSHA256: String
    public var configSHA256: String
    public var shardIDs: [String]
    public var parameters: String
    public var codeVersion: String
    public var worker: String
    public var trainSeconds: Double
    /// `registered`, or `archived` once archived (kept for readers of the v1 schema; ``stage`` says more).
    public var status: String
    public var metrics: [MetricValue]
    /// Aliases (`champion`, `challenger`, …) currently pointing at this version.
    public var aliases: [String]
    public var stage: Stage
    public var objective: ModelObjective?
    public var host: String?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var prohibitedFeatures: [String]
    /// From the stored fairness report; nil when the version has none.
    public var fairnessVerdict: FairnessVerdict?
    public var minDisparateImpact: Double?

    public init(
        model: String, version: Int, runID: String, kind: ModelKind, createdAt: Date,
        artifactSHA256: String, artifactPath: String, artifactBytes: Int,
        datasetSHA256: String, configSHA256: String, shardIDs: [String], parameters: String,
        codeVersion: String, worker: String, trainSeconds: Double, status: String,
        metrics: [MetricValue], aliases: [String], stage: Stage = .none,
        objective: ModelObjective? = nil, host: String? = nil, startedAt: Date? = nil, finishedAt: Date? = nil,
        prohibitedFeatures: [String] = [], fairnessVerdict: FairnessVerdict? = nil, minDisparateImpact: Double? = nil
    ) {
        self.model = model
        self.version = version
        self.runID = runID
        self.kind = kind
        self.createdAt = createdAt
        self.artifactSHA256 = artifactSHA256
        self.artifactPath = artifactPath
        self.artifactBytes = artifactBytes
        self.datasetSHA256 = datasetSHA256
        self.configSHA256 = configSHA256
        self.shardIDs = shardIDs
        self.parameters = parameters
        self.codeVersion = codeVersion
        self.worker = worker
        self.trainSeconds = trainSeconds
        self.status = status
        self.metrics = metrics
        self.aliases = aliases
        self.stage = stage
        self.objective = objective
        self.host = host
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.prohibitedFeatures = prohibitedFeatures
        self.fairnessVerdict = fairnessVerdict
        self.minDisparateImpact = minDisparateImpact
    }

    /// `model@version`, the notation the CLI and error messages use.
    public var reference: String { "\(model)@\(version)" }

    /// The value of a metric, or nil when the version has none by that split and name.
    public func metric(_ name: String, split: String = "test") -> Double? {
        metrics.first { $0.split == split && $0.name == name }?.value
    }

    /// The encoder for `engage registry list --json`: sorted keys, ISO 8601 dates, undefined metrics as `null`.
    public static func jsonEncoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = EngageJSONEncoder(pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes])
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// The decoder matching ``jsonEncoder(pretty:)``.
    public static func jsonDecoder() -> JSONDecoder {
        let decoder = EngageJSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// One coordinator run in the journal, so that a restarted coordinator can tell
/// which run it was in the middle of.
public struct RunRecord: Codable, Sendable, Equatable {
    public var id: String
    public var configSHA256: String
    public var datasetSHA256: String
    public var startedAt: Date
    public var finishedAt: Date?
    /// `running` until ``ModelRegistry/finishRun(id:status:finishedAt:)`` sets the outcome.
    /// A coordinator that died leaves `running` behind; ``coordinatorPID`` tells whether it still lives.
    public var status: RunStatus
    /// How many times `engage run --resume` picked the run up again.
    public var resumes: Int
    /// The host and process id of the coordinator that last began or resumed the run (nil in older registries).
    public var coordinatorHost: String?
    public var coordinatorPID: Int?

    public init(id: String, configSHA256: String, datasetSHA256: String, startedAt: Date, finishedAt: Date?, status: RunStatus,
                resumes: Int = 0, coordinatorHost: String? = nil, coordinatorPID: Int? = nil) {
        self.id = id
        self.configSHA256 = configSHA256
        self.datasetSHA256 = datasetSHA256
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.resumes = resumes
        self.coordinatorHost = coordinatorHost
        self.coordinatorPID = coordinatorPID
    }
}

/// The last known state of one job of a run, so a restarted coordinator resumes
/// instead of redoing finished work.
public struct JobRecord: Codable, Sendable, Equatable {
    public var runID: String
    public var jobID: String
    public var model: String
    public var status: JobStatus
    public var attempt: Int
    public var worker: String?
    /// The registered version, once the job's result is in the registry.
    public var version: Int?
    public var error: String?
    public var updatedAt: Date
    /// The id of the content-addressed shard holding the job's predictions (its evaluated, then
    /// scored rows), written before the job was journaled done; nil before that or in older registries.
    public var predictions: String?
    /// The seconds its worker reported and the work units the scheduler estimated, once done (v6 on).
    public var seconds: Double?
    public var units: Double?

    public init(runID: String, jobID: String, model: String, status: JobStatus, attempt: Int, worker: String?, version: Int?, error: String?,
                updatedAt: Date, predictions: String? = nil, seconds: Double? = nil, units: Double? = nil) {
        self.seconds = seconds
        self.units = units
        self.runID = runID
        self.jobID = jobID
        self.model = model
        self.status = status
        self.attempt = attempt
        self.worker = worker
        self.version = version
        self.error = error
        self.updatedAt = updatedAt
        self.predictions = predictions
    }
}

/// One entry of the audit log: who did what to which model version, when, from
/// what to what, and why.
public struct RegistryEvent: Codable, Sendable, Equatable {
    public var id: Int64
    public var model: String
    public var version: Int?
    /// One of ``RegistryEvent/Action``'s raw values.
    public var action: String
    public var actor: String
    public var at: Date
    /// The state before the action: a stage (`none`, `staging`, …) or, for `alias` and `rollback`, a version number.
    public var from: String?
    /// The state after the action, in the same terms as ``from``.
    public var to: String?
    /// The person's reason (`--reason`), or for a refusal the failed gates.
    public var reason: String?
    /// JSON text with the particulars of the action.
    public var detail: String

    /// The kinds of audit-log entries.
    public enum Action: String, Codable, Sendable, CaseIterable {
        case registered, promoted, forced, refused, alias, rollback, archived
        /// A decision of `engage watch` about an inbox batch.
        case watch
    }

    public init(id: Int64, model: String, version: Int?, action: String, actor: String, at: Date,
                from: String? = nil, to: String? = nil, reason: String? = nil, detail: String) {
        self.id = id
        self.model = model
        self.version = version
        self.action = action
        self.actor = actor
        self.at = at
        self.from = from
        self.to = to
        self.reason = reason
        self.detail = detail
    }
}

/// The data-quality report of one run, as the coordinator's quality rules wrote it.
public struct RunQuality: Codable, Sendable, Equatable {
    public var runID: String
    public var errors: Int
    public var warnings: Int
    /// The findings as JSON text (rule, column, value, severity, message).
    public var body: String
    public var recordedAt: Date

    public init(runID: String, errors: Int, warnings: Int, body: String, recordedAt: Date) {
        self.runID = runID
        self.errors = errors
        self.warnings = warnings
        self.body = body
        self.recordedAt = recordedAt
    }
}
