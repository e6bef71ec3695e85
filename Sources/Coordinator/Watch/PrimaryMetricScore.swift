import Dataset
import Foundation
import ModelZoo
import Registry

/// A model's primary metric measured on new labelled rows, so that `engage watch` can compare a
/// version on a batch, or on another version's test rows, with what it was registered with.
enum PrimaryMetricScore {
    /// The metric of `model` on `table`; nil when the table lacks the target or every label is missing.
    static func measure(_ model: TrainedModel, on table: Table, metric: PrimaryMetric) throws -> Double? {
        guard table.index(of: model.header.target) != nil,
              let definition = [MetricDefinition.auc, .r2, .pinball(alpha: 0.5)].first(where: { $0.name == metric.name }),
              let evaluate = definition.evaluate else { return nil }
        let labels = try table.numeric(model.header.target)
        let outputs = try model.predict(table)[model.centralOutput]
        let labelled = labels.indices.filter { !labels[$0].isNaN }
        guard !labelled.isEmpty else { return nil }
        let value = evaluate(labelled.map { labels[$0] }, labelled.map { outputs[$0] })
        return value.isNaN ? nil : value
    }

    /// How much worse `observed` is than `reference` (positive: worse), by the metric's direction.
    static func drop(from reference: Double, to observed: Double, direction: MetricDirection) -> Double {
        direction == .higherIsBetter ? reference - observed : observed - reference
    }
}
