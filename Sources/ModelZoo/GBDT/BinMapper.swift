/// Maps one feature's raw values to small bin numbers, and bins back to raw split values.
///
/// Bins `0..<valueBinCount` hold values; bin `valueBinCount` (the last) holds missing
/// values, so a feature never needs more than 256 bins and fits a `UInt8`.
///
/// Numeric features get quantile-like bins found as LightGBM's `GreedyFindBin` does:
/// with few distinct values every value gets a bin; otherwise frequent values get a
/// bin of their own and the rest are grouped into bins of roughly equal counts.
/// A bin `b` covers `(upperBounds[b-1], upperBounds[b]]`; the last bound is +infinity.
///
/// Categorical features give each of the `maxBin - 1` most frequent codes its own bin
/// (ties by smaller code) and pool every other code, seen or unseen, into an "other"
/// bin, the last value bin.
struct BinMapper: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case numeric(upperBounds: [Double])
        case categorical(codes: [Int], codeToBin: [Int: Int])
    }

    let kind: Kind
    /// Whether the sample held any missing value.
    let sawMissing: Bool

    var isCategorical: Bool {
        if case .categorical = kind { return true }
        return false
    }

    /// Bins that hold values (for categorical features, including the "other" bin).
    var valueBinCount: Int {
        switch kind {
        case .numeric(let bounds): return bounds.count
        case .categorical(let codes, _): return codes.count + 1
        }
    }

    var missingBin: Int { valueBinCount }

    /// Bins including the missing bin: the histogram length of this feature.
    var totalBinCount: Int { valueBinCount + 1 }

    /// A feature is useful for splitting only if its sample shows at least two bins.
    var isTrivial: Bool {
        switch kind {
        case .numeric(let bounds): return bounds.count < 2 && !sawMissing
        case .categorical(let codes, _): return codes.count + (sawMissing ? 1 : 0) < 2
        }
    }

    func bin(of value: Double) -> Int {
        switch kind {
        case .numeric(let bounds):
            if value.isNaN { return bounds.count }
            var low = 0
            var high = bounds.count - 1
            while low < high {
                let mid = (low + high) >> 1
                if value <= bounds[mid] { high = mid } else { low = mid + 1 }
            }
            return low
        case .categorical(let codes, let codeToBin):
            if value.isNaN || value < 0 { return codes.count + 1 }
            return codeToBin[Int(value)] ?? codes.count
        }
    }

    /// `out[i] = bin(of: values[i])` for every value, without per-value dispatch.
    func binAll(_ values: UnsafeBufferPointer<Double>, into out: UnsafeMutablePointer<UInt8>) {
        switch kind {
        case .numeric(let bounds):
            let missing = UInt8(truncatingIfNeeded: bounds.count)
            bounds.withUnsafeBufferPointer { bounds in
                let b = bounds.baseAddress!
                let count = bounds.count
                for (i, value) in values.enumerated() {
                    if value.isNaN {
                        out[i] = missing
                        continue
                    }
                    // Lower bound of `value` in `bounds` (the last bound is +infinity).
                    var low = 0
                    var length = count
                    while length > 1 {
                        let half = length >> 1
                        low = value <= b[low &+ half &- 1] ? low : low &+ half
                        length &-= half
                    }
                    out[i] = UInt8(truncatingIfNeeded: low)
                }
            }
        case .categorical(let codes, _):
            let largest = codes.max() ?? -1
            guard largest < 65_536 else {
                for (i, value) in values.enumerated() { out[i] = UInt8(truncatingIfNeeded: bin(of: value)) }
                return
            }
            var table = [UInt8](repeating: UInt8(truncatingIfNeeded: codes.count), count: largest + 1)
            for (bin, code) in codes.enumerated() { table[code] = UInt8(truncatingIfNeeded: bin) }
            let missing = UInt8(truncatingIfNeeded: codes.count + 1)
            let other = UInt8(truncatingIfNeeded: codes.count)
            table.withUnsafeBufferPointer { table in
                for (i, value) in values.enumerated() {
                    if value.isNaN || value < 0 {
                        out[i] = missing
                    } else {
                        out[i] = value <= Double(largest) ? table[Int(value)] : other
                    }
                }
            }
        }
    }

    /// The raw threshold of a numeric split "bin ≤ b goes left": values ≤ it go left.
    func upperBound(ofBin bin: Int) -> Double {
        guard case .numeric(let bounds) = kind else { preconditionFailure("upperBound(ofBin:) on a categorical feature") }
        return bounds[bin]
    }

    /// The category code of a categorical value bin, or nil for the "other" bin.
    func categoryCode(ofBin bin: Int) -> Int? {
        guard case .categorical(let codes, _) = kind else { preconditionFailure("categoryCode(ofBin:) on a numeric feature") }
        return bin < codes.count ? codes[bin] : nil
    }

    // MARK: Construction

    /// Bins for a numeric feature from a sample of its values (NaN = missing).
    static func numeric(sample: [Double], maxBin: Int) -> BinMapper {
        var values = sample.filter { !$0.isNaN }
        let sawMissing = values.count < sample.count
        values.sort()
        var distinct = [Double]()
        var counts = [Int]()
        for value in values {
            if let last = distinct.last, last == value {
                counts[counts.count - 1] += 1
            } else {
                distinct.append(value)
                counts.append(1)
            }
        }
        return BinMapper(kind: .numeric(upperBounds: upperBounds(distinct: distinct, counts: counts, maxBin: maxBin)),
                         sawMissing: sawMissing)
    }

    /// Bins for a numeric feature from its sorted column, counting the rows marked in
    /// `inSample` (every row when nil); the same bins as `numeric(sample:maxBin:)` on those rows.
    static func numeric(sorted: SortedColumn, inSample: [Bool]?, maxBin: Int) -> BinMapper {
        let (distinct, counts) = sorted.distinctValues(counting: inSample)
        let sawMissing = inSample.map { mask in sorted.missingRows.contains { mask[Int($0)] } } ?? !sorted.missingRows.isEmpty
        return BinMapper(kind: .numeric(upperBounds: upperBounds(distinct: distinct, counts: counts, maxBin: maxBin)),
                         sawMissing: sawMissing)
    }

    /// Bins for a categorical feature from a sample of its codes (NaN or negative = missing).
    static func categorical(sample: [Double], maxBin: Int) -> BinMapper {
        var frequency = [Int: Int]()
        var sawMissing = false
        for value in sample {
            if value.isNaN || value < 0 { sawMissing = true } else { frequency[Int(value), default: 0] += 1 }
        }
        let ranked = frequency.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let kept = ranked.prefix(max(0, maxBin - 1)).map(\.key)
        var codeToBin = [Int: Int](minimumCapacity: kept.count)
        for (bin, code) in kept.enumerated() { codeToBin[code] = bin }
        return BinMapper(kind: .categorical(codes: kept, codeToBin: codeToBin), sawMissing: sawMissing)
    }

    /// LightGBM's greedy binning over sorted distinct values and their counts.
    static func upperBounds(distinct: [Double], counts: [Int], maxBin: Int) -> [Double] {
        guard distinct.count > 1, maxBin > 1 else { return [.infinity] }
        var bounds = [Double]()
        if distinct.count <= maxBin {
            for i in 0..<(distinct.count - 1) { bounds.append(midpoint(distinct[i], distinct[i + 1])) }
        } else {
            let total = counts.reduce(0, +)
            var meanBinSize = Double(total) / Double(maxBin)
            var restBins = maxBin
            var restSamples = total
            let isBig = counts.map { Double($0) >= meanBinSize }
            for (i, big) in isBig.enumerated() where big {
                restBins -= 1
                restSamples -= counts[i]
            }
            meanBinSize = Double(restSamples) / Double(max(1, restBins))
            var inBin = 0
            for i in 0..<(distinct.count - 1) {
                if !isBig[i] { restSamples -= counts[i] }
                inBin += counts[i]
                let closes = isBig[i] || Double(inBin) >= meanBinSize
                    || (isBig[i + 1] && Double(inBin) >= max(1.0, meanBinSize * 0.5))
                guard closes else { continue }
                bounds.append(midpoint(distinct[i], distinct[i + 1]))
                if bounds.count >= maxBin - 1 { break }
                inBin = 0
                if !isBig[i] {
                    restBins -= 1
                    meanBinSize = Double(restSamples) / Double(max(1, restBins))
                }
            }
        }
        var unique = [Double]()
        for bound in bounds where unique.last.map({ $0 < bound }) ?? true { unique.append(bound) }
        unique.append(.infinity)
        return unique
    }

    /// A split value strictly between `low` (goes left) and `high` (goes right), or `low`.
    static func midpoint(_ low: Double, _ high: Double) -> Double {
        var mid = (low + high) / 2
        if !mid.isFinite { mid = low / 2 + high / 2 }
        return mid >= low && mid < high ? mid : low
    }
}
