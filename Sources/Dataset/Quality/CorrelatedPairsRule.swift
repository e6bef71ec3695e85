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

/// Every pairwise Pearson correlation of a set of columns, accumulated in one pass over the rows.
///
/// Each column is first shifted by the mean of its present values, which keeps the one-pass
/// co-moment sums accurate (the shifted-data algorithm). Rows are visited in blocks small enough
/// for every column's block to stay in cache while all pairs are accumulated: with 50 columns of
/// 100,000 rows, pair by pair would stream each column from memory 49 times.
struct PairwiseCorrelation {
    private let count: Int
    private let rows: Int
    /// Shared-row count and the sums of x, y, x², y², xy for each pair (i < j), row-major upper triangle.
    private var shared: [Int]
    private var sums: [Double]

    private static let blockRows = 2048

    init(_ columns: [[Double]]) {
        count = columns.count
        rows = columns.first?.count ?? 0
        shared = [Int](repeating: 0, count: count * count)
        sums = [Double](repeating: 0, count: count * count * 5)
        guard count >= 2 else { return }
        var centred = [Double](repeating: 0, count: count * rows)
        var complete = [Bool](repeating: true, count: count)
        for (c, values) in columns.enumerated() {
            let present = values.filter { !$0.isNaN }
            complete[c] = present.count == values.count
            let mean = present.isEmpty ? 0 : present.reduce(0, +) / Double(present.count)
            for row in 0..<rows { centred[c * rows + row] = values[row] - mean }
        }
        accumulate(centred, complete: complete)
    }

    private mutating func accumulate(_ centred: [Double], complete: [Bool]) {
        let count = self.count, rows = self.rows
        centred.withUnsafeBufferPointer { x in
            sums.withUnsafeMutableBufferPointer { s in
                shared.withUnsafeMutableBufferPointer { shared in
                    var start = 0
                    while start < rows {
                        let end = min(start + Self.blockRows, rows)
                        for i in 0..<count {
                            let a = x.baseAddress! + i * rows
                            for j in (i + 1)..<count {
                                let b = x.baseAddress! + j * rows
                                let pair = i * count + j
                                if complete[i] && complete[j] {
                                    s[pair * 5 + 4] += Self.dot(a, b, start, end)
                                } else {
                                    shared[pair] += Self.addPresent(a, b, start, end, into: s.baseAddress! + pair * 5)
                                }
                            }
                        }
                        start = end
                    }
                    // A pair of complete columns shares every row; its one-column sums are the columns' own.
                    for i in 0..<count where complete[i] {
                        let a = x.baseAddress! + i * rows
                        var sum = 0.0
                        for row in 0..<rows { sum += a[row] }
                        let squares = Self.dot(a, a, 0, rows)
                        for j in 0..<count where complete[j] && j != i {
                            let pair = min(i, j) * count + max(i, j)
                            shared[pair] = rows
                            s[pair * 5 + (i < j ? 0 : 1)] = sum
                            s[pair * 5 + (i < j ? 2 : 3)] = squares
                        }
                    }
                }
            }
        }
    }

    /// Σ a·b over rows start..<end, in four independent sums so the additions need not wait for each other.
    private static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ start: Int, _ end: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var row = start
        while row + 4 <= end {
            s0 += a[row] * b[row]
            s1 += a[row + 1] * b[row + 1]
            s2 += a[row + 2] * b[row + 2]
            s3 += a[row + 3] * b[row + 3]
            row += 4
        }
        while row < end {
            s0 += a[row] * b[row]
            row += 1
        }
        return (s0 + s1) + (s2 + s3)
    }

    private static func addPresent(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ start: Int, _ end: Int,
                                   into s: UnsafeMutablePointer<Double>) -> Int {
        var sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0
        var n = 0
        for row in start..<end {
            let x = a[row], y = b[row]
            if x.isNaN || y.isNaN { continue }
            n += 1
            sx += x
            sy += y
            sxx += x * x
            syy += y * y
            sxy += x * y
        }
        s[0] += sx; s[1] += sy; s[2] += sxx; s[3] += syy; s[4] += sxy
        return n
    }

    /// r of columns i < j and the number of shared rows.
    func pearson(_ i: Int, _ j: Int) -> (Double, Int)? {
        let pair = i * count + j
        let n = shared[pair]
        guard n >= 3 else { return nil }
        let s = sums[(pair * 5)..<(pair * 5 + 5)].map { $0 }
        let nd = Double(n)
        let xx = s[2] - s[0] * s[0] / nd, yy = s[3] - s[1] * s[1] / nd, xy = s[4] - s[0] * s[1] / nd
        guard xx > 0, yy > 0 else { return nil }
        return (max(-1, min(1, xy / (xx * yy).squareRoot())), n)
    }
}
