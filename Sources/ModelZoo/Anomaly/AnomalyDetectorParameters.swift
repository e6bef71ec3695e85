/// How the isolation forest's and the autoencoder's scores become one statistic.
public enum ScoreCombination: String, Codable, Sendable, CaseIterable {
    /// The mean of the two training percentiles (the rank average).
    case rankAverage
    /// The sum of the two robust z-scores.
    case robustZSum
    /// The larger of the two robust z-scores: a row is as anomalous as its most alarmed detector.
    case robustZMax
    /// The autoencoder's robust z-score alone.
    case autoencoderOnly
    /// The isolation forest's robust z-score alone.
    case forestOnly
    /// Chosen when the detector is fitted, from the training rows alone: a part whose robust
    /// z-scores separate the expected anomalies from the bulk at least `SeparationGate.ratio`
    /// times as sharply as the other part's scores alone; otherwise `robustZMax`. The default
    /// before `byAgreement`; kept for configurations that name it. A fitted detector never holds it.
    case bySeparation
    /// Chosen when the detector is fitted, from the training rows alone: `autoencoderOnly` when the
    /// forest confirms the autoencoder's top tail by at least `TailAgreement.margin` more than the
    /// autoencoder confirms the forest's; otherwise `forestOnly`. The default (docs/models.md: the
    /// real and generated benchmarks behind it). A fitted detector never holds this rule.
    case byAgreement

    /// The rules a fitted detector can hold.
    static let fitted: [ScoreCombination] = [.rankAverage, .robustZSum, .robustZMax, .autoencoderOnly, .forestOnly]

    var tag: UInt8 {
        switch self {
        case .rankAverage: return 0
        case .robustZSum: return 1
        case .robustZMax: return 2
        case .autoencoderOnly: return 3
        case .forestOnly: return 4
        case .bySeparation: return 255
        case .byAgreement: return 254
        }
    }

    /// Whether the rule is resolved into a fitted one when the detector is fitted.
    var isFitTimeGate: Bool { self == .bySeparation || self == .byAgreement }

    init?(tag: UInt8) {
        guard let found = Self.fitted.first(where: { $0.tag == tag }) else { return nil }
        self = found
    }
}

/// How sharply a detector's scores single out the expected anomalies, and the rule that turns
/// two such measures into a combination.
///
/// A detector that finds the anomalies puts the top `contamination` share of rows far above the
/// rest; one that does not shows a smooth tail. The separation is the distance, in robust
/// standard deviations, from the (1 − 2c) quantile of the training z-scores (the edge of the
/// bulk) to their (1 − c/2) quantile (the middle of the expected anomalies). Only training
/// scores and the stated contamination enter: no label.
public enum SeparationGate {
    /// How many times sharper one part must separate before the other is left out.
    public static let ratio = 2.0

    /// The separation of one part's robust z-scores at contamination `c`.
    public static func separation(sortedZ: [Double], contamination c: Double) -> Double {
        guard !sortedZ.isEmpty else { return 0 }
        return Quantiles.sortedLinear(sortedZ, 1 - c / 2) - Quantiles.sortedLinear(sortedZ, max(0, 1 - 2 * c))
    }

    /// `autoencoderOnly` or `forestOnly` when that part's separation is positive and at least
    /// `ratio` times the other's; `robustZMax` otherwise.
    public static func choose(forest: Double, autoencoder: Double) -> ScoreCombination {
        if autoencoder > 0, autoencoder >= ratio * max(forest, 0) { return .autoencoderOnly }
        if forest > 0, forest >= ratio * max(autoencoder, 0) { return .forestOnly }
        return .robustZMax
    }
}

/// Which part to trust, judged by how each part's top tail looks to the other part.
///
/// A part whose highest-scored rows are real anomalies has them confirmed by the other part: the
/// other ranks them high too. A part that ranks its own artefacts first (an autoencoder's largest
/// reconstruction errors on skewed or discrete columns, which are not anomalies) has them
/// confirmed less. The confirmation of a part is the mean training percentile that the other
/// part gives to the part's top `contamination` share of training rows (at least `minimumRows`).
/// Only training scores and the stated contamination enter: no label. The isolation forest is
/// the default part; the autoencoder replaces it only on clearly stronger confirmation.
public enum TailAgreement {
    /// How much better confirmed the autoencoder's tail must be before it replaces the forest.
    public static let margin = 0.03
    /// The fewest top rows a confirmation averages over, for small tables.
    public static let minimumRows = 10

    /// The mean of `otherPercentiles` over the rows with the largest `scores` (ties: lower row first).
    public static func confirmation(of scores: [Double], by otherPercentiles: [Double], contamination c: Double) -> Double {
        precondition(scores.count == otherPercentiles.count, "one percentile per row")
        guard !scores.isEmpty else { return 0 }
        let count = min(scores.count, max(minimumRows, Int((c * Double(scores.count)).rounded())))
        let key = scores.map { $0.isNaN ? -Double.infinity : $0 }
        let order = key.indices.sorted { key[$0] > key[$1] || (key[$0] == key[$1] && $0 < $1) }
        var sum = 0.0
        for row in order.prefix(count) { sum += otherPercentiles[row] }
        return sum / Double(count)
    }

    /// `autoencoderOnly` when the autoencoder's confirmation exceeds the forest's by `margin`;
    /// `forestOnly` otherwise.
    public static func choose(forestConfirmation: Double, autoencoderConfirmation: Double) -> ScoreCombination {
        autoencoderConfirmation - forestConfirmation >= margin ? .autoencoderOnly : .forestOnly
    }
}

/// Settings of the combined anomaly detector: its two parts, how their scores combine, and the
/// expected share of anomalies, which sets the flag threshold.
///
/// Decoding accepts any subset of the keys, so configuration files only name what they change.
public struct AnomalyDetectorParameters: Codable, Sendable, Equatable {
    public var forest = IsolationForestParameters()
    public var autoencoder = AutoencoderParameters()
    public var combination = ScoreCombination.byAgreement
    /// Expected share of anomalies: the top this share of training rows by score are flagged.
    public var contamination = 0.01
    /// Threads for both parts; 0 = all cores. Overrides the parts' own setting.
    public var threads = 0
    /// Seeds both parts (the autoencoder with a derived seed). Overrides the parts' own setting.
    public var seed: UInt64 = 0

    public init() {}

    private enum CodingKeys: String, CodingKey { case forest, autoencoder, combination, contamination, threads, seed }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        forest = try c.decodeIfPresent(IsolationForestParameters.self, forKey: .forest) ?? forest
        autoencoder = try c.decodeIfPresent(AutoencoderParameters.self, forKey: .autoencoder) ?? autoencoder
        combination = try c.decodeIfPresent(ScoreCombination.self, forKey: .combination) ?? combination
        contamination = try c.decodeIfPresent(Double.self, forKey: .contamination) ?? contamination
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? threads
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
    }

    /// Throws `AnomalyError.invalidParameter` for the first value outside its domain.
    public func validate() throws {
        try AnomalyError.check(contamination > 0 && contamination < 0.5, "contamination", contamination, "must be in (0, 0.5)")
        try AnomalyError.check(threads >= 0, "threads", threads, "must be non-negative (0 = all cores)")
        try resolvedForest.validate()
        try resolvedAutoencoder.validate()
    }

    var resolvedForest: IsolationForestParameters {
        var p = forest
        p.threads = threads
        p.seed = seed
        return p
    }

    var resolvedAutoencoder: AutoencoderParameters {
        var p = autoencoder
        p.threads = threads
        p.seed = seed ^ 0x6175_746F_656E_636F
        return p
    }
}
