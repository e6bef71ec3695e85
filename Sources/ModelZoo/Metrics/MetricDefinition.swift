import Foundation

/// One metric name as jobs report it and the registry stores it, with the way round it reads
/// and, where it is a plain function of labels and predictions, how it is computed. The runners,
/// early stopping, promotion, `compare`, `--where` and the report all take names from here, so
/// a metric has one spelling (`logloss`, never `log_loss`).
public struct MetricDefinition: Sendable, CustomStringConvertible {
    public let name: String
    /// Nil for a number with no better direction: a count, a share, interval coverage (best at
    /// its nominal level, not at 0 or 1).
    public let direction: MetricDirection?
    /// The metric of labels and predictions (probabilities or scores where it ranks); nil where
    /// the number needs more than that (flags, intervals, rankings, another model).
    public let evaluate: (@Sendable (_ labels: [Double], _ predictions: [Double]) -> Double)?

    init(_ name: String, _ direction: MetricDirection?,
         evaluate: (@Sendable (_ labels: [Double], _ predictions: [Double]) -> Double)? = nil) {
        self.name = name
        self.direction = direction
        self.evaluate = evaluate
    }

    public var description: String { name }

    /// The value of this plain metric on `labels` and `predictions`, as the registry stores it.
    public func measure(split: String, labels: [Double], predictions: [Double]) -> MetricValue {
        guard let evaluate else { preconditionFailure("\(name) is not a function of labels and predictions") }
        return MetricValue(split: split, name: name, value: evaluate(labels, predictions))
    }

    public static let auc = MetricDefinition("auc", .higherIsBetter) { Metrics.auc(labels: $0, scores: $1) }
    public static let logLoss = MetricDefinition("logloss", .lowerIsBetter) { Metrics.logLoss(labels: $0, probabilities: $1) }
    public static let accuracy = MetricDefinition("accuracy", .higherIsBetter) { Metrics.accuracy(labels: $0, probabilities: $1) }
    public static let r2 = MetricDefinition("r2", .higherIsBetter) { Metrics.r2(labels: $0, predictions: $1) }
    public static let rmse = MetricDefinition("rmse", .lowerIsBetter) { Metrics.rmse(labels: $0, predictions: $1) }
    public static let mae = MetricDefinition("mae", .lowerIsBetter) { Metrics.mae(labels: $0, predictions: $1) }
    /// The share of evaluated rows an anomaly detector flags.
    public static let flaggedShare = MetricDefinition("flagged_share", nil)
    /// The share of flagged rows that are labelled anomalous.
    public static let flagPrecision = MetricDefinition("flag_precision", .higherIsBetter)
    /// A stacking ensemble's reference model's test AUC, and how far the ensemble beats it.
    public static let referenceAUC = MetricDefinition("reference_auc", .higherIsBetter)
    public static let aucLift = MetricDefinition("auc_lift", .higherIsBetter)
    /// How many users a recommender was evaluated on.
    public static let evaluatedUsers = MetricDefinition("evaluated_users", nil)

    /// Mean pinball loss at quantile `alpha`: `pinball_p10`.
    public static func pinball(alpha: Double) -> MetricDefinition {
        MetricDefinition(MetricFamily.pinball.member(quantile(alpha)), .lowerIsBetter) { Metrics.pinball(labels: $0, predictions: $1, alpha: alpha) }
    }

    /// The share of labels inside the interval between quantiles `low` and `high`: `coverage_p10_p90`.
    public static func coverage(low: Double, high: Double) -> MetricDefinition {
        MetricDefinition(MetricFamily.coverage.member(quantile(low) + "_" + quantile(high)), nil)
    }

    /// The AUC of one input or component of a model (`auc_churn`, `auc_isolation_forest`).
    public static func inputAUC(_ input: String) -> MetricDefinition {
        MetricDefinition(MetricFamily.inputAUC.member(input), .higherIsBetter) { Metrics.auc(labels: $0, scores: $1) }
    }

