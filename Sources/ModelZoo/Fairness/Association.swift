/// Strength-of-association measures between a feature and a sensitive attribute, each in [0, 1].
///
/// Exists for proxy detection: a feature that carries a sensitive attribute lets a model
/// discriminate without seeing the attribute. Rows where either value is missing are left out.
public enum Association {
    /// Cramér's V of two categorical variables, as scipy's
    /// `contingency.association(table, method="cramer")` (no bias correction):
    /// √(χ² / (n · (min(r, c) − 1))) over the r × c table of levels that occur.
    /// nil when fewer than two levels of either occur.
    public static func cramersV(_ a: [Int32], levels levelsA: Int, _ b: [Int32], levels levelsB: Int) -> Double? {
        precondition(a.count == b.count, "cramersV: \(a.count) rows against \(b.count)")
        var table = Array(repeating: 0.0, count: levelsA * levelsB)
        var n = 0.0
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                table.withUnsafeMutableBufferPointer { t in
                    for row in 0..<a.count {
                        let i = Int(a[row]), j = Int(b[row])
                        guard i >= 0, i < levelsA, j >= 0, j < levelsB else { continue }
                        t[i * levelsB + j] += 1
                        n += 1
                    }
                }
            }
        }
        var rowTotals = Array(repeating: 0.0, count: levelsA)
        var columnTotals = Array(repeating: 0.0, count: levelsB)
        for i in 0..<levelsA {
            for j in 0..<levelsB {
                rowTotals[i] += table[i * levelsB + j]
                columnTotals[j] += table[i * levelsB + j]
            }
        }
        let rows = rowTotals.filter { $0 > 0 }.count, columns = columnTotals.filter { $0 > 0 }.count
        guard rows >= 2, columns >= 2 else { return nil }
        var chiSquared = 0.0
        for i in 0..<levelsA where rowTotals[i] > 0 {
            for j in 0..<levelsB where columnTotals[j] > 0 {
                let expected = rowTotals[i] * columnTotals[j] / n
                let difference = table[i * levelsB + j] - expected
                chiSquared += difference * difference / expected
            }
        }
        return (chiSquared / n / Double(min(rows, columns) - 1)).squareRoot()
    }

    /// The correlation ratio η of a numeric variable across the groups of a categorical one:
    /// √(between-group sum of squares / total sum of squares). For two groups it equals the
    /// absolute Pearson (point-biserial) correlation with the group indicator, and for any
    /// number of groups it is at least the largest absolute correlation with one group's
    /// indicator. nil when fewer than two groups occur or the values are constant.
    public static func correlationRatio(_ values: [Double], groups: [Int32], groupCount: Int) -> Double? {
        precondition(values.count == groups.count, "correlationRatio: \(values.count) values against \(groups.count) groups")
        var sums = Array(repeating: 0.0, count: groupCount)
        var counts = Array(repeating: 0.0, count: groupCount)
        var total = 0.0, n = 0.0
        values.withUnsafeBufferPointer { x in
            groups.withUnsafeBufferPointer { g in
                for row in 0..<x.count {
                    let group = Int(g[row])
                    guard group >= 0, group < groupCount, !x[row].isNaN else { continue }
                    sums[group] += x[row]
                    counts[group] += 1
                    total += x[row]
                    n += 1
                }
            }
        }
        guard counts.filter({ $0 > 0 }).count >= 2 else { return nil }
        let mean = total / n
        let groupMeans = zip(sums, counts).map { $1 > 0 ? $0 / $1 : 0 }
        var totalSquares = 0.0
        values.withUnsafeBufferPointer { x in
            groups.withUnsafeBufferPointer { g in
                for row in 0..<x.count {
                    let group = Int(g[row])
                    guard group >= 0, group < groupCount, !x[row].isNaN else { continue }
                    totalSquares += (x[row] - mean) * (x[row] - mean)
                }
            }
        }
        guard totalSquares > 0 else { return nil }
        let between = zip(groupMeans, counts).reduce(0.0) { $0 + $1.1 * ($1.0 - mean) * ($1.0 - mean) }
        return min(1, (between / totalSquares).squareRoot())
    }
}
