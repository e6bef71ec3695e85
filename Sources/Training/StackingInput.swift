import Dataset
import Foundation
import ModelZoo

/// How one base model's output enters a stacking ensemble as one of its features.
///
/// Exists so that the pipeline (`StackingAssembly`, which reads the base jobs' predictions) and
/// serving (`engage serve`, which scores the base models itself on raw customer rows) feed the
/// meta-learner the same numbers: a model's central output (a binary model's probability as
/// log-odds, a quantile model's median, an anomaly model's combined score) and a recommender's
/// per-customer affinity.
public enum StackingInput {
    /// The meta-learner's feature from a base model's central output: log-odds for a binary model.
    public static func entering(_ values: [Double], objective: ModelObjective?) -> [Double] {
        objective == .binary ? values.map(OutOfFoldAssembler.logOdds) : values
    }

    /// The meta-learner's feature from `model` for each customer row of `table`; a recommender
    /// needs its `affinity`, computed once per model.
    public static func values(of model: TrainedModel, rows table: Table, affinity: RecommenderAffinity?) throws -> [Double] {
        if case .recommender(let recommender) = model.predictor {
            let column = (model.header.recommender ?? RecommenderColumns()).userColumn
            return try (affinity ?? RecommenderAffinity(recommender, threads: 1)).values(for: table, column: column)
        }
        return entering(try model.predict(table)[model.centralOutput], objective: model.header.objective)
    }
}

/// A recommender's per-customer affinity (`NeuMFModel.userAffinity`), the ensemble's input from
/// an `ncf` model; a customer the model has never seen gets the mean of the known users, which
/// the ensemble's standardisation reads as "no information".
public struct RecommenderAffinity: Sendable {
    public let model: NeuMFModel
    private let perUser: [Double]
    private let fallback: Double

    public init(_ model: NeuMFModel, threads: Int) {
        self.model = model
        perUser = model.userAffinity(threads: threads)
        let known = perUser.filter(\.isFinite)
        fallback = known.isEmpty ? 0 : known.reduce(0, +) / Double(known.count)
    }

    /// The affinity of each row's user, read from `column` of `table`.
    public func values(for table: Table, column: String) throws -> [Double] {
        guard let index = table.index(of: column) else {
            throw RecommenderError.missingColumn(column, table: "customers", available: table.names)
        }
        return IDVocabulary.keys(table.columns[index]).map { id in
            guard let id, let user = model.users.index(of: id), perUser[Int(user)].isFinite else { return fallback }
            return perUser[Int(user)]
        }
    }
}
