import Foundation

/// The anomaly model: an isolation forest and an autoencoder, each score put on a robust
/// scale, combined into one statistic and calibrated to a percentile of the training rows.
///
/// Exists because the two detectors fail differently (the forest misses rows that are odd
/// only in how features relate; the autoencoder can learn to reproduce frequent oddities),
/// and because callers need one number in [0, 1] plus a yes/no flag at a stated
/// contamination rate.
public struct AnomalyDetector: Sendable, Equatable {
    public let forest: IsolationForest
    public let autoencoder: Autoencoder
    public let forestScale: RobustScale
    public let autoencoderScale: RobustScale
    /// Training percentiles of each part's raw score (the rank-average rule uses them).
    public let forestCalibrator: ScoreCalibrator
    public let autoencoderCalibrator: ScoreCalibrator
    public let combination: ScoreCombination
    /// Training percentiles of the combined statistic: the final score.
    public let calibrator: ScoreCalibrator
    public let contamination: Double
    /// Rows whose score is above this are flagged: the (1 − contamination) percentile of the
    /// training rows' scores.
    public let threshold: Double

    public init(forest: IsolationForest, autoencoder: Autoencoder, forestScale: RobustScale, autoencoderScale: RobustScale,
                forestCalibrator: ScoreCalibrator, autoencoderCalibrator: ScoreCalibrator, combination: ScoreCombination,
                calibrator: ScoreCalibrator, contamination: Double, threshold: Double) throws {
        guard contamination > 0 && contamination < 0.5 else {
            throw AnomalyError.invalidModel("contamination \(contamination) is outside (0, 0.5)")
        }
        guard !combination.isFitTimeGate else {
            throw AnomalyError.invalidModel("a fitted detector holds the combination rule chosen at training, not \(combination.rawValue)")
        }
        guard threshold >= 0 && threshold <= 1 else { throw AnomalyError.invalidModel("threshold \(threshold) is outside [0, 1]") }
        guard Set(forest.featureNames) == Set(autoencoder.featureNames) else {
            throw AnomalyError.invalidModel("the forest and the autoencoder use different features")
        }
        self.forest = forest
        self.autoencoder = autoencoder
        self.forestScale = forestScale
        self.autoencoderScale = autoencoderScale
        self.forestCalibrator = forestCalibrator
        self.autoencoderCalibrator = autoencoderCalibrator
        self.combination = combination
        self.calibrator = calibrator
        self.contamination = contamination
        self.threshold = threshold
    }

    public var featureNames: [String] { forest.featureNames }

    /// Scores of every row: the final score in [0, 1] (higher is more anomalous), the flag, and
    /// each part's raw score. `threads` = 0 uses all cores; the result does not depend on it.
    public func evaluate(_ x: FeatureMatrix, threads: Int = 0) throws -> AnomalyScores {
        let forestScores = try forest.score(x, threads: threads)
        let errors = try autoencoder.reconstructionError(x, threads: threads)
        let score = (0..<x.rowCount).map { calibrator(statistic(forest: forestScores[$0], autoencoder: errors[$0])) }
        return AnomalyScores(score: score, flag: score.map { $0 > threshold }, forest: forestScores, autoencoder: errors)
    }

    /// The final score of every row, in [0, 1]: higher is more anomalous.
    public func score(_ x: FeatureMatrix, threads: Int = 0) throws -> [Double] {
        try evaluate(x, threads: threads).score
    }

    /// Whether each row's score is above the contamination threshold.
    public func flag(_ x: FeatureMatrix, threads: Int = 0) throws -> [Bool] {
        try evaluate(x, threads: threads).flag
    }

    /// The combined statistic before calibration.
    func statistic(forest s: Double, autoencoder e: Double) -> Double {
        Self.combine(combination, forest: s, autoencoder: e, forestScale: forestScale, autoencoderScale: autoencoderScale,
                     forestCalibrator: forestCalibrator, autoencoderCalibrator: autoencoderCalibrator)
    }

    static func combine(_ rule: ScoreCombination, forest s: Double, autoencoder e: Double, forestScale: RobustScale,
                        autoencoderScale: RobustScale, forestCalibrator: ScoreCalibrator,
                        autoencoderCalibrator: ScoreCalibrator) -> Double {
        switch rule {
        case .rankAverage: return (forestCalibrator(s) + autoencoderCalibrator(e)) / 2
        case .robustZSum: return forestScale.z(s) + autoencoderScale.z(e)
        case .robustZMax, .bySeparation: return max(forestScale.z(s), autoencoderScale.z(e))
        case .autoencoderOnly: return autoencoderScale.z(e)
        case .forestOnly, .byAgreement: return forestScale.z(s)
        }
    }
}

/// What `AnomalyDetector.evaluate` returns, row by row.
public struct AnomalyScores: Sendable, Equatable {
    /// In [0, 1], higher is more anomalous: the calibrated combined statistic.
    public let score: [Double]
    /// `score > threshold`.
    public let flag: [Bool]
    /// The isolation forest's score 2^(−E[h]/c(ψ)).
    public let forest: [Double]
    /// The autoencoder's mean squared reconstruction error.
    public let autoencoder: [Double]
}
