import Dataset
import Foundation
import ModelZoo

/// How a target column becomes labels: the one rule `engage train`, the pipeline's data
/// preparation and every job runner apply, so a file is accepted or refused the same way
/// everywhere and text levels are mapped by name in every file.
///
/// - A binary target is 0/1, true/false (any case), or any two-level column whose positive level
///   is named (`--positive`, `positive:`); otherwise it is refused, naming the levels found.
/// - A regression or quantile target is numeric.
/// - A training target needs no missing values (see ``missingRows(_:)`` to drop them) and, for a
///   binary model, both classes.
public struct TargetRule: Sendable {
    public let column: String
    public let objective: ModelObjective
    /// The level the user named as the positive class.
    public let positive: String?

    public init(column: String, objective: ModelObjective, positive: String? = nil) {
        self.column = column
        self.objective = objective
        self.positive = positive
    }

    public init(spec: TrainingJobSpec) {
        self.init(column: spec.target, objective: spec.objective, positive: spec.positiveLevel)
    }

    /// Whether the rule reads labels at all (an anomaly label is evaluation-only, a recommender has none).
    public var isSupervised: Bool { [.binary, .regression, .quantile].contains(objective) }

    /// Checks the training rows' target and, for a text binary target, says which level is positive.
    /// Nil for a numeric 0/1 target and for regression and quantile targets.
    public func levels(in table: Table) throws -> BinaryLevels? {
        let cells = try self.cells(table)
        try refuseMissing(cells)
        switch objective {
        case .regression, .quantile:
            if case .categorical(_, let levels) = cells {
                throw TargetError("\(objective.rawValue) target '\(column)' is text (\(Self.count(levels.count, "level"))); it needs numbers")
            }
            return nil
        case .binary:
            return try binaryLevels(cells)
        case .anomaly, .ranking:
            return nil
        }
    }

