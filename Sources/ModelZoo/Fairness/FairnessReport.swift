import Dataset
import Foundation

/// The fairness report of one model version: the section for the model's kind, the proxy
/// features found in its training data, and one verdict.
///
/// Exists as the single document the registry stores (as the report named `fairness`),
/// promotion gates read and `engage fairness --json` prints. Values that are undefined
/// (a ratio of 0/0, the AUC of a one-class group) are absent from the JSON rather than NaN.
public struct FairnessReport: Codable, Sendable, Equatable {
    /// The registry's name for this report.
    public static let registryName = "fairness"

    public var classifier: ClassifierFairnessReport?
    public var regressor: RegressionFairnessReport?
    public var recommender: RecommenderFairnessReport?
    public var proxies: [ProxyFinding]
    /// The lowest disparate impact (or hit-rate ratio, for the recommender) over all sections.
    public var worstDisparateImpact: Double?
    /// `fail` when any section fails the four-fifths rule.
    public var verdict: FourFifthsVerdict

    public init(classifier: ClassifierFairnessReport? = nil, regressor: RegressionFairnessReport? = nil,
                recommender: RecommenderFairnessReport? = nil, proxies: [ProxyFinding] = []) {
        self.classifier = classifier
        self.regressor = regressor
        self.recommender = recommender
        self.proxies = proxies
        worstDisparateImpact = [classifier?.worstDisparateImpact, regressor?.worstDisparateImpact, recommender?.worstHitRateRatio]
            .compactMap { $0 }.min()
        verdict = FourFifthsVerdict.combining([classifier?.verdict, regressor?.verdict, recommender?.verdict].compactMap { $0 })
    }

    /// The report as JSON with sorted keys (pretty-printed when asked).
    public func json(pretty: Bool = false) throws -> String {
        let encoder = EngageJSONEncoder(pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys])
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public static func decode(json: String) throws -> FairnessReport {
        try EngageJSONDecoder().decode(FairnessReport.self, from: Data(json.utf8))
    }
}
