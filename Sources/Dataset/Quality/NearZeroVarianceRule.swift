/// Columns that barely vary: the variance of a numeric column (population variance of its
/// present values), or for a categorical column the variance p(1 − p) of the indicator of
/// its most frequent level, below a limit (0.01).
///
/// The variance of a numeric column depends on its scale: a feature measured in [0, 1] with a
/// standard deviation under 0.1 is flagged although it may be informative, which is why the
/// rule warns rather than stops a run. For a 0/1 column p(1 − p) < 0.01 means fewer than
/// about 1.01% (or more than 98.99%) of its values are 1; the message says so.
public struct NearZeroVarianceRule: QualityRule {
    public let minVariance: Double
    public var name: String { "near_zero_variance" }

    public init(minVariance: Double) {
        self.minVariance = minVariance
    }

    public func check(_ table: Table, context: QualityContext) -> [QualityFinding] {
        context.valueColumns(of: table).compactMap { name, column in
            guard let (variance, detail) = measure(column), variance < minVariance else { return nil }
            return QualityFinding(rule: self.name, severity: .warning, columns: [name], value: variance, threshold: minVariance,
                                  message: "variance \(QualityText.number(variance)) is below \(QualityText.number(minVariance)): \(detail)")
        }
    }

    /// The column's variance and a description of what makes it low; nil when there is no
    /// finite present value.
    func measure(_ column: Column) -> (Double, String)? {
        switch column {
        case .numeric(let values):
            var n = 0.0, sum = 0.0, ones = 0.0
            var binary = true
            var first: Double?
            values.withUnsafeBufferPointer { v in
                for x in v where x.isFinite {
                    n += 1
                    sum += x
                    if x == 1 { ones += 1 } else if x != 0 { binary = false }
                    if first == nil { first = x }
                }
            }
            guard n > 0, let first else { return nil }
            let mean = sum / n
            var squares = 0.0
            values.withUnsafeBufferPointer { v in
                for x in v where x.isFinite { squares += (x - mean) * (x - mean) }
            }
            let variance = squares / n
            if variance == 0 { return (0, "every present value is \(QualityText.number(first))") }
            if binary {
                return (variance, "a 0/1 column with \(QualityText.percent(ones / n)) ones (p(1 − p) < 0.01 below 1.01% or above 98.99%)")
            }
            return (variance, "standard deviation \(QualityText.number(variance.squareRoot())) around a mean of \(QualityText.number(mean))")
        case .categorical(let codes, let levels):
            var counts = Array(repeating: 0, count: levels.count)
            var n = 0
            for code in codes where code >= 0 && Int(code) < levels.count {
                counts[Int(code)] += 1
                n += 1
            }
            guard n > 0, let top = counts.indices.max(by: { counts[$0] < counts[$1] }) else { return nil }
            let share = Double(counts[top]) / Double(n)
            return (share * (1 - share), "level '\(levels[top])' holds \(QualityText.percent(share)) of present values")
        }
    }
}

/// A binary target whose share of 1s lies outside a range (20–80%); a target that is not 0/1
/// is an error.
public struct ClassBalanceRule: QualityRule {
    public let minShare: Double
    public let maxShare: Double
    public var name: String { "class_balance" }

    public init(minShare: Double, maxShare: Double) {
        self.minShare = minShare
        self.maxShare = maxShare
    }

    public func check(_ table: Table, context: QualityContext) -> [QualityFinding] {
        context.binaryTargets.compactMap { target in
            guard let column = try? table.column(target) else { return nil }
            guard case .numeric(let values) = column else {
                return QualityFinding(rule: name, severity: .error, columns: [target], value: 0, threshold: minShare,
                                      message: "the binary target is categorical; expected 0/1 numbers")
            }
            var ones = 0, n = 0
            for (row, value) in values.enumerated() where !value.isNaN {
                guard value == 0 || value == 1 else {
                    return QualityFinding(rule: name, severity: .error, columns: [target], value: value, threshold: minShare,
                                          message: "row \(row + 1) holds \(value); a binary target holds 0 or 1")
                }
                n += 1
                if value == 1 { ones += 1 }
            }
            guard n > 0 else { return nil }
            let share = Double(ones) / Double(n)
            guard share < minShare || share > maxShare else { return nil }
            return QualityFinding(rule: name, severity: .warning, columns: [target], value: share, threshold: share < minShare ? minShare : maxShare,
                                  message: "\(QualityText.percent(share)) of \(n) rows are 1, outside \(QualityText.percent(minShare))–\(QualityText.percent(maxShare))")
        }
    }
}
