/// The training features as bin numbers: one `UInt8` column per feature, all columns in
/// one contiguous column-major array (feature `f`, row `r` at `f * rowCount + r`).
///
/// Exists so that histogram building streams one byte per row and feature instead of
/// eight, and so that bin mappers travel with the data they were built from.
struct BinnedFeatures: Sendable {
    let rowCount: Int
    let mappers: [BinMapper]
    let bins: [UInt8]
    let rowBins: [UInt8]
    /// Offset of each feature's first bin in a histogram; the last element is the total.
    let histogramOffsets: [Int]

    var featureCount: Int { mappers.count }
    var totalBinCount: Int { histogramOffsets[mappers.count] }

    init(_ x: FeatureMatrix, maxBin: Int, minDataInBin: Int = GBDTParameters().minDataInBin, sampleCount: Int, seed: UInt64, runner: ParallelRunner) {
        let (mappers, bins) = Self.bin(x, maxBin: maxBin, minDataInBin: minDataInBin, sampleCount: sampleCount, seed: seed, runner: runner)
        self.init(rowCount: x.rowCount, mappers: mappers, bins: bins)
    }

    /// Each feature's mapper, found on the rows of `x` (a sample of `sampleCount` of them when
    /// there are more), and every row's bins, column-major.
    static func bin(_ x: FeatureMatrix, maxBin: Int, minDataInBin: Int, sampleCount: Int, seed: UInt64, runner: ParallelRunner) -> (mappers: [BinMapper], bins: [UInt8]) {
        let n = x.rowCount
        var rng = SplitMix64(seed: seed, stream: 3)
        let sampleRows: [Int32]? = n > sampleCount ? Sampling.sortedSubset(of: n, count: sampleCount, using: &rng) : nil
        let featureCount = x.columnCount
        var inSample: [Bool]?
        if let sampleRows {
            var mask = [Bool](repeating: false, count: n)
            for row in sampleRows { mask[Int(row)] = true }
            inSample = mask
        }
        var mappers = [BinMapper?](repeating: nil, count: featureCount)
        var bins = [UInt8](repeating: 0, count: n * featureCount)
        mappers.withUnsafeMutableBufferPointer { mapperOut in
            bins.withUnsafeMutableBufferPointer { binOut in
                runner.forEachJob(count: featureCount) { f in
                    let column = x.columns[f]
                    let out = binOut.baseAddress! + f * n
                    if x.isCategorical[f] {
                        let sample = sampleRows.map { rows in rows.map { column[Int($0)] } } ?? column
                        let mapper = BinMapper.categorical(sample: sample, maxBin: maxBin)
                        column.withUnsafeBufferPointer { mapper.binAll($0, into: out) }
                        mapperOut[f] = mapper
                    } else {
                        let sorted = column.withUnsafeBufferPointer(SortedColumn.init)
                        let mapper = BinMapper.numeric(sorted: sorted, inSample: inSample, maxBin: maxBin, minDataInBin: minDataInBin)
                        guard case .numeric(let bounds) = mapper.kind else { preconditionFailure("numeric mapper expected") }
                        sorted.writeBins(bounds: bounds, into: out)
                        mapperOut[f] = mapper
                    }
                }
            }
        }
        return (mappers.map { $0! }, bins)
    }

    init(rowCount: Int, mappers: [BinMapper], bins: [UInt8]) {
        precondition(bins.count == rowCount * mappers.count, "bins do not match rows × features")
        self.rowCount = rowCount
        self.mappers = mappers
        self.bins = bins
        rowBins = Self.transpose(bins, rows: rowCount, features: mappers.count)
        var offsets = [0]
        offsets.reserveCapacity(mappers.count + 1)
        for mapper in mappers { offsets.append(offsets[offsets.count - 1] + mapper.totalBinCount) }
        self.histogramOffsets = offsets
    }

    /// Features that can ever be split on.
    var splittableFeatures: [Int32] {
        mappers.indices.filter { !mappers[$0].isTrivial }.map { Int32($0) }
    }

    private static func transpose(_ bins: [UInt8], rows: Int, features: Int) -> [UInt8] {
        let block = 256
        return [UInt8](unsafeUninitializedCapacity: rows * features + 8) { out, initialized in
            (out.baseAddress! + rows * features).initialize(repeating: 0, count: 8)
            bins.withUnsafeBufferPointer { columns in
                let source = columns.baseAddress!
                let target = out.baseAddress!
                var start = 0
                while start < rows {
                    let end = min(rows, start + block)
                    for f in 0..<features {
                        let column = source + f &* rows
                        for r in start..<end { target[r &* features &+ f] = column[r] }
                    }
                    start = end
                }
            }
            initialized = rows * features + 8
        }
    }
}