    /// Hit rate and NDCG of top-`k` lists, for NeuMF or, behind its prefix, a baseline.
    public static func hitRate(k: Int, of baseline: RankingBaseline? = nil) -> MetricDefinition {
        MetricDefinition((baseline?.prefix ?? "") + MetricFamily.hitRate.member(String(k)), .higherIsBetter)
    }

    public static func ndcg(k: Int, of baseline: RankingBaseline? = nil) -> MetricDefinition {
        MetricDefinition((baseline?.prefix ?? "") + MetricFamily.ndcg.member(String(k)), .higherIsBetter)
    }

    /// The single-named metrics; ``MetricFamily/all`` holds the rules for the others.
    public static let named: [MetricDefinition] = [
        .auc, .logLoss, .accuracy, .r2, .rmse, .mae, .flaggedShare, .flagPrecision, .referenceAUC, .aucLift, .evaluatedUsers,
    ]

    /// The definition of a stored metric name, or nil for a name no job reports.
    public static func of(_ name: String) -> MetricDefinition? {
        if let found = named.first(where: { $0.name == name }) { return found }
        if let family = MetricFamily.all.first(where: { $0.contains(name) }) { return MetricDefinition(name, family.direction) }
        for baseline in RankingBaseline.allCases where name.hasPrefix(baseline.prefix) {
            let base = String(name.dropFirst(baseline.prefix.count))
            if [MetricFamily.hitRate, .ndcg].contains(where: { $0.contains(base) }) { return MetricDefinition(name, .higherIsBetter) }
        }
        return nil
    }

    /// What a `--where` expression or a promotion gate says about a name not in the table.
    public static func unknown(_ name: String) -> String {
        "'\(name)' is not a metric that jobs report (such as auc, logloss, r2, pinball_p50)"
    }

    /// `p10` for the 0.1 quantile.
    private static func quantile(_ alpha: Double) -> String {
        String(format: "p%02d", Int((alpha * 100).rounded()))
    }
}

/// The rule for a family of metric names that share a prefix and differ in a suffix (a quantile,
/// a cut-off, an input's name), so that checking a name is one lookup, not string tests at each use.
public struct MetricFamily: Sendable {
    public let prefix: String
    public let direction: MetricDirection?
    let suffix: Suffix

    /// What may follow the prefix.
    enum Suffix {
        /// `p` and two digits per quantile, `_` between them.
        case quantiles(Int)
        /// A positive whole number.
        case cutoff
        /// Any non-empty name.
        case label
    }

    public static let pinball = MetricFamily(prefix: "pinball_", direction: .lowerIsBetter, suffix: .quantiles(1))
    public static let coverage = MetricFamily(prefix: "coverage_", direction: nil, suffix: .quantiles(2))
    public static let inputAUC = MetricFamily(prefix: "auc_", direction: .higherIsBetter, suffix: .label)
    public static let hitRate = MetricFamily(prefix: "hr@", direction: .higherIsBetter, suffix: .cutoff)
    public static let ndcg = MetricFamily(prefix: "ndcg@", direction: .higherIsBetter, suffix: .cutoff)
    public static let all: [MetricFamily] = [.pinball, .coverage, .inputAUC, .hitRate, .ndcg]

    func member(_ suffix: String) -> String { prefix + suffix }

    /// Whether `name` is one of this family's names.
    public func contains(_ name: String) -> Bool {
        guard name.hasPrefix(prefix) else { return false }
        let rest = name.dropFirst(prefix.count)
        switch suffix {
        case .quantiles(let count):
            let parts = rest.split(separator: "_", omittingEmptySubsequences: false)
            return parts.count == count && parts.allSatisfy { $0.count == 3 && $0.first == "p" && $0.dropFirst().allSatisfy(\.isASCIIDigit) }
        case .cutoff:
            return !rest.isEmpty && rest.allSatisfy(\.isASCIIDigit) && rest.first != "0"
        case .label:
            return !rest.isEmpty
        }
    }
}

/// The recommender baselines trained beside NeuMF; their ranking metrics carry the baseline's
/// prefix (`popularity_hr@10`, `mf_ndcg@10`).
public enum RankingBaseline: String, Sendable, CaseIterable {
    case popularity
    case matrixFactorization = "mf"

    public var prefix: String { rawValue + "_" }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
