import Foundation

/// Missing cells per column: a warning above one share, an error above another.
public struct NullRateRule: QualityRule {
    public let warning: Double
    public let error: Double
    public var name: String { "null_rate" }

    public init(warning: Double, error: Double) {
        self.warning = warning
        self.error = error
    }

    public func check(_ table: Table, context: QualityContext) -> [QualityFinding] {
        NullRateRule.rates(of: table).compactMap { entry in
            guard !context.ignored.contains(entry.column), entry.rate > warning else { return nil }
            let severity: QualitySeverity = entry.rate > error ? .error : .warning
            let limit = severity == .error ? error : warning
            return QualityFinding(rule: name, severity: severity, columns: [entry.column], value: entry.rate, threshold: limit,
                                  message: "\(entry.missing) of \(table.rowCount) cells missing (\(QualityText.percent(entry.rate)), limit \(QualityText.percent(limit)))")
        }
    }

    /// Every column's missing count and share (NaN in numeric columns, code -1 in categorical ones).
    public static func rates(of table: Table) -> [ColumnNullRate] {
        zip(table.names, table.columns).map { name, column in
            let missing = QualityColumn.missingCount(column)
            return ColumnNullRate(column: name, missing: missing, rate: table.rowCount == 0 ? 0 : Double(missing) / Double(table.rowCount))
        }
    }
}

/// Ids that occur more than once. Missing ids are the null-rate rule's business.
public struct DuplicateIDRule: QualityRule {
    public var name: String { "duplicate_ids" }
    public init() {}

    public func check(_ table: Table, context: QualityContext) -> [QualityFinding] {
        guard let idName = context.idColumn, let column = try? table.column(idName) else { return [] }
        let duplicates = DuplicateIDRule.repeats(in: column)
        guard !duplicates.isEmpty else { return [] }
        let examples = duplicates.prefix(3).map { "\(idName) \(QualityColumn.text(column, row: $0.row) ?? "?") in rows \($0.first + 1) and \($0.row + 1)" }
        let more = duplicates.count > 3 ? "; …" : ""
        return [QualityFinding(rule: name, severity: .error, columns: [idName], value: Double(duplicates.count), threshold: 0,
                               message: "\(duplicates.count) row\(duplicates.count == 1 ? " repeats an" : "s repeat an") earlier id: "
                                   + examples.joined(separator: "; ") + more)]
    }

    /// Each row whose id occurred in an earlier row, with that earlier row. Categorical levels are
    /// distinct names, so a repeated id is a repeated code.
    static func repeats(in column: Column) -> [(row: Int, first: Int)] {
        var duplicates: [(row: Int, first: Int)] = []
        switch column {
        case .numeric(let values):
            var firstRow: [Double: Int] = [:]
            firstRow.reserveCapacity(values.count)
            for (row, id) in values.enumerated() where !id.isNaN {
                if let first = firstRow[id] { duplicates.append((row, first)) } else { firstRow[id] = row }
            }
        case .categorical(let codes, let levels):
            var firstRow = [Int](repeating: -1, count: levels.count)
            for (row, code) in codes.enumerated() where code >= 0 && Int(code) < levels.count {
                let first = firstRow[Int(code)]
                if first >= 0 { duplicates.append((row, first)) } else { firstRow[Int(code)] = row }
            }
        }
        return duplicates
    }
}

/// Infinite values in numeric columns (NaN is a missing value, not counted here).
public struct NonFiniteRule: QualityRule {
    public var name: String { "non_finite" }
    public init() {}

    public func check(_ table: Table, context: QualityContext) -> [QualityFinding] {
        context.valueColumns(of: table).compactMap { name, column in
            guard case .numeric(let values) = column else { return nil }
            var count = 0, first = -1
            values.withUnsafeBufferPointer { v in
                for row in 0..<v.count where v[row].isInfinite {
                    if first < 0 { first = row }
                    count += 1
                }
            }
            guard count > 0 else { return nil }
            return QualityFinding(rule: self.name, severity: .error, columns: [name], value: Double(count), threshold: 0,
                                  message: "\(count) infinite value\(count == 1 ? "" : "s"), the first in row \(first + 1) (\(values[first]))")
        }
    }
}

/// Column views the rules share.
enum QualityColumn {
    static func missingCount(_ column: Column) -> Int {
        switch column {
        case .numeric(let values):
            return values.withUnsafeBufferPointer { v in (0..<v.count).reduce(0) { $0 + (v[$1].isNaN ? 1 : 0) } }
        case .categorical(let codes, _):
            return codes.withUnsafeBufferPointer { c in (0..<c.count).reduce(0) { $0 + (c[$1] < 0 ? 1 : 0) } }
        }
    }

    /// A cell as text (numbers in shortest form, integers without a fraction); nil when missing.
    static func text(_ column: Column, row: Int) -> String? {
        switch column {
        case .numeric(let values):
            let value = values[row]
            if value.isNaN { return nil }
            if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
            return String(value)
        case .categorical(let codes, let levels):
            let code = Int(codes[row])
            return code >= 0 && code < levels.count ? levels[code] : nil
        }
    }
}

/// Number formats for finding messages.
enum QualityText {
    static func percent(_ share: Double) -> String { String(format: "%.2f%%", share * 100) }
    static func number(_ value: Double) -> String { String(format: "%.4g", value) }
}