    /// The labels of `table` (training, validation or test rows) under the training rows' `levels`:
    /// text levels are matched by name; a missing value or an unknown level is refused.
    public func labels(_ table: Table, levels: BinaryLevels?) throws -> [Double] {
        let cells = try self.cells(table)
        try refuseMissing(cells)
        guard objective == .binary else {
            if case .categorical(_, let names) = cells {
                throw TargetError("\(objective.rawValue) target '\(column)' is text (\(Self.count(names.count, "level"))); it needs numbers")
            }
            return cells.numericValues
        }
        guard let levels else {
            let values = cells.numericValues
            if case .categorical = cells { return try labels(cells, levels: try binaryLevels(cells, requireBoth: false)) }
            if let bad = values.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                throw TargetError("binary target '\(column)' must be 0 or 1 without a named positive level; data row \(bad + 1) has \(Self.text(values[bad]))")
            }
            return values
        }
        return try labels(cells, levels: levels)
    }

    /// The data rows (0-based) whose target is missing, for `--drop-missing-target`.
    public func missingRows(_ table: Table) throws -> [Int] {
        let cells = try self.cells(table)
        switch cells {
        case .numeric(let values): return values.indices.filter { values[$0].isNaN }
        case .categorical(let codes, _): return codes.indices.filter { codes[$0] < 0 }
        }
    }

    /// `table` without the rows whose target is missing, and how many were dropped.
    public func droppingMissing(_ table: Table) throws -> (table: Table, dropped: Int) {
        let missing = Set(try missingRows(table))
        guard !missing.isEmpty else { return (table, 0) }
        return (table.rows((0..<table.rowCount).filter { !missing.contains($0) }), missing.count)
    }

    private func cells(_ table: Table) throws -> Column {
        guard table.index(of: column) != nil else { throw TargetError("target column '\(column)' is missing") }
        return try table.column(column)
    }

    private func refuseMissing(_ cells: Column) throws {
        let missing: [Int]
        switch cells {
        case .numeric(let values): missing = values.indices.filter { !values[$0].isFinite }
        case .categorical(let codes, _): missing = codes.indices.filter { codes[$0] < 0 }
        }
        guard !missing.isEmpty else { return }
        let shown = missing.prefix(5).map { String($0 + 1) }.joined(separator: ", ") + (missing.count > 5 ? ", …" : "")
        throw TargetError("target '\(column)' has \(Self.count(missing.count, "missing value")) (data rows \(shown)); "
                          + "pass --drop-missing-target (or drop_missing_target: true in cluster.yaml) to drop those rows")
    }

    /// Each distinct non-missing value's text with its row count, in first-seen order.
    private func counts(_ cells: Column) -> [(level: String, rows: Int)] {
        var order: [String] = [], rows: [String: Int] = [:]
        func add(_ level: String) {
            if rows[level] == nil { order.append(level) }
            rows[level, default: 0] += 1
        }
        switch cells {
        case .numeric(let values): for value in values where value.isFinite { add(Self.text(value)) }
        case .categorical(let codes, let levels): for code in codes where code >= 0 { add(levels[Int(code)]) }
        }
        return order.map { ($0, rows[$0]!) }
    }

    private func binaryLevels(_ cells: Column, requireBoth: Bool = true) throws -> BinaryLevels? {
        var found = counts(cells)
        if Set(found.map { $0.level.lowercased() }).isSubset(of: ["false", "true"]) {
            found = ["false", "true"].compactMap { word in
                let spellings = found.filter { $0.level.lowercased() == word }
                return spellings.first.map { ($0.level, spellings.reduce(0) { $0 + $1.rows }) }
            }
        }
        let names = found.map(\.level).sorted()
        if requireBoth, found.count < 2 {
            let described = found.map { "'\($0.level)': \(Self.count($0.rows, "row"))" }.joined()
            throw TargetError("target '\(column)' has \(Self.count(found.count, "class", plural: "classes"))\(found.isEmpty ? "" : " (\(described))"); a binary model needs both")
        }
        if found.count > 2 {
            throw TargetError("binary target '\(column)' has \(found.count) levels (\(Self.quoted(names.prefix(6)))\(found.count > 6 ? ", …" : "")); a binary model needs two")
        }
        if let positive {
            guard let index = names.firstIndex(of: positive) else {
                throw TargetError("--positive \(positive): binary target '\(column)' has no level '\(positive)'; its levels are \(Self.quoted(names))")
            }
            return BinaryLevels(negative: names.count == 2 ? names[1 - index] : "", positive: positive)
        }
        let lowered = Set(names.map { $0.lowercased() })
        if lowered.isSubset(of: ["0", "1"]) {
            if case .numeric = cells { return nil }
            return BinaryLevels(negative: "0", positive: "1")
        }
        if lowered.isSubset(of: ["false", "true"]) {
            return BinaryLevels(negative: names.first { $0.lowercased() == "false" } ?? "false", positive: names.first { $0.lowercased() == "true" } ?? "true")
        }
        let suggested = names.first { ["yes", "y", "positive", "churned", "1"].contains($0.lowercased()) } ?? names.last ?? ""
        throw TargetError("binary target '\(column)' has levels \(Self.quoted(names)); pass --positive \(suggested) "
                          + "(or positive: \(suggested) in cluster.yaml) to say which is the positive class")
    }

    private func labels(_ cells: Column, levels: BinaryLevels?) throws -> [Double] {
        guard let levels else { return cells.numericValues }
        let boolean = Set([levels.negative, levels.positive].map { $0.lowercased() }) == ["false", "true"]
        func label(_ text: String, row: Int) throws -> Double {
            if text == levels.positive || (boolean && text.lowercased() == levels.positive.lowercased()) { return 1 }
            if text == levels.negative || (boolean && text.lowercased() == levels.negative.lowercased()) || levels.negative.isEmpty { return 0 }
            throw TargetError("target '\(column)' has level '\(text)' in data row \(row + 1), not one of the training levels \(Self.quoted([levels.negative, levels.positive]))")
        }
        switch cells {
        case .numeric(let values):
            return try values.enumerated().map { try label(Self.text($0.element), row: $0.offset) }
        case .categorical(let codes, let names):
            var mapped = [Double?](repeating: nil, count: names.count)
            return try codes.enumerated().map { row, code in
                if let known = mapped[Int(code)] { return known }
                let value = try label(names[Int(code)], row: row)
                mapped[Int(code)] = value
                return value
            }
        }
    }

    static func text(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    static func quoted<S: Sequence<String>>(_ names: S) -> String { names.map { "'\($0)'" }.joined(separator: ", ") }

    /// `5,000 rows`, `1 class`.
    static func count(_ n: Int, _ noun: String, plural: String? = nil) -> String {
        let digits = String(n)
        var grouped = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { grouped.append(",") }
            grouped.append(c)
        }
        return "\(grouped) \(n == 1 ? noun : plural ?? noun + "s")"
    }
}

/// Why a target column cannot become labels; the message names the column and what was found.
public struct TargetError: Error, CustomStringConvertible, LocalizedError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
