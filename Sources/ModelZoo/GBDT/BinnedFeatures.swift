/// The training features as bin numbers: one `UInt8` column per feature, all columns in
/// one contiguous column-major array (feature `f`, row `r` at `f * rowCount + r`).
///
/// Exists so that histogram building streams one byte per row and feature instead of
/// eight, and so that bin mappers travel with the data they were built from.
struct BinnedFeatures: Sendable {
    let rowCount: Int
    let mappers: [BinMapper]
    let bins: [UInt8]
    /// Offset of each feature's first bin in a histogram; the last element is the total.
    let histogramOffsets: [Int]

    var featureCount: Int { mappers.count }
    var totalBinCount: Int { histogramOffsets[mappers.count] }

    init(_ x: FeatureMatrix, maxBin: Int, sampleCount: Int, seed: UInt64, runner: ParallelRunner) {
        let n = x.rowCount
        var rng = SplitMix64(seed: seed, stream: 3)
        let sampleRows: [Int32]? = n > sampleCount ? Sampling.sortedSubset(of: n, count: sampleCount, using: &rng) : nil
        let featureCount = x.columnCount
        var mappers = [BinMapper?](repeating: nil, count: featureCount)
        var bins = [UInt8](repeating: 0, count: n * featureCount)
        mappers.withUnsafeMutableBufferPointer { mapperOut in
            bins.withUnsafeMutableBufferPointer { binOut in
                runner.forEachJob(count: featureCount) { f in
                    do {
                        let column = x.columns[f]
                        let sample = sampleRows.map { rows in rows.map { column[Int($0)] } } ?? column
                        let mapper = x.isCategorical[f]
                            ? BinMapper.categorical(sample: sample, maxBin: maxBin)
                            : BinMapper.numeric(sample: sample, maxBin: maxBin)
                        mapperOut[f] = mapper
                        let out = binOut.baseAddress! + f * n
                        column.withUnsafeBufferPointer { values in
                            for r in 0..<n { out[r] = UInt8(truncatingIfNeeded: mapper.bin(of: values[r])) }
                        }
                    }
                }
            }
        }
        self.init(rowCount: n, mappers: mappers.map { $0! }, bins: bins)
    }

    init(rowCount: Int, mappers: [BinMapper], bins: [UInt8]) {
        precondition(bins.count == rowCount * mappers.count, "bins do not match rows × features")
        self.rowCount = rowCount
        self.mappers = mappers
        self.bins = bins
        var offsets = [0]
        offsets.reserveCapacity(mappers.count + 1)
        for mapper in mappers { offsets.append(offsets[offsets.count - 1] + mapper.totalBinCount) }
        self.histogramOffsets = offsets
    }

    /// Features that can ever be split on.
    var splittableFeatures: [Int32] {
        mappers.indices.filter { !mappers[$0].isTrivial }.map { Int32($0) }
    }
}
