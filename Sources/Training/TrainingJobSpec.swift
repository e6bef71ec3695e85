import ModelZoo
import Dataset
import Foundation

/// What one training job is asked to do: the model, its settings, and which shards to learn from
/// and evaluate on. The coordinator writes it; a worker (or `engage train`) carries it out.
public struct TrainingJobSpec: Codable, Sendable, Equatable {
    /// Why the job exists in the run's graph.
    public enum Role: Codable, Sendable, Equatable {
        /// Train on all training shards, evaluate on the test shards; becomes a registry version.
        case full
        /// Train on K−1 folds, predict the held-out fold (out-of-fold predictions for stacking).
        case fold(Int)
    }

    public var model: String
    public var kind: ModelKind
    public var objective: ModelObjective
    public var target: String
    /// Columns that are never features: ids, targets, sensitive attributes, evaluation-only labels.
    public var excludedColumns: [String]
    public var quantiles: [Double]
    public var parameters: GBDTParameters
    public var role: Role
    public var trainShards: [ShardRef]
    public var evalShards: [ShardRef]
    /// Sensitive attributes present in the data: never features, but the fairness report groups by them.
    public var sensitive: [String] = []
    /// Whether to attach a SHAP summary (per-feature mean |φ| and a sample of points) to the report.
    public var shapSummary = false
    /// Evaluation rows (the first N) used for permutation importance, and for mean |SHAP|
    /// (samples keep both cheap).
    public var permutationRows = TrainingJobSpec.defaultPermutationRows
    public var shapRows = TrainingJobSpec.defaultSHAPRows
    public static let defaultPermutationRows = 5_000
    public static let defaultSHAPRows = 2_000
    /// Settings of an anomaly job (kind `anomaly`).
    public var anomaly = AnomalyDetectorParameters()
    /// Rows the job predicts for without evaluating on them; their predictions follow the
    /// evaluation rows' (an unsupervised model's outputs for every customer, for the ensemble).
    public var scoreShards: [ShardRef] = []
    /// The item table of a recommender job (kind `ncf`).
    public var itemShards: [ShardRef] = []
    /// The base models' predictions of a stacking job (kind `stacking`): see `StackingTable`.
    public var stackingShards: [ShardRef] = []
    /// The run's training rows binned once (`BinnedShard`), for a GBDT job whose training shards it holds.
    public var binnedShard: ShardRef?
    /// Settings of a recommender job (kind `ncf`).
    public var recommender: RecommenderJobSettings?
    /// Settings of a stacking job (kind `stacking`).
    public var stacking: StackingJobSettings?
    /// The level of a text binary target that is the positive class (`--positive`, `positive:`).
    public var positiveLevel: String?
    /// The training rows' binary target levels, which `JobRunner` resolves before the runner reads labels.
    public var binaryLevels: BinaryLevels?

    public init(model: String, kind: ModelKind, objective: ModelObjective, target: String, excludedColumns: [String],
                quantiles: [Double], parameters: GBDTParameters, role: Role, trainShards: [ShardRef], evalShards: [ShardRef]) {
        self.model = model
        self.kind = kind
        self.objective = objective
        self.target = target
        self.excludedColumns = excludedColumns
        self.quantiles = quantiles
        self.parameters = parameters
        self.role = role
        self.trainShards = trainShards
        self.evalShards = evalShards
    }

    /// Every shard the job reads, each once, in a stable order.
    public var allShards: [ShardRef] {
        var seen = Set<String>()
        return (trainShards + evalShards + scoreShards + itemShards + stackingShards + (binnedShard.map { [$0] } ?? []))
            .filter { seen.insert($0.id).inserted }
    }

    /// The split name under which evaluation metrics are reported.
    public var evaluationSplit: String {
        switch role {
        case .full: return "test"
        case .fold: return "oof"
        }
    }
}

/// What a finished job reports beside its artifact: metrics, importance and the facts lineage needs.
public struct JobReport: Codable, Sendable, Equatable {
    public var model: String
    public var metrics: [MetricValue]
    public var importance: [FeatureImportance]
    public var features: [String]
    public var parameters: String
    public var trainRows: Int
    public var evalRows: Int
    public var trainSeconds: Double
    public var trees: Int
    /// Named JSON documents for the registry (e.g. `shap_summary`, `fairness`).
    public var reports: [String: String] = [:]
    /// Seconds spent fitting only (binning and boosting), without evaluation and explanations.
    public var fitSeconds: Double = 0
    /// Whether a GBDT job trained on the run's shared binned rows (`TrainingJobSpec.binnedShard`)
    /// instead of binning its own; nil for other kinds.
    public var sharedBins: Bool?
    /// A full job's central output on every training row, profiled as the registry's reference
    /// profile keeps it (`FeatureProfile.Numeric` with the default drift bins): the worker has
    /// these predictions from the fit already, so the coordinator need not score the rows again.
    public var trainingPrediction: FeatureProfile.Numeric?

    public init(model: String, metrics: [MetricValue], importance: [FeatureImportance], features: [String], parameters: String,
                trainRows: Int, evalRows: Int, trainSeconds: Double, trees: Int) {
        self.model = model
        self.metrics = metrics
        self.importance = importance
        self.features = features
        self.parameters = parameters
        self.trainRows = trainRows
        self.evalRows = evalRows
        self.trainSeconds = trainSeconds
        self.trees = trees
    }

    public func metric(_ name: String, split: String = "test") -> Double? {
        metrics.first { $0.name == name && $0.split == split }?.value
    }
}

/// A finished job: the artifact bytes, the report, and the evaluation rows' predictions.
public struct JobOutcome: Sendable {
    public var artifact: Data
    public var report: JobReport
    /// One prediction per evaluation row (for quantile models, the median).
    public var evalPredictions: [Double]
    /// One prediction per row of `JobInputs.scored`, in order.
    public var scoredPredictions: [Double] = []

    public init(artifact: Data, report: JobReport, evalPredictions: [Double], scoredPredictions: [Double] = []) {
        self.artifact = artifact
        self.report = report
        self.evalPredictions = evalPredictions
        self.scoredPredictions = scoredPredictions
    }
}

/// The tables a job works on, read from its shards by a worker or from CSV files by `engage train`.
public struct JobInputs: Sendable {
    /// The training rows (for a recommender: the interaction log).
    public var train: Table
    /// Rows to evaluate on (metrics) and predict for.
    public var eval: Table?
    /// Rows for early stopping and quantile calibration.
    public var validation: Table?
    /// Rows to predict for without metrics (`TrainingJobSpec.scoreShards`).
    public var scored: Table?
    /// A recommender's item table.
    public var items: Table?
    /// A stacking job's base-model predictions (`StackingTable`).
    public var stacking: Table?
    /// A GBDT job's shared binned training rows (`TrainingJobSpec.binnedShard`).
    public var binned: BinnedShard?

    public init(train: Table, eval: Table? = nil, validation: Table? = nil, scored: Table? = nil, items: Table? = nil, stacking: Table? = nil,
                binned: BinnedShard? = nil) {
        self.train = train
        self.eval = eval
        self.validation = validation
        self.scored = scored
        self.items = items
        self.stacking = stacking
        self.binned = binned
    }
}

/// Why a job could not be carried out.
public struct JobError: Error, CustomStringConvertible, LocalizedError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
