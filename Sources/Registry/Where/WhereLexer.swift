/// One token of a `--where` expression, with the 1-based column it starts at.
struct WhereToken: Equatable {
    enum Kind: Equatable {
        /// A field, a keyword (`and`, `or`, `not`) or a bare word value; may hold one `.` (`train.auc`).
        case word(String)
        /// A number or date literal, kept as written.
        case literal(String)
        /// A quoted string, unescaped.
        case string(String)
        case comparison(WhereExpression.Operator)
        case open
        case close
        case end
    }

    var kind: Kind
    var column: Int
    /// The text as written, for error messages.
    var text: String
}

/// Splits a `--where` expression into tokens; rejects any character outside the language.
struct WhereLexer {
    private let expression: String
    private let characters: [Character]
    private var index = 0

    init(_ expression: String) {
        self.expression = expression
        characters = Array(expression)
    }

    static func tokens(_ expression: String) throws -> [WhereToken] {
        var lexer = WhereLexer(expression)
        var tokens: [WhereToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private mutating func next() throws -> WhereToken {
        while index < characters.count, characters[index].isWhitespace { index += 1 }
        let start = index
        let column = start + 1
        guard index < characters.count else { return WhereToken(kind: .end, column: column, text: "end of expression") }
        let c = characters[index]

        switch c {
        case "(":
            index += 1
            return WhereToken(kind: .open, column: column, text: "(")
        case ")":
            index += 1
            return WhereToken(kind: .close, column: column, text: ")")
        case ">", "<", "=", "!":
            let two = index + 1 < characters.count ? String([c, characters[index + 1]]) : String(c)
            let op: WhereExpression.Operator?
            let length: Int
            switch two {
            case ">=": (op, length) = (.greaterOrEqual, 2)
            case "<=": (op, length) = (.lessOrEqual, 2)
            case "!=", "<>": (op, length) = (.notEqual, 2)
            case "==": (op, length) = (.equal, 2)
            default:
                switch c {
                case ">": (op, length) = (.greater, 1)
                case "<": (op, length) = (.less, 1)
                case "=": (op, length) = (.equal, 1)
                default: (op, length) = (nil, 1)
                }
            }
            guard let op else { throw error(column, "'!' must be followed by '=' (write != for 'not equal')") }
            index += length
            return WhereToken(kind: .comparison(op), column: column, text: String(characters[start..<index]))
        case "'", "\"":
            return try quoted(quote: c, column: column)
        default:
            break
        }

        if c.isASCIIDigit || ((c == "-" || c == ".") && index + 1 < characters.count && characters[index + 1].isASCIIDigit) {
            index += 1
            while index < characters.count, characters[index].continuesLiteral { index += 1 }
            return WhereToken(kind: .literal(String(characters[start..<index])), column: column, text: String(characters[start..<index]))
        }
        if c.startsWord {
            index += 1
            while index < characters.count, characters[index].continuesWord || characters[index] == "." { index += 1 }
            let text = String(characters[start..<index])
            return WhereToken(kind: .word(text), column: column, text: text)
        }
        throw error(column, "unexpected character '\(c)'; expected a name, a value, a comparison, 'and', 'or', 'not' or parentheses")
    }

    /// A string in single or double quotes; the quote character is escaped by doubling it.
    private mutating func quoted(quote: Character, column: Int) throws -> WhereToken {
        let start = index
        index += 1
        var value = ""
        while index < characters.count {
            let c = characters[index]
            index += 1
            if c == quote {
                if index < characters.count, characters[index] == quote {
                    value.append(quote)
                    index += 1
                } else {
                    return WhereToken(kind: .string(value), column: column, text: String(characters[start..<index]))
                }
            } else {
                value.append(c)
            }
        }
        throw error(column, "unterminated string: no closing \(quote)")
    }

    private func error(_ column: Int, _ message: String) -> WhereSyntaxError {
        WhereSyntaxError(expression: expression, column: column, message: message)
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var startsWord: Bool { isASCII && (isLetter || self == "_") }
    var continuesWord: Bool { isASCII && (isLetter || isNumber || self == "_" || self == "-") }
    /// Digits, signs, the decimal point, exponents and the parts of an ISO date (`2026-11-01T10:00:00.5Z`).
    var continuesLiteral: Bool {
        isASCII && (isNumber || self == "." || self == "-" || self == "+" || self == ":" || self == "e" || self == "E" || self == "T" || self == "Z")
    }
}
