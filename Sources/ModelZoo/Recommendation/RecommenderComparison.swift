import Foundation

/// NeuMF beside its two baselines on one leave-one-out split: HR@k and NDCG@k of each, and
/// the training times.
public struct RecommenderComparison: Sendable, Equatable {
    public let neuMF: RankingMetrics
    public let matrixFactorization: RankingMetrics
    public let popularity: RankingMetrics
    /// NeuMF's wall time per epoch, and in total (training only).
    public let neuMFEpochSeconds: [Double]
    public let neuMFTrainingSeconds: Double
    public let matrixFactorizationTrainingSeconds: Double
    public let evaluatedUsers: Int
    public let trainingInteractions: Int

    /// Trains NeuMF and the MF baseline on `split.train` and ranks every held-out item.
    public static func run(_ split: LeaveOneOutSplit, features: ItemFeatures?, neuMF: NeuMFParameters,
                           matrixFactorization: MatrixFactorizationParameters, k: Int = 10,
                           progress: ((String) -> Void)? = nil) throws -> (RecommenderComparison, NeuMFModel) {
        let clock = ContinuousClock()
        var epochs = [Double]()
        let start = clock.now
        let model = try NeuMFTrainer(parameters: neuMF).fit(split.train, features: features) { epoch, loss, seconds in
            epochs.append(seconds)
            progress?(String(format: "NeuMF epoch %d: loss %.4f, %.2f s", epoch, loss, seconds))
        }
        let neuMFSeconds = (clock.now - start).seconds
        let mfStart = clock.now
        let mf = try MatrixFactorizationTrainer(parameters: matrixFactorization).fit(split.train) { epoch, loss in
            progress?(String(format: "MF epoch %d: loss %.4f", epoch, loss))
        }
        let mfSeconds = (clock.now - mfStart).seconds
        let threads = neuMF.threads
        let comparison = RecommenderComparison(
            neuMF: RankingEvaluator.evaluate(NeuMFScorer(model), on: split, k: k, threads: threads),
            matrixFactorization: RankingEvaluator.evaluate(mf, on: split, k: k, threads: threads),
            popularity: RankingEvaluator.evaluate(PopularityRecommender(split.train), on: split, k: k, threads: threads),
            neuMFEpochSeconds: epochs, neuMFTrainingSeconds: neuMFSeconds, matrixFactorizationTrainingSeconds: mfSeconds,
            evaluatedUsers: split.evaluatedUsers, trainingInteractions: split.train.interactionCount)
        return (comparison, model)
    }
}
