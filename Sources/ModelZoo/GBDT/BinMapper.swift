/// Maps one feature's raw values to small bin numbers, and bins back to raw split values.
///
/// Bins `0..<valueBinCount` hold values; bin `valueBinCount` (the last) holds missing
/// values, so a feature never needs more than 256 bins and fits a `UInt8`.
///
/// Numeric features get the bins LightGBM's `BinMapper::FindBin` gives them (its defaults
/// `min_data_in_bin` 3, `zero_as_missing` false): zero has a bin of its own, and each side of
/// it is binned by `GreedyFindBin` (few distinct values: a bin per run of at least
/// `minDataInBin` rows; many: frequent values alone, the rest in bins of roughly equal counts).
/// A missing value in the sample takes one of the `maxBin` bins. A bin `b` covers
/// `(upperBounds[b-1], upperBounds[b]]`; the last bound is +infinity.
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
    /// A feature is useful for splitting only if its sample fills at least two bins (the
    /// missing bin included).
    let isTrivial: Bool

    private init(kind: Kind, sawMissing: Bool, filledValueBins: Int) {
        self.init(kind: kind, sawMissing: sawMissing, isTrivial: filledValueBins + (sawMissing ? 1 : 0) < 2)
    }

    /// A mapper read back from bytes (`BinnedDataset`), which carry whether it was trivial.
    init(kind: Kind, sawMissing: Bool, isTrivial: Bool) {
        self.kind = kind
        self.sawMissing = sawMissing
        self.isTrivial = isTrivial
    }

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

    /// LightGBM's `kZeroThreshold` (1e-35 as a float): values within it of zero are zero.
    static let zeroThreshold = Double(Float(1e-35))

    /// Bins for a numeric feature from a sample of its values (NaN = missing).
    static func numeric(sample: [Double], maxBin: Int, minDataInBin: Int = GBDTParameters().minDataInBin) -> BinMapper {
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
        return numeric(distinct: distinct, counts: counts, sawMissing: sawMissing, maxBin: maxBin, minDataInBin: minDataInBin)
    }

    /// Bins for a numeric feature from its sorted column, counting the rows marked in
    /// `inSample` (every row when nil); the same bins as `numeric(sample:maxBin:minDataInBin:)` on those rows.
    static func numeric(sorted: SortedColumn, inSample: [Bool]?, maxBin: Int,
                        minDataInBin: Int = GBDTParameters().minDataInBin) -> BinMapper {
        let (distinct, counts) = sorted.distinctValues(counting: inSample)
        let sawMissing = inSample.map { mask in sorted.missingRows.contains { mask[Int($0)] } } ?? !sorted.missingRows.isEmpty
        return numeric(distinct: distinct, counts: counts, sawMissing: sawMissing, maxBin: maxBin, minDataInBin: minDataInBin)
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
        return BinMapper(kind: .categorical(codes: kept, codeToBin: codeToBin), sawMissing: sawMissing, filledValueBins: kept.count)
    }

    /// As LightGBM's `BinMapper::FindBin` for a numeric feature: a missing value in the sample
    /// takes one of the `maxBin` bins (here the missing bin), the rest go to
    /// `zeroAsOneBinBounds`.
    private static func numeric(distinct: [Double], counts: [Int], sawMissing: Bool, maxBin: Int, minDataInBin: Int) -> BinMapper {
        let (values, merged) = lightGBMDistinct(distinct, counts)
        let valueBins = sawMissing ? max(1, maxBin - 1) : maxBin
        let bounds = zeroAsOneBinBounds(distinct: values, counts: merged, maxBin: valueBins, minDataInBin: minDataInBin)
        let mapper = BinMapper(kind: .numeric(upperBounds: bounds), sawMissing: sawMissing, filledValueBins: 0)
        let filled = values.isEmpty ? 0 : 1 + mapper.bin(of: values[values.count - 1]) - mapper.bin(of: values[0])
        return BinMapper(kind: mapper.kind, sawMissing: sawMissing, filledValueBins: min(filled, 2))
    }

    /// The distinct values as LightGBM counts them: values within `zeroThreshold` of zero are
    /// one value 0, and neighbours at most one ulp apart are one value (the larger).
    static func lightGBMDistinct(_ distinct: [Double], _ counts: [Int]) -> (values: [Double], counts: [Int]) {
        var values = [Double]()
        var merged = [Int]()
        values.reserveCapacity(distinct.count)
        merged.reserveCapacity(distinct.count)
        for (value, count) in zip(distinct, counts) {
            let v = abs(value) <= zeroThreshold ? 0 : value
            if let last = values.last, v <= last.nextUp {
                values[values.count - 1] = v
                merged[merged.count - 1] += count
            } else {
                values.append(v)
                merged.append(count)
            }
        }
        return (values, merged)
    }

    /// LightGBM's `FindBinWithZeroAsOneBin`: zero gets a bin of its own, (−zeroThreshold,
    /// zeroThreshold], even when no value is zero; the negative values get their share of the
    /// other `maxBin − 1` bins and the positive values the rest, each side by `greedyBounds`.
    /// The last bound is +infinity.
    static func zeroAsOneBinBounds(distinct: [Double], counts: [Int], maxBin: Int, minDataInBin: Int) -> [Double] {
        let n = distinct.count
        var negativeRows = 0, zeroRows = 0, positiveRows = 0
        for (value, count) in zip(distinct, counts) {
            if value <= -zeroThreshold { negativeRows += count } else if value > zeroThreshold { positiveRows += count } else { zeroRows += count }
        }
        let negatives = distinct.firstIndex { $0 > -zeroThreshold } ?? n
        var bounds = [Double]()
        if negatives > 0 && maxBin > 1 {
            let share = Int(Double(negativeRows) / Double(negativeRows + positiveRows) * Double(maxBin - 1))
            bounds = greedyBounds(distinct: distinct[0..<negatives], counts: counts[0..<negatives], maxBin: max(1, share),
                                  total: negativeRows, minDataInBin: minDataInBin)
            bounds[bounds.count - 1] = -zeroThreshold
        }
        let positives = distinct[negatives...].firstIndex { $0 > zeroThreshold }
        let positiveBins = maxBin - 1 - bounds.count
        if let positives, positiveBins > 0 {
            bounds.append(zeroThreshold)
            bounds += greedyBounds(distinct: distinct[positives...], counts: counts[positives...], maxBin: positiveBins,
                                   total: positiveRows, minDataInBin: minDataInBin)
        } else {
            bounds.append(.infinity)
        }
        return bounds
    }

    /// LightGBM's `GreedyFindBin` over sorted distinct values and their counts: with at most
    /// `maxBin` values, a bound after each run of at least `minDataInBin` rows; otherwise
    /// frequent values get a bin of their own and the rest are grouped into bins of roughly
    /// equal counts (at most `total / minDataInBin` bins). The last bound is +infinity.
    static func greedyBounds(distinct: ArraySlice<Double>, counts: ArraySlice<Int>, maxBin: Int, total: Int,
                             minDataInBin: Int) -> [Double] {
        let d = Array(distinct), c = Array(counts)
        let n = d.count
        var bounds = [Double]()
        func append(_ low: Double, _ high: Double) -> Bool {
            let bound = upperBound(between: low, and: high)
            guard bound < .infinity, bounds.last.map({ bound > $0.nextUp }) ?? true else { return false }
            bounds.append(bound)
            return true
        }
        if n <= maxBin {
            var inBin = 0
            for i in 0..<max(0, n - 1) {
                inBin += c[i]
                if inBin >= minDataInBin && append(d[i], d[i + 1]) { inBin = 0 }
            }
        } else {
            let maxBin = minDataInBin > 0 ? max(1, min(maxBin, total / minDataInBin)) : maxBin
            var meanBinSize = Double(total) / Double(maxBin)
            var restBins = maxBin
            var restSamples = total
            let isBig = c.map { Double($0) >= meanBinSize }
            for (i, big) in isBig.enumerated() where big {
                restBins -= 1
                restSamples -= c[i]
            }
            meanBinSize = Double(restSamples) / Double(restBins)
            var upper = [Double](repeating: .infinity, count: maxBin + 1)
            var lower = upper
            var binCount = 0
            lower[0] = d[0]
            var inBin = 0
            for i in 0..<(n - 1) {
                if !isBig[i] { restSamples -= c[i] }
                inBin += c[i]
                let closes = isBig[i] || Double(inBin) >= meanBinSize
                    || (isBig[i + 1] && Double(inBin) >= max(1.0, meanBinSize * 0.5))
                guard closes else { continue }
                upper[binCount] = d[i]
                binCount += 1
                lower[binCount] = d[i + 1]
                if binCount >= maxBin - 1 { break }
                inBin = 0
                if !isBig[i] {
                    restBins -= 1
                    meanBinSize = Double(restSamples) / Double(restBins)
                }
            }
            for i in 0..<binCount { _ = append(upper[i], lower[i + 1]) }
        }
        bounds.append(.infinity)
        return bounds
    }

    /// LightGBM's split value between two neighbouring distinct values: the double just above
    /// their mean, so that `low` goes left and `high` goes right (−infinity beside +infinity: `low`).
    static func upperBound(between low: Double, and high: Double) -> Double {
        let mid = (low + high) / 2
        return mid.isNaN ? low : mid.nextUp
    }
}
