import Dataset
import Foundation
import ModelZoo
import Registry

/// Decides whether a retrained candidate replaces production: both are scored on the same
/// held-out rows (the candidate run's test shards, which hold batch rows too), the candidate must
/// beat production by `margin` on the primary metric, and then every gate of the cluster's
/// promotion policy must pass (`ModelRegistry.promote`).
struct ChampionChallenger {
    enum Outcome: Equatable {
        case promoted(String)
        case kept(String)
    }

    let registry: ModelRegistry
    let store: ShardStore
    let policy: PromotionPolicy
    let margin: Double

    func decide(_ candidate: ModelVersion) throws -> Outcome {
        if candidate.stage == .production { return .promoted("\(candidate.reference) is in production") }
        let production = try registry.versions(model: candidate.model).first { $0.stage == .production }
        var why = "no version in production"
        if let production {
            guard let comparison = try compare(candidate, with: production) else {
                return .kept("\(candidate.reference) and \(production.reference) cannot be scored on the same test rows")
            }
            guard comparison.improvement > margin else {
                return .kept("\(comparison.text); not better by more than the margin \(margin)")
            }
            why = comparison.text
        }
        do {
            try registry.promote(model: candidate.model, version: candidate.version, to: .production, policy: policy,
                                 reason: "engage watch: \(why)")
            return .promoted(why)
        } catch let refused as PromotionRefused {
            return .kept(refused.decision.failedGates.map { "[\($0.gate)] \($0.detail)" }.joined(separator: "; "))
        }
    }

    private struct Comparison {
        var improvement: Double
        var text: String
    }

    private func compare(_ candidate: ModelVersion, with production: ModelVersion) throws -> Comparison? {
        guard let metric = PrimaryMetric.of(candidate), let challenger = candidate.metric(metric.name, split: metric.split),
              let json = try registry.reports(model: candidate.model, version: candidate.version)[TrainingFacts.registryName],
              let shards = try JSONDecoder().decode(TrainingFacts.self, from: Data(json.utf8)).evalShards, !shards.isEmpty else { return nil }
        let rows = try Table.concatenated(try shards.map { try store.read($0) })
        let model = try TrainedModel.decode(try registry.artifact(model: production.model, version: production.version))
        guard let champion = try PrimaryMetricScore.measure(model, on: rows, metric: metric) else { return nil }
        let improvement = -PrimaryMetricScore.drop(from: champion, to: challenger, direction: metric.direction)
        return Comparison(improvement: improvement, text: String(format: "%@ %.4f vs %@ %.4f (%@ on the same %d test rows)",
                                                                 candidate.reference, challenger, production.reference, champion, metric.name, rows.rowCount))
    }
}
