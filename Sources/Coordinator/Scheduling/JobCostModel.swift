import Dataset
import Foundation
import ModelZoo
import Training

/// How long a job should take, in seconds of one worker, so that the scheduler can hand out the
/// longest jobs first and the workers finish together.
///
/// A job's work is counted in units that grow with what it computes (``units(of:)``); a rate turns
/// units into seconds. Each kind has a default rate, measured on the shipped pipeline on a 2-core
/// host, with a fixed part for what every job pays whatever its size; a model's own rate, measured
/// by its jobs of an earlier run (the journal keeps each job's seconds and units), replaces it, so
/// that the estimates follow the host and the data.
public struct JobCostModel: Sendable, Equatable {
    /// Seconds = `fixed` + `perUnit` × units.
    public struct Rate: Sendable, Equatable {
        public var fixed: Double
        public var perUnit: Double

        public init(fixed: Double, perUnit: Double) {
            self.fixed = fixed
            self.perUnit = perUnit
        }

        public func seconds(_ units: Double) -> Double { fixed + perUnit * units }
    }

    /// Which rate a job follows: its model's, told apart by role, since a full job also explains
    /// and evaluates and a fold job does not.
    public struct RateKey: Hashable, Sendable {
        public var model: String
        public var full: Bool

        public init(model: String, full: Bool) {
            self.model = model
            self.full = full
        }
    }

    public var defaults: [ModelKind: Rate]
    /// Rates measured by earlier runs, which take precedence over the kind's default.
    public var measured: [RateKey: Rate]

    /// Calibrated on `engage run --config cluster.yaml` (100K customers, 2 workers on 2 cores):
    /// the per-unit rates of its fold jobs, recommender, anomaly and ensemble jobs, scaled to the
    /// run's unloaded 139 worker-seconds (docs/benchmarks.md, "Shared bins and cost-packed scheduling").
    public static let shippedDefaults: [ModelKind: Rate] = [
        .gbdt: Rate(fixed: 0.3, perUnit: 4.0e-8),
        .anomaly: Rate(fixed: 0.5, perUnit: 1.6e-7),
        .ncf: Rate(fixed: 1.0, perUnit: 2.9e-6),
        .stacking: Rate(fixed: 2.0, perUnit: 1.0e-6),
    ]

    public init(defaults: [ModelKind: Rate] = JobCostModel.shippedDefaults, measured: [RateKey: Rate] = [:]) {
        self.defaults = defaults
        self.measured = measured
    }

    /// The work of a job, in units of its kind:
    /// - GBDT: training rows × trees × models (three for a quantile set) × features / 10, plus the
    ///   explanations of a full job (SHAP rows × trees × leaves × 4 + permutation rows × trees × features / 10);
    /// - anomaly: rows trained and scored × (forest trees + 10 × autoencoder epochs);
    /// - NCF: interactions × epochs × (1 + negatives);
    /// - stacking: rows of its base-prediction table (training plus test rows) × inputs.
    public static func units(of spec: TrainingJobSpec, features: Int) -> Double {
        func rows(_ shards: [ShardRef]) -> Double { Double(shards.reduce(0) { $0 + $1.rows }) }
        switch spec.kind {
        case .gbdt:
            let models = spec.objective == .quantile ? Double(max(1, spec.quantiles.count)) : 1
            let trees = Double(spec.parameters.trees)
            let boosting = rows(spec.trainShards) * trees * models * Double(max(1, features)) / 10
            // TreeSHAP walks every leaf of every tree per explained row; permutation scores each feature's shuffle.
            let explained = Double(spec.shapRows) * trees * Double(spec.parameters.leaves) * 4
                + Double(spec.permutationRows) * trees * Double(max(1, features)) / 10
            return boosting + explained
        case .anomaly:
            let a = spec.anomaly
            return (rows(spec.trainShards) + rows(spec.evalShards) + rows(spec.scoreShards)) * Double(a.forest.trees + 10 * a.autoencoder.epochs)
        case .ncf:
            let p = (spec.recommender ?? RecommenderJobSettings()).parameters
            return rows(spec.trainShards) * Double(p.epochs) * Double(1 + p.negatives)
        case .stacking:
            return (rows(spec.trainShards) + rows(spec.evalShards)) * Double(max(1, spec.stacking?.inputs.count ?? 1))
        }
    }

    public static func rateKey(of spec: TrainingJobSpec) -> RateKey {
        if case .full = spec.role { return RateKey(model: spec.model, full: true) }
        return RateKey(model: spec.model, full: false)
    }

    /// The expected seconds of a job of `units`.
    public func seconds(of spec: TrainingJobSpec, units: Double) -> Double {
        let rate = measured[Self.rateKey(of: spec)] ?? defaults[spec.kind] ?? Rate(fixed: 1, perUnit: 0)
        return rate.seconds(units)
    }

    /// One finished job of an earlier run: what it was, its units, and the seconds its worker reported.
    public struct Observation: Sendable, Equatable {
        public var key: RateKey
        public var units: Double
        public var seconds: Double

        public init(key: RateKey, units: Double, seconds: Double) {
            self.key = key
            self.units = units
            self.seconds = seconds
        }
    }

    /// Rates learned from observations: per key, the median seconds per unit (the fixed part stays
    /// the kind's), so one slow or fast outlier does not skew a model's estimate.
    public func learning(from observations: [Observation], kinds: [String: ModelKind]) -> JobCostModel {
        var byKey: [RateKey: [Observation]] = [:]
        for o in observations where o.units > 0 && o.seconds.isFinite && o.seconds > 0 { byKey[o.key, default: []].append(o) }
        var learned = measured
        for (key, seen) in byKey {
            let fixed = kinds[key.model].flatMap { defaults[$0]?.fixed } ?? 0
            let perUnit = seen.map { max(0, $0.seconds - fixed) / $0.units }.sorted()
            let middle = perUnit.count / 2
            learned[key] = Rate(fixed: fixed, perUnit: perUnit.count % 2 == 1 ? perUnit[middle] : (perUnit[middle - 1] + perUnit[middle]) / 2)
        }
        return JobCostModel(defaults: defaults, measured: learned)
    }
}
