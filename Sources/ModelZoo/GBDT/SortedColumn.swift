/// One numeric column's rows sorted by value (radix sort on the bits of the doubles), for
/// binning: distinct values with their counts give the bin bounds, and one walk in value
/// order gives every row its bin without a search per row.
///
/// Exists because binning sorts every feature once per training; a comparison sort and a
/// binary search per row cost more than the boosting rounds of a small model.
struct SortedColumn {
    /// Row numbers of the non-missing values, in increasing value order (stable).
    private(set) var rows: [Int32]
    /// The values, in the same order.
    private(set) var values: [Double]
    /// Row numbers of the missing (NaN) values.
    private(set) var missingRows: [Int32]

    init(_ column: UnsafeBufferPointer<Double>) {
        let n = column.count
        var keys = [UInt64]()
        var order = [Int32]()
        var missing = [Int32]()
        keys.reserveCapacity(n)
        order.reserveCapacity(n)
        for (row, value) in column.enumerated() {
            if value.isNaN {
                missing.append(Int32(truncatingIfNeeded: row))
            } else {
                keys.append(Self.key(value))
                order.append(Int32(truncatingIfNeeded: row))
            }
        }
        Self.radixSort(&keys, &order)
        values = keys.map(Self.value)
        rows = order
        missingRows = missing
    }

    /// An unsigned integer whose order is the order of the doubles (−0 is taken as +0).
    @inline(__always)
    static func key(_ value: Double) -> UInt64 {
        let bits = (value + 0).bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    @inline(__always)
    static func value(_ key: UInt64) -> Double {
        Double(bitPattern: key & (1 << 63) != 0 ? key & ~(1 << 63) : ~key)
    }

    /// Least-significant-digit radix sort of `keys`, carrying `order` along; bytes on which
    /// every key agrees are skipped.
    private static func radixSort(_ keys: inout [UInt64], _ order: inout [Int32]) {
        let n = keys.count
        guard n > 1 else { return }
        var counts = [Int](repeating: 0, count: 8 * 256)
        keys.withUnsafeBufferPointer { keys in
            counts.withUnsafeMutableBufferPointer { counts in
                for key in keys {
                    for byte in 0..<8 { counts[byte &* 256 &+ Int((key >> UInt64(byte &* 8)) & 0xFF)] &+= 1 }
                }
            }
        }
        var otherKeys = [UInt64](repeating: 0, count: n)
        var otherOrder = [Int32](repeating: 0, count: n)
        for byte in 0..<8 {
            let shift = UInt64(byte * 8)
            let digitCounts = counts[(byte * 256)..<(byte * 256 + 256)]
            if digitCounts.contains(n) { continue }
            var start = [Int](repeating: 0, count: 256)
            var sum = 0
            for (digit, count) in digitCounts.enumerated() {
                start[digit] = sum
                sum += count
            }
            keys.withUnsafeBufferPointer { source in
                order.withUnsafeBufferPointer { sourceOrder in
                    otherKeys.withUnsafeMutableBufferPointer { target in
                        otherOrder.withUnsafeMutableBufferPointer { targetOrder in
                            start.withUnsafeMutableBufferPointer { start in
                                for i in 0..<n {
                                    let key = source[i]
                                    let digit = Int((key >> shift) & 0xFF)
                                    let position = start[digit]
                                    start[digit] = position &+ 1
                                    target[position] = key
                                    targetOrder[position] = sourceOrder[i]
                                }
                            }
                        }
                    }
                }
            }
            swap(&keys, &otherKeys)
            swap(&order, &otherOrder)
        }
    }

    /// Distinct values and how often each occurs, counting only rows for which `counted` is
    /// true (all rows when nil).
    func distinctValues(counting counted: [Bool]?) -> (values: [Double], counts: [Int]) {
        var distinct = [Double]()
        var counts = [Int]()
        values.withUnsafeBufferPointer { values in
            rows.withUnsafeBufferPointer { rows in
                for i in 0..<values.count {
                    if let counted, !counted[Int(rows[i])] { continue }
                    let value = values[i]
                    if let last = distinct.last, last == value {
                        counts[counts.count - 1] += 1
                    } else {
                        distinct.append(value)
                        counts.append(1)
                    }
                }
            }
        }
        return (distinct, counts)
    }

    /// Writes every row's bin for `bounds` (ascending, the last +infinity) into `out`; missing
    /// rows get bin `bounds.count`.
    func writeBins(bounds: [Double], into out: UnsafeMutablePointer<UInt8>) {
        let missing = UInt8(truncatingIfNeeded: bounds.count)
        for row in missingRows { out[Int(row)] = missing }
        bounds.withUnsafeBufferPointer { bounds in
            values.withUnsafeBufferPointer { values in
                rows.withUnsafeBufferPointer { rows in
                    var bin = 0
                    let last = bounds.count - 1
                    for i in 0..<values.count {
                        let value = values[i]
                        while bin < last && value > bounds[bin] { bin &+= 1 }
                        out[Int(rows[i])] = UInt8(truncatingIfNeeded: bin)
                    }
                }
            }
        }
    }
}
