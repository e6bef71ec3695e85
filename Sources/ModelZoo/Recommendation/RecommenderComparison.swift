import Foundation

/// One finished training epoch of the recommender or its matrix-factorisation baseline.
public struct RecommenderEpoch: Sendable, Equatable, Codable {
    /// `MF` or `NeuMF`.
    public let model: String
    /// `training`, or `pretraining` for NeuMF's own factorisation phase.
    public let phase: String
    public let epoch: Int
    public let loss: Double
    public let seconds: Double

    public init(model: String, phase: String, epoch: Int, loss: Double, seconds: Double) {
        self.model = model
        self.phase = phase
        self.epoch = epoch
        self.loss = loss
        self.seconds = seconds
    }

    /// The progress line the CLI prints, e.g. `NeuMF training epoch 2: loss 0.3012, 1.84 s`.
    public var line: String {
        let name = model == "MF" ? "MF" : "\(model) \(phase)"
        return String(format: "%@ epoch %d: loss %.4f, %.2f s", name, epoch, loss, seconds)
    }
}

/// NeuMF beside its two baselines on one leave-one-out split: HR@k and NDCG@k of each, and
/// the training times.
public struct RecommenderComparison: Sendable, Equatable {
    public let neuMF: RankingMetrics
    public let matrixFactorization: RankingMetrics
    public let popularity: RankingMetrics
    /// Wall time of each epoch of NeuMF's second phase, and of NeuMF in all: both pre-training
    /// phases, which run side by side when there is more than one thread (the matrix
    /// factorisation included when it is shared with the baseline).
    public let neuMFEpochSeconds: [Double]
    public let neuMFTrainingSeconds: Double
    public let matrixFactorizationEpochSeconds: [Double]
    public let matrixFactorizationTrainingSeconds: Double
    /// Every epoch of both models in the order they finished.
    public let epochs: [RecommenderEpoch]
    /// Wall time of ranking the held-out items with all three models.
    public let evaluationSeconds: Double
    public let evaluatedUsers: Int
    public let trainingInteractions: Int

    /// Trains the MF baseline and NeuMF on `split.train` and ranks every held-out item. When the
    /// baseline's settings are NeuMF's pre-training settings (the defaults), the baseline is
    /// NeuMF's pre-training phase, trained once, beside NeuMF's MLP phase.
    public static func run(_ split: LeaveOneOutSplit, features: ItemFeatures?, neuMF: NeuMFParameters,
                           matrixFactorization: MatrixFactorizationParameters, k: Int = 10,
                           progress: ((RecommenderEpoch) -> Void)? = nil) throws -> (RecommenderComparison, NeuMFModel) {
        let clock = ContinuousClock()
        var epochs = [RecommenderEpoch]()
        func record(_ epoch: RecommenderEpoch) {
            epochs.append(epoch)
            progress?(epoch)
        }
        let shared = neuMF.pretrainEpochs > 0 && matrixFactorization == neuMF.pretraining
        var mf: MatrixFactorizationModel?
        var mfSeconds = 0.0
        if !shared {
            let mfStart = clock.now
            var epochStart = mfStart
            mf = try MatrixFactorizationTrainer(parameters: matrixFactorization).fit(split.train) { epoch, loss in
                let now = clock.now
                record(RecommenderEpoch(model: "MF", phase: "training", epoch: epoch, loss: loss, seconds: (now - epochStart).seconds))
                epochStart = now
            }
            mfSeconds = (clock.now - mfStart).seconds
        }
        let start = clock.now
        let trained = try NeuMFTrainer(parameters: neuMF).train(split.train, features: features, pretrained: nil) {
            phase, epoch, loss, seconds in
            // With shared settings, NeuMF's pre-training phase is the MF baseline.
            record(RecommenderEpoch(model: shared && phase == "pretraining" ? "MF" : "NeuMF",
                                    phase: shared && phase == "pretraining" ? "training" : phase, epoch: epoch, loss: loss,
                                    seconds: seconds))
        }
        let model = trained.model
        if shared, let factorisation = trained.factorisation {
            mf = factorisation
            mfSeconds = trained.factorisationSeconds
        }
        guard let mf else { throw RecommenderError.invalidModel("NeuMF was trained without its pre-training phase") }
        let neuMFSeconds = (clock.now - start).seconds
        let threads = neuMF.threads
        let evaluationStart = clock.now
        let neuMFRanking = RankingEvaluator.evaluate(NeuMFScorer(model), on: split, k: k, threads: threads)
        let mfRanking = RankingEvaluator.evaluate(mf, on: split, k: k, threads: threads)
        let popularityRanking = RankingEvaluator.evaluate(PopularityRecommender(split.train), on: split, k: k, threads: threads)
        let comparison = RecommenderComparison(
            neuMF: neuMFRanking, matrixFactorization: mfRanking, popularity: popularityRanking,
            neuMFEpochSeconds: epochs.filter { $0.model == "NeuMF" && $0.phase != "pretraining" }.map(\.seconds),
            neuMFTrainingSeconds: neuMFSeconds,
            matrixFactorizationEpochSeconds: epochs.filter { $0.model == "MF" }.map(\.seconds),
            matrixFactorizationTrainingSeconds: mfSeconds, epochs: epochs,
            evaluationSeconds: (clock.now - evaluationStart).seconds, evaluatedUsers: split.evaluatedUsers,
            trainingInteractions: split.train.interactionCount)
        return (comparison, model)
    }
}

extension LeaveOneOutSplit {
    /// HR@k and NDCG@k of a trained NeuMF on this split (it must have been trained on `train`).
    public func evaluate(_ model: NeuMFModel, k: Int = 10, threads: Int = 0) -> RankingMetrics {
        RankingEvaluator.evaluate(NeuMFScorer(model), on: self, k: k, threads: threads)
    }

    /// HR@k and NDCG@k of ranking by training popularity.
    public func evaluatePopularity(k: Int = 10, threads: Int = 0) -> RankingMetrics {
        RankingEvaluator.evaluate(PopularityRecommender(train), on: self, k: k, threads: threads)
    }
}
