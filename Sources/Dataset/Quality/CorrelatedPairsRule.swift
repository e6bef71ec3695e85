/// Pairs of numeric columns whose Pearson correlation exceeds a limit in absolute value (0.95):
/// one of them adds little, and a feature that tracks a target this closely may leak it.
///
/// r is computed over the rows where both values are present (pandas' `DataFrame.corr()`).
/// Columns with infinite values (the `non_finite` rule's business), constant columns and pairs
/// with fewer than three shared rows are skipped.
public struct CorrelatedPairsRule: QualityRule {
    public let maxCorrelation: Double
    public var name: String { "correlated_pair" }

    public init(maxCorrelation: Double) {
        self.maxCorrelation = maxCorrelation
    }

    public func check(_ table: Table, context: QualityContext) -> [QualityFinding] {
        let columns: [(name: String, values: [Double])] = context.valueColumns(of: table).compactMap { name, column in
            guard case .numeric(let values) = column, !values.contains(where: \.isInfinite) else { return nil }
            return (name, values)
        }
        let correlations = PairwiseCorrelation(columns.map(\.values))
        var findings: [QualityFinding] = []
        for i in columns.indices {
            for j in (i + 1)..<columns.count {
                guard let (r, n) = correlations.pearson(i, j), abs(r) > maxCorrelation else { continue }
                findings.append(QualityFinding(
                    rule: name, severity: .warning, columns: [columns[i].name, columns[j].name], value: abs(r), threshold: maxCorrelation,
                    message: "Pearson r = \(QualityText.number(r)) over \(n) rows, beyond ±\(QualityText.number(maxCorrelation))"))
            }
        }
        return findings
    }

    /// Pearson's r of two columns over the rows where both are present, and how many rows that
    /// is; nil when fewer than three rows are shared or either is constant on them.
    static func pearson(_ x: [Double], _ y: [Double]) -> (Double, Int)? {
        PairwiseCorrelation([x, y]).pearson(0, 1)
    }
}

/// Every pairwise Pearson correlation of a set of columns over the rows both columns hold.
///
/// Each column is shifted by the mean of its present values (which keeps one-pass co-moment
/// sums accurate: the shifted-data algorithm) and its missing cells are set to 0, so that the
/// co-moment Σxy of any pair is a plain dot product over all rows. The one-column sums Σx, Σx²
/// and counts over a pair's shared rows are the column's own, less its values on the other
/// column's (few) missing rows. The dot products are accumulated over blocks of rows small
/// enough for every column's block to stay in cache: with 50 columns of 100,000 rows, going pair
/// by pair would stream each column from memory 49 times.
struct PairwiseCorrelation {
    private let count: Int
    private let rows: Int
    /// Column-major, shifted, missing cells 0.
    private let centred: [Double]
    private let missingRows: [[Int]]
    private let sums: [Double]
    private let squares: [Double]
    /// Σ xᵢxⱼ for i < j, row-major upper triangle.
    private let products: [Double]

    private static let blockRows = 2048

    init(_ columns: [[Double]]) {
        let count = columns.count, rows = columns.first?.count ?? 0
        self.count = count
        self.rows = rows
        var centred = [Double](repeating: 0, count: count * rows)
        var missingRows: [[Int]] = []
        for (c, values) in columns.enumerated() {
            var missing: [Int] = []
            var total = 0.0
            for (row, value) in values.enumerated() {
                if value.isNaN { missing.append(row) } else { total += value }
            }
            let present = rows - missing.count
            let mean = present == 0 ? 0 : total / Double(present)
            for row in 0..<rows where !values[row].isNaN { centred[c * rows + row] = values[row] - mean }
            missingRows.append(missing)
        }
        self.centred = centred
        self.missingRows = missingRows
        sums = (0..<count).map { c in centred[(c * rows)..<((c + 1) * rows)].reduce(0, +) }
        squares = centred.withUnsafeBufferPointer { x in
            (0..<count).map { c in Self.dot(x.baseAddress! + c * rows, x.baseAddress! + c * rows, 0, rows) }
        }
        products = Self.products(centred, count: count, rows: rows)
    }

    private static func products(_ centred: [Double], count: Int, rows: Int) -> [Double] {
        var products = [Double](repeating: 0, count: count * count)
        centred.withUnsafeBufferPointer { x in
            products.withUnsafeMutableBufferPointer { p in
                var start = 0
                while start < rows {
                    let end = min(start + blockRows, rows)
                    for i in 0..<count {
                        let a = x.baseAddress! + i * rows
                        for j in (i + 1)..<count { p[i * count + j] += dot(a, x.baseAddress! + j * rows, start, end) }
                    }
                    start = end
                }
            }
        }
        return products
    }

    /// Σ a·b over rows start..<end, in eight independent lanes so the additions need not wait for each other.
    private static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ start: Int, _ end: Int) -> Double {
        var s0 = SIMD2<Double>(), s1 = SIMD2<Double>(), s2 = SIMD2<Double>(), s3 = SIMD2<Double>()
        var row = start
        while row + 8 <= end {
            s0 += SIMD2(a[row], a[row + 1]) * SIMD2(b[row], b[row + 1])
            s1 += SIMD2(a[row + 2], a[row + 3]) * SIMD2(b[row + 2], b[row + 3])
            s2 += SIMD2(a[row + 4], a[row + 5]) * SIMD2(b[row + 4], b[row + 5])
            s3 += SIMD2(a[row + 6], a[row + 7]) * SIMD2(b[row + 6], b[row + 7])
            row += 8
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while row < end {
            sum += a[row] * b[row]
            row += 1
        }
        return sum
    }

    /// Column `c`'s sum, sum of squares and count over the rows where column `other` is present too.
    private func restricted(_ c: Int, to other: Int) -> (sum: Double, squares: Double, n: Int) {
        var sum = sums[c], squares = self.squares[c]
        var n = rows - missingRows[c].count
        let own = Set(missingRows[c])
        for row in missingRows[other] where !own.contains(row) {
            let x = centred[c * rows + row]
            sum -= x
            squares -= x * x
            n -= 1
        }
        return (sum, squares, n)
    }

    /// r of columns i < j and the number of shared rows; nil when fewer than three rows are
    /// shared or either column is constant on them.
    func pearson(_ i: Int, _ j: Int) -> (Double, Int)? {
        let x = restricted(i, to: j), y = restricted(j, to: i)
        let n = x.n
        guard n >= 3 else { return nil }
        let nd = Double(n)
        let xx = x.squares - x.sum * x.sum / nd, yy = y.squares - y.sum * y.sum / nd
        let xy = products[i * count + j] - x.sum * y.sum / nd
        guard xx > 0, yy > 0 else { return nil }
        return (max(-1, min(1, xy / (xx * yy).squareRoot())), n)
    }
}
