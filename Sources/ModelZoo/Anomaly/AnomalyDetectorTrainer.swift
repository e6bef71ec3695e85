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
        try parameters.validate()
        let forest = try IsolationForestTrainer(parameters: parameters.resolvedForest).fit(x)
        let autoencoder = try AutoencoderTrainer(parameters: parameters.resolvedAutoencoder).fit(x, progress: progress)
        let forestScores = try forest.score(x, threads: parameters.threads)
        let errors = try autoencoder.reconstructionError(x, threads: parameters.threads)
        let forestScale = RobustScale(fitting: forestScores)
        let autoencoderScale = RobustScale(fitting: errors)
        let forestCalibrator = ScoreCalibrator(fitting: forestScores, scale: forestScale.spread)
        let autoencoderCalibrator = ScoreCalibrator(fitting: errors, scale: autoencoderScale.spread)
        let statistics = (0..<x.rowCount).map {
            AnomalyDetector.combine(parameters.combination, forest: forestScores[$0], autoencoder: errors[$0],
                                    forestScale: forestScale, autoencoderScale: autoencoderScale,
                                    forestCalibrator: forestCalibrator, autoencoderCalibrator: autoencoderCalibrator)
        }
        let calibrator = ScoreCalibrator(fitting: statistics, scale: RobustScale(fitting: statistics).spread)
        let scores = statistics.map { calibrator($0) }.sorted()
        let threshold = Quantiles.sortedLinear(scores, 1 - parameters.contamination)
        return try AnomalyDetector(
            forest: forest, autoencoder: autoencoder, forestScale: forestScale, autoencoderScale: autoencoderScale,
            forestCalibrator: forestCalibrator, autoencoderCalibrator: autoencoderCalibrator,
            combination: parameters.combination, calibrator: calibrator, contamination: parameters.contamination,
            threshold: threshold)
    }
}
