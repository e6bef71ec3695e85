import GRDB

/// Turns a ``WhereExpression`` into an SQL condition over `versions v` and its
/// arguments. Every value (numbers, dates, names, metric and split names) is a
/// bound parameter; the SQL text is built only from the fixed fragments below.
///
/// Metric comparisons read the `metrics(name, split, value)` index; the others read
/// `versions` columns, `aliases(model, version)` or `fairness_summaries`.
enum WhereCompiler {
    struct Compiled {
        var sql: String
        var arguments: [(any DatabaseValueConvertible)?]
    }

    static func compile(_ expression: WhereExpression) -> Compiled {
        switch expression {
        case .and(let left, let right):
            return join(compile(left), "AND", compile(right))
        case .or(let left, let right):
            return join(compile(left), "OR", compile(right))
        case .not(let inner):
            let compiled = compile(inner)
            return Compiled(sql: "NOT (\(compiled.sql))", arguments: compiled.arguments)
        case .comparison(let comparison):
            return compile(comparison)
        }
    }

    private static func join(_ left: Compiled, _ op: String, _ right: Compiled) -> Compiled {
        Compiled(sql: "(\(left.sql) \(op) \(right.sql))", arguments: left.arguments + right.arguments)
    }

    private static func compile(_ c: WhereExpression.Comparison) -> Compiled {
        let op = sqlOperator(c.op)
        switch (c.field, c.value) {
        case (.metric(let split, let name), .number(let number)):
            return Compiled(sql: "v.id IN (SELECT version_id FROM metrics WHERE name = ? AND split = ? AND value \(op) ?)",
                            arguments: [name, split, number])
        case (.version, .number(let number)):
            return Compiled(sql: "v.version \(op) ?", arguments: [number])
        case (.disparateImpact, .number(let number)):
            return Compiled(sql: "v.id IN (SELECT version_id FROM fairness_summaries WHERE min_disparate_impact \(op) ?)",
                            arguments: [number])
        case (.created, .instant(let instant)):
            return Compiled(sql: "v.created_at \(op) ?", arguments: [instant])
        case (.created, .day(let start, let end)):
            return day(c.op, start: start, end: end)
        case (.fairness, .text(let verdict)):
            return Compiled(sql: "v.id IN (SELECT version_id FROM fairness_summaries WHERE verdict \(op) ?)", arguments: [verdict])
        case (.alias, .text(let alias)):
            return self.alias(alias, negated: c.op == .notEqual)
        case (let field, .text(let text)):
            guard let column = column(field) else { preconditionFailure("the parser gives \(field) no text value") }
            return Compiled(sql: "v.\(column) \(c.op == .equal ? "IS" : "IS NOT") ?", arguments: [text])
        default:
            preconditionFailure("the parser never pairs \(c.field) with \(c.value)")
        }
    }

    private static func column(_ field: WhereExpression.Field) -> String? {
        switch field {
        case .model: return "model"
        case .run: return "run_id"
        case .kind: return "kind"
        case .worker: return "worker"
        case .host: return "host"
        case .objective: return "objective"
        case .stage: return "stage"
        default: return nil
        }
    }

    /// `created` against a whole day `[start, end)`: `> day` is after the day, `<= day` up to its end.
    private static func day(_ op: WhereExpression.Operator, start: String, end: String) -> Compiled {
        switch op {
        case .greater: return Compiled(sql: "v.created_at >= ?", arguments: [end])
        case .greaterOrEqual: return Compiled(sql: "v.created_at >= ?", arguments: [start])
        case .less: return Compiled(sql: "v.created_at < ?", arguments: [start])
        case .lessOrEqual: return Compiled(sql: "v.created_at < ?", arguments: [end])
        case .equal: return Compiled(sql: "(v.created_at >= ? AND v.created_at < ?)", arguments: [start, end])
        case .notEqual: return Compiled(sql: "(v.created_at < ? OR v.created_at >= ?)", arguments: [start, end])
        }
    }

    /// `alias = production|staging` reads the stage and `alias = latest` the newest version,
    /// as `show model@…` does; any other name reads the aliases table.
    private static func alias(_ name: String, negated: Bool) -> Compiled {
        let condition: Compiled
        if let stage = Stage(rawValue: name), Stage.promotable.contains(stage) {
            condition = Compiled(sql: "v.stage = ?", arguments: [stage.rawValue])
        } else if name == "latest" {
            condition = Compiled(sql: "v.version = (SELECT MAX(w.version) FROM versions w WHERE w.model = v.model)", arguments: [])
        } else {
            condition = Compiled(sql: "EXISTS (SELECT 1 FROM aliases a WHERE a.model = v.model AND a.version = v.version AND a.alias = ?)",
                                 arguments: [name])
        }
        return negated ? Compiled(sql: "NOT (\(condition.sql))", arguments: condition.arguments) : condition
    }

    private static func sqlOperator(_ op: WhereExpression.Operator) -> String {
        switch op {
        case .greater: return ">"
        case .greaterOrEqual: return ">="
        case .less: return "<"
        case .lessOrEqual: return "<="
        case .equal: return "="
        case .notEqual: return "<>"
        }
    }
}
