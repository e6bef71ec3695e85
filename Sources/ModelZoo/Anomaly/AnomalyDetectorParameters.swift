/// How the isolation forest's and the autoencoder's scores become one statistic.
public enum ScoreCombination: String, Codable, Sendable, CaseIterable {
    /// The mean of the two training percentiles (the rank average).
    case rankAverage
    /// The sum of the two robust z-scores.
    case robustZSum
    /// The larger of the two robust z-scores: a row is as anomalous as its most alarmed
    /// detector. The default: on the generator's data it is the only rule whose AUC reached
    /// the better detector's (docs/models.md).
    case robustZMax

    var tag: UInt8 {
        switch self {
        case .rankAverage: return 0
        case .robustZSum: return 1
        case .robustZMax: return 2
        }
    }

    init?(tag: UInt8) {
        guard let found = Self.allCases.first(where: { $0.tag == tag }) else { return nil }
        self = found
    }
}

/// Settings of the combined anomaly detector: its two parts, how their scores combine, and the
/// expected share of anomalies, which sets the flag threshold.
///
/// Decoding accepts any subset of the keys, so configuration files only name what they change.
public struct AnomalyDetectorParameters: Codable, Sendable, Equatable {
    public var forest = IsolationForestParameters()
    public var autoencoder = AutoencoderParameters()
    public var combination = ScoreCombination.robustZMax
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
