import Foundation

/// Fits an `AnomalyDetector`: both parts on the same rows, then the robust scales, the
/// percentile calibrations and the contamination threshold from those rows' scores.
public struct AnomalyDetectorTrainer: Sendable {
    public let parameters: AnomalyDetectorParameters

    public init(parameters: AnomalyDetectorParameters = AnomalyDetectorParameters()) {
        self.parameters = parameters
    }

    /// `progress(epoch, loss)` reports the autoencoder's epochs.
    public func fit(_ x: FeatureMatrix, progress: ((Int, Double) -> Void)? = nil) throws -> AnomalyDetector {
        try fitWithReport(x, progress: progress).detector
    }

    /// The detector and how long each part took, for reports and benchmarks (the isolation
    /// forest's fit + score time is what compares with scikit-learn's IsolationForest).
    public func fitWithReport(_ x: FeatureMatrix, progress: ((Int, Double) -> Void)? = nil) throws
        -> (detector: AnomalyDetector, report: AnomalyTrainingReport) {
        try parameters.validate()
        let clock = ContinuousClock()
        let start = clock.now
        let forest = try IsolationForestTrainer(parameters: parameters.resolvedForest).fit(x)
        let forestFitted = clock.now
        let forestScores = try forest.score(x, threads: parameters.threads)
        let forestScored = clock.now
        let autoencoder = try AutoencoderTrainer(parameters: parameters.resolvedAutoencoder).fit(x, progress: progress)
        let autoencoderFitted = clock.now
        let errors = try autoencoder.reconstructionError(x, threads: parameters.threads)
        let autoencoderScored = clock.now
        let forestScale = RobustScale(fitting: forestScores)
        let autoencoderScale = RobustScale(fitting: errors)
        let forestCalibrator = ScoreCalibrator(fitting: forestScores, scale: forestScale.spread)
        let autoencoderCalibrator = ScoreCalibrator(fitting: errors, scale: autoencoderScale.spread)
        let forestSeparation = SeparationGate.separation(sortedZ: forestScores.map(forestScale.z).sorted(),
                                                         contamination: parameters.contamination)
        let autoencoderSeparation = SeparationGate.separation(sortedZ: errors.map(autoencoderScale.z).sorted(),
                                                              contamination: parameters.contamination)
        let forestPercentiles = forestScores.map { forestCalibrator($0) }
        let autoencoderPercentiles = errors.map { autoencoderCalibrator($0) }
        let forestConfirmation = TailAgreement.confirmation(of: forestScores, by: autoencoderPercentiles,
                                                            contamination: parameters.contamination)
        let autoencoderConfirmation = TailAgreement.confirmation(of: errors, by: forestPercentiles,
                                                                 contamination: parameters.contamination)
        let combination: ScoreCombination
        switch parameters.combination {
        case .bySeparation: combination = SeparationGate.choose(forest: forestSeparation, autoencoder: autoencoderSeparation)
        case .byAgreement:
            combination = TailAgreement.choose(forestConfirmation: forestConfirmation, autoencoderConfirmation: autoencoderConfirmation)
        default: combination = parameters.combination
        }
        let statistics = (0..<x.rowCount).map {
            AnomalyDetector.combine(combination, forest: forestScores[$0], autoencoder: errors[$0],
                                    forestScale: forestScale, autoencoderScale: autoencoderScale,
                                    forestCalibrator: forestCalibrator, autoencoderCalibrator: autoencoderCalibrator)
        }
        let calibrator = ScoreCalibrator(fitting: statistics, scale: RobustScale(fitting: statistics).spread)
        let scores = statistics.map { calibrator($0) }.sorted()
        let threshold = Quantiles.sortedLinear(scores, 1 - parameters.contamination)
        let detector = try AnomalyDetector(
            forest: forest, autoencoder: autoencoder, forestScale: forestScale, autoencoderScale: autoencoderScale,
            forestCalibrator: forestCalibrator, autoencoderCalibrator: autoencoderCalibrator,
            combination: combination, calibrator: calibrator, contamination: parameters.contamination,
            threshold: threshold)
        let report = AnomalyTrainingReport(
            rows: x.rowCount, forestFitSeconds: (forestFitted - start).seconds, forestScoreSeconds: (forestScored - forestFitted).seconds,
            autoencoderFitSeconds: (autoencoderFitted - forestScored).seconds,
            autoencoderScoreSeconds: (autoencoderScored - autoencoderFitted).seconds,
            totalSeconds: (clock.now - start).seconds, autoencoderLoss: autoencoder.trainingLoss,
            flaggedRows: scores.filter { $0 > threshold }.count, combination: combination,
            forestSeparation: forestSeparation, autoencoderSeparation: autoencoderSeparation,
            forestConfirmation: forestConfirmation, autoencoderConfirmation: autoencoderConfirmation)
        return (detector, report)
    }
}

/// Facts about one detector fit: row count, the time each part took, the autoencoder's loss
/// curve, how many training rows the threshold flags, and the combination rule with the
/// separations and tail confirmations it was chosen from.
public struct AnomalyTrainingReport: Sendable, Equatable, Codable {
    public let rows: Int
    public let forestFitSeconds: Double
    public let forestScoreSeconds: Double
    public let autoencoderFitSeconds: Double
    public let autoencoderScoreSeconds: Double
    public let totalSeconds: Double
    /// Mean reconstruction error after each epoch.
    public let autoencoderLoss: [Double]
    public let flaggedRows: Int
    /// The rule the fitted detector holds (`byAgreement` or `bySeparation` resolved).
    public let combination: ScoreCombination
    /// Each part's `SeparationGate.separation` on the training rows.
    public let forestSeparation: Double
    public let autoencoderSeparation: Double
    /// Each part's `TailAgreement.confirmation` on the training rows (nil in reports written before it).
    public let forestConfirmation: Double?
    public let autoencoderConfirmation: Double?
}
