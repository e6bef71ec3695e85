import Foundation
import ModelZoo

/// Recursive descent over the tokens of a `--where` expression: `or` over `and`
/// over `not` over comparisons and parentheses, checking each value against its field.
struct WhereParser {
    let expression: String
    let tokens: [WhereToken]
    private var position = 0

    init(expression: String, tokens: [WhereToken]) {
        self.expression = expression
        self.tokens = tokens
    }

    mutating func parseAll() throws -> WhereExpression {
        if current.kind == .end { throw error(current, "the expression is empty; expected a comparison such as 'auc > 0.8'") }
        let result = try parseOr()
        guard current.kind == .end else {
            throw error(current, current.kind == .close
                ? "unbalanced ')': no '(' is open here"
                : "unexpected '\(current.text)' after a complete condition; join conditions with 'and' or 'or'")
        }
        return result
    }

    private var current: WhereToken { tokens[position] }

    private mutating func advance() -> WhereToken {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private func isKeyword(_ token: WhereToken, _ keyword: String) -> Bool {
        if case .word(let word) = token.kind { return word.lowercased() == keyword }
        return false
    }

    private mutating func parseOr() throws -> WhereExpression {
        var left = try parseAnd()
        while isKeyword(current, "or") {
            _ = advance()
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws -> WhereExpression {
        var left = try parseUnary()
        while isKeyword(current, "and") {
            _ = advance()
            left = .and(left, try parseUnary())
        }
        return left
    }

    private mutating func parseUnary() throws -> WhereExpression {
        if isKeyword(current, "not") {
            _ = advance()
            return .not(try parseUnary())
        }
        if current.kind == .open {
            let open = advance()
            if current.kind == .close { throw error(current, "empty parentheses; expected a condition") }
            let inner = try parseOr()
            guard current.kind == .close else {
                throw error(current, current.kind == .end
                    ? "missing ')' to close the '(' at column \(open.column)"
                    : "expected 'and', 'or' or ')', found '\(current.text)'")
            }
            _ = advance()
            return inner
        }
        return .comparison(try parseComparison())
    }

    private mutating func parseComparison() throws -> WhereExpression.Comparison {
        let fieldToken = advance()
        let field = try self.field(fieldToken)
        let opToken = advance()
        guard case .comparison(let op) = opToken.kind else {
            throw error(opToken, "expected a comparison (>, >=, <, <=, =, !=) after '\(fieldToken.text)', found \(describe(opToken))")
        }
        if field.kind == .text, op != .equal, op != .notEqual {
            throw error(opToken, "'\(fieldToken.text)' can only be compared with = or !=")
        }
        let valueToken = advance()
        let value = try self.value(valueToken, for: field, name: fieldToken.text)
        return WhereExpression.Comparison(field: field, op: op, value: value, column: fieldToken.column)
    }

    private func field(_ token: WhereToken) throws -> WhereExpression.Field {
        guard case .word(let word) = token.kind else {
            throw error(token, "expected a field or metric name (such as auc, train.auc, created, model, stage), found \(describe(token))")
        }
        if ["and", "or", "not"].contains(word.lowercased()) {
            throw error(token, "expected a condition, found the keyword '\(word)'")
        }
        let parts = word.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, parts.allSatisfy(Self.isName) else {
            throw error(token, "'\(word)' is not a field name: use letters, digits and '_', optionally split.metric (train.auc)")
        }
        if parts.count == 1, let named = WhereExpression.Field.named[word] { return named }
        let name = parts[parts.count - 1]
        guard MetricDefinition.of(name) != nil else {
            throw error(token, "no field is called '\(name)', and " + MetricDefinition.unknown(name))
        }
        return .metric(split: parts.count == 2 ? parts[0] : "test", name: name)
    }

    private static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }

    private func value(_ token: WhereToken, for field: WhereExpression.Field, name: String) throws -> WhereExpression.Value {
        switch field.kind {
        case .number:
            guard case .literal(let text) = token.kind, let number = Double(text), number.isFinite else {
                throw error(token, "'\(name)' compares with a number, found \(describe(token))")
            }
            return .number(number)
        case .date:
            guard case .literal(let text) = token.kind, let value = WhereDates.parse(text) else {
                throw error(token, "'created' compares with a date such as 2026-11-01 or 2026-11-01T10:30:00Z, found \(describe(token))")
            }
            return value
        case .text:
            let text: String
            switch token.kind {
            case .word(let word): text = word
            case .string(let string): text = string
            case .literal(let literal): text = literal
            default: throw error(token, "'\(name)' compares with a word or a quoted string, found \(describe(token))")
            }
            if field == .stage, Stage(rawValue: text) == nil {
                throw error(token, "unknown stage '\(text)'; expected one of \(Stage.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if field == .fairness, FairnessVerdict(rawValue: text) == nil {
                throw error(token, "fairness is 'pass' or 'fail', not '\(text)'")
            }
            return .text(text)
        }
    }

    private func describe(_ token: WhereToken) -> String {
        token.kind == .end ? "the end of the expression" : "'\(token.text)'"
    }

    private func error(_ token: WhereToken, _ message: String) -> WhereSyntaxError {
        WhereSyntaxError(expression: expression, column: token.column, message: message)
    }
}

/// Date literals of the `created` field, turned into the registry's stored timestamp text.
enum WhereDates {
    static func parse(_ text: String) -> WhereExpression.Value? {
        let bytes = Array(text.utf8)
        if bytes.count == 10 {
            guard let start = StoredDate.decode(text + "T00:00:00.000Z"), StoredDate.encode(start).hasPrefix(text) else { return nil }
            return .day(start: StoredDate.encode(start), end: StoredDate.encode(start.addingTimeInterval(86_400)))
        }
        guard bytes.count >= 16, bytes[10] == UInt8(ascii: "T") else { return nil }
        var body = text.hasSuffix("Z") ? String(text.dropLast()) : text
        switch body.count {
        case 16: body += ":00.000"
        case 19: body += ".000"
        case 21...23: body += String(repeating: "0", count: 23 - body.count)
        default: return nil
        }
        guard let instant = StoredDate.decode(body + "Z"), StoredDate.encode(instant) == body + "Z" else { return nil }
        return .instant(body + "Z")
    }
}
