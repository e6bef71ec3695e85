import Dataset
import Foundation
import ModelZoo
import Training

/// A model's outputs for the rows of one request: one column per output, named as
/// `engage predict` names them (`prediction`; `q0.1`, `q0.5`, `q0.9`; `score`, `flag`, …).
public struct ScoredRows: Sendable, Equatable {
    public let names: [String]
    public let columns: [[Double]]

    public var rowCount: Int { columns.first?.count ?? 0 }

    /// Rows `range` of every output, for handing a batched result back to its requests.
    public func rows(_ range: Range<Int>) -> ScoredRows {
        ScoredRows(names: names, columns: columns.map { Array($0[range]) })
    }
}

extension LoadedModel {
    /// Scores `rows` as `engage predict` scores the same rows in a CSV. An ensemble scores its
    /// base models on the raw rows first and feeds their outputs to the meta-learner as the
    /// pipeline did (`StackingInput`).
    public func score(_ rows: FeatureRows) throws -> ScoredRows {
        switch trained.predictor {
        case .recommender:
            throw ServingError.unsupported("\(name) is a recommender: ask it for items (POST /v1/models/\(name):recommend) or score (user, item) pairs with scorePairs")
        case .stacking:
            let table = try rows.table(for: inputs)
            var metaInputs = try Table(names: [], columns: [])
            for base in bases {
                try metaInputs.set(base.input, .numeric(try StackingInput.values(of: base.model.trained, rows: table, affinity: base.affinity)))
            }
            return ScoredRows(names: trained.outputNames, columns: try predictTable(metaInputs))
        default:
            return ScoredRows(names: trained.outputNames, columns: try predictTable(try rows.table(for: inputs)))
        }
    }

    private func predictTable(_ table: Table) throws -> [[Double]] {
        do {
            return try trained.predict(table)
        } catch let error as ServingError {
            throw error
        } catch {
            throw ServingError.badRequest("\(label): \(error)")
        }
    }

    /// The recommender's probability for each (user, item) pair; an unknown user or item gets
    /// its popularity score, as in `engage predict`.
    public func scorePairs(users: [String], items: [String]) throws -> [RecommendationScore] {
        guard case .recommender(let model) = trained.predictor else {
            throw ServingError.unsupported("\(name) is a \(trained.header.kind) model, not a recommender")
        }
        return model.score(zip(users, items).map { (user: $0, item: $1) }, threads: 1)
    }

    /// Each user's `k` best unseen items; an unknown user gets the most popular items.
    public func recommend(users: [String], k: Int) throws -> [[RecommendedItem]] {
        guard case .recommender(let model) = trained.predictor else {
            throw ServingError.unsupported("\(name) is a \(trained.header.kind) model and cannot recommend; serve an ncf model")
        }
        guard (1...1000).contains(k) else { throw ServingError.badRequest("k must be between 1 and 1000 (got \(k))") }
        return model.recommend(users: users, k: k, threads: 1)
    }
}
