import Dataset
import Foundation
import ModelZoo

/// Why a model gave one row its score: exact TreeSHAP contributions in raw-score space, which
/// add up with `base` to `rawScore`, and the largest of them in plain words.
///
/// Exists for the per-customer explanations a GDPR Art. 22 request asks for, in the same
/// response as the prediction rather than in a separate call.
public struct RowExplanation: Sendable, Equatable {
    /// One feature's part in the score.
    public struct Contribution: Sendable, Equatable {
        public let feature: String
        /// The row's value as the request gave it ("34", "mobile", "missing").
        public let value: String
        public let contribution: Double
    }

    /// The model's mean raw score (the expectation every explanation starts from).
    public let base: Double
    /// The raw score (log-odds for a binary model): `base + Σ contributions`.
    public let rawScore: Double
    /// Every feature of the explained model, in its order.
    public let contributions: [Contribution]
    /// The `k` largest contributions by size, in words: `days_since_last_login = 34 raised churn_30_day by 0.21 (log-odds)`.
    public let reasons: [String]
}

extension LoadedModel {
    /// Explains each row with exact TreeSHAP, top `k` reasons per row; a model without a tree
    /// ensemble (anomaly, recommender, ensemble) cannot be explained this way.
    public func explain(_ rows: FeatureRows, top k: Int) throws -> [RowExplanation] {
        guard let explainer else {
            throw ServingError.unsupported("\(name) is a \(trained.header.kind) model: only tree ensembles (gbdt) have exact TreeSHAP explanations")
        }
        guard (1...100).contains(k) else { throw ServingError.badRequest("top_k must be between 1 and 100 (got \(k))") }
        let table = try rows.table(for: inputs)
        let matrix: FeatureMatrix
        do {
            matrix = try trained.header.schema.matrix(from: table)
        } catch {
            throw ServingError.badRequest("\(label): \(error)")
        }
        let (values, count) = try explainer.explain(matrix, threads: 1)
        let raw = try explainer.model.predictRaw(matrix, threads: 1)
        let names = explainer.model.featureNames
        let shown = try names.map { try Self.displayed(table.column($0)) }
        let unit = explainer.model.objective == .binary ? " (log-odds)" : ""
        let target = trained.header.target
        return (0..<matrix.rowCount).map { row in
            let contributions = names.indices.map { f in
                RowExplanation.Contribution(feature: names[f], value: shown[f][row], contribution: values[row * count + f])
            }
            let reasons = contributions.indices
                .filter { contributions[$0].contribution != 0 }
                .sorted { abs(contributions[$0].contribution) > abs(contributions[$1].contribution) || (abs(contributions[$0].contribution) == abs(contributions[$1].contribution) && $0 < $1) }
                .prefix(k)
                .map { f -> String in
                    let c = contributions[f]
                    return "\(c.feature) = \(c.value) \(c.contribution > 0 ? "raised" : "lowered") \(target) by \(Self.format(abs(c.contribution)))\(unit)"
                }
            return RowExplanation(base: explainer.expectedValue, rawScore: raw[row], contributions: contributions, reasons: Array(reasons))
        }
    }

    /// Each row's value of a column as a person reads it.
    private static func displayed(_ column: Column) -> [String] {
        switch column {
        case .numeric(let values): return values.map { $0.isFinite ? format($0) : "missing" }
        case .categorical(let codes, let levels): return codes.map { $0 >= 0 && Int($0) < levels.count ? levels[Int($0)] : "missing" }
        }
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var text = String(format: "%.3g", value)
        if text.contains("e") { return text }
        if text.contains(".") { while text.hasSuffix("0") { text.removeLast() } }
        return text
    }
}
