import Foundation

/// A parsed `--where` filter over registry versions, e.g.
/// `auc > 0.85 and created > 2026-11-01 and (stage = production or alias = champion)`.
///
/// Exists so that a filter is checked once, with errors that point at a column,
/// before it becomes SQL; the SQL it becomes binds every value as a parameter.
///
/// The language: comparisons `field op value` joined by `and`, `or`, `not` and
/// parentheses (`not` binds tightest, then `and`, then `or`). Fields:
/// - a metric name (`auc`, `pinball_p50`), measured on the test split, or
///   `split.metric` (`train.auc`, `oof.logloss`); compares with numbers. A version
///   without that metric, or with it undefined (NaN), matches no comparison on it;
/// - `version` (number); `created` (a date `2026-11-01`, compared by whole days, or an
///   instant `2026-11-01T10:30:00Z`);
/// - `model`, `run`, `kind`, `worker`, `host`, `objective` and `alias` (`=`/`!=` a
///   word or a quoted string); `stage` (`none`, `staging`, `production`, `archived`);
/// - `fairness` (`pass`/`fail`) and `disparate_impact` (the smallest over the
///   sensitive attributes) from the stored fairness report.
public indirect enum WhereExpression: Sendable, Equatable {
    case comparison(Comparison)
    case and(WhereExpression, WhereExpression)
    case or(WhereExpression, WhereExpression)
    case not(WhereExpression)

    public enum Operator: String, Sendable, Equatable {
        case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<=", equal = "=", notEqual = "!="
    }

    /// What a comparison reads.
    public enum Field: Sendable, Equatable {
        case metric(split: String, name: String)
        case version, created, model, run, kind, worker, host, objective, stage, alias, fairness, disparateImpact

        /// The reserved names, and what they mean.
        static let named: [String: Field] = [
            "version": .version, "created": .created, "model": .model, "run": .run, "kind": .kind,
            "worker": .worker, "host": .host, "objective": .objective, "stage": .stage, "alias": .alias,
            "fairness": .fairness, "disparate_impact": .disparateImpact,
        ]

        var kind: ValueKind {
            switch self {
            case .metric, .version, .disparateImpact: return .number
            case .created: return .date
            case .model, .run, .kind, .worker, .host, .objective, .stage, .alias, .fairness: return .text
            }
        }
    }

    enum ValueKind { case number, date, text }

    /// A literal on the right of a comparison.
    public enum Value: Sendable, Equatable {
        case number(Double)
        /// A whole UTC day: `[start, end)` as stored timestamps.
        case day(start: String, end: String)
        /// One instant as a stored timestamp.
        case instant(String)
        case text(String)
    }

    public struct Comparison: Sendable, Equatable {
        public var field: Field
        public var op: Operator
        public var value: Value
        /// Where the comparison starts in the expression (1-based).
        public var column: Int

        public init(field: Field, op: Operator, value: Value, column: Int) {
            self.field = field
            self.op = op
            self.value = value
            self.column = column
        }
    }

    /// Parses an expression; a mistake throws ``WhereSyntaxError`` naming its column.
    public static func parse(_ text: String) throws -> WhereExpression {
        var parser = WhereParser(expression: text, tokens: try WhereLexer.tokens(text))
        return try parser.parseAll()
    }
}
