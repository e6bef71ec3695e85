import Foundation

/// Training rows already binned for histogram boosting: each feature's bin edges and one byte per
/// row and feature, as LightGBM's `Dataset`.
///
/// Exists so that the jobs of one run that train on the same rows, or on subsets of them, bin
/// once: a subset keeps the edges of the rows the dataset was built from (LightGBM's
/// `reference=`), and training on it gives the model that binning those rows with the same edges
/// would give, bit for bit. It travels between processes as `encode()` bytes.
public struct BinnedDataset: Sendable, Equatable {
    /// What decides the edges, checked against the trainer's parameters so that a setting is never ignored.
    public struct Settings: Sendable, Hashable {
        public var maxBin: Int
        public var minDataInBin: Int
        public var sampleCount: Int
        /// The sampling seed; it decides the edges only when the rows outnumber `sampleCount`.
        public var seed: UInt64

        public init(maxBin: Int, minDataInBin: Int = GBDTParameters().minDataInBin, sampleCount: Int, seed: UInt64) {
            self.maxBin = maxBin
            self.minDataInBin = minDataInBin
            self.sampleCount = sampleCount
            self.seed = seed
        }

        public init(_ parameters: GBDTParameters) {
            self.init(maxBin: parameters.maxBin, minDataInBin: parameters.minDataInBin, sampleCount: parameters.binSampleCount, seed: parameters.seed)
        }
    }

    public let names: [String]
    public let isCategorical: [Bool]
    public let settings: Settings
    /// Rows the edges were found on (the dataset's rows before any subset).
    public let edgeRows: Int
    public let rowCount: Int
    let mappers: [BinMapper]
    /// Column-major: feature `f`, row `r` at `f * rowCount + r`.
    let bins: [UInt8]

    /// Edges found on the rows of `x` (a sample of `settings.sampleCount` of them when more), as
    /// `GBDTTrainer` finds them.
    public init(_ x: FeatureMatrix, settings: Settings, threads: Int = 0) {
        let (mappers, bins) = BinnedFeatures.bin(x, maxBin: settings.maxBin, minDataInBin: settings.minDataInBin, sampleCount: settings.sampleCount, seed: settings.seed,
                                                 runner: ParallelRunner(threads: threads))
        self.init(names: x.names, isCategorical: x.isCategorical, settings: settings, edgeRows: x.rowCount, mappers: mappers, bins: bins)
    }

    /// The rows of `x` binned with the edges of `reference` (its features, in its order).
    public init(_ x: FeatureMatrix, reference: BinnedDataset) throws {
        let indices = try x.columnIndices(for: reference.names)
        for (f, column) in indices.enumerated() where x.isCategorical[column] != reference.isCategorical[f] {
            throw GBDTError.invalidModel("feature '\(reference.names[f])' is \(x.isCategorical[column] ? "categorical" : "numeric") here but not in the reference bins")
        }
        let n = x.rowCount
        var bins = [UInt8](repeating: 0, count: n * indices.count)
        bins.withUnsafeMutableBufferPointer { out in
            for (f, column) in indices.enumerated() {
                x.columns[column].withUnsafeBufferPointer { reference.mappers[f].binAll($0, into: out.baseAddress! + f * n) }
            }
        }
        self.init(names: reference.names, isCategorical: reference.isCategorical, settings: reference.settings,
                  edgeRows: reference.edgeRows, mappers: reference.mappers, bins: bins)
    }

    init(names: [String], isCategorical: [Bool], settings: Settings, edgeRows: Int, mappers: [BinMapper], bins: [UInt8]) {
        precondition(names.count == mappers.count && isCategorical.count == mappers.count, "one mapper per feature")
        self.names = names
        self.isCategorical = isCategorical
        self.settings = settings
        self.edgeRows = edgeRows
        self.mappers = mappers
        self.bins = bins
        rowCount = mappers.isEmpty ? 0 : bins.count / mappers.count
    }

    public var featureCount: Int { names.count }

    /// The given rows (indices into this dataset, in the order given), with the same edges.
    public func rows(_ indices: [Int]) throws -> BinnedDataset {
        if let bad = indices.first(where: { $0 < 0 || $0 >= rowCount }) {
            throw GBDTError.invalidModel("row \(bad) is outside the \(rowCount) binned rows")
        }
        let n = rowCount, m = indices.count, features = featureCount
        let subset = [UInt8](unsafeUninitializedCapacity: m * features) { out, initialized in
            bins.withUnsafeBufferPointer { source in
                indices.withUnsafeBufferPointer { rows in
                    for f in 0..<features {
                        let column = source.baseAddress! + f &* n
                        let target = out.baseAddress! + f &* m
                        for (i, row) in rows.enumerated() { target[i] = column[row] }
                    }
                }
            }
            initialized = m * features
        }
        return BinnedDataset(names: names, isCategorical: isCategorical, settings: settings, edgeRows: edgeRows, mappers: mappers, bins: subset)
    }

    /// Throws unless these bins are the ones `parameters` would find (same features, bin count, sample).
    func check(against parameters: GBDTParameters) throws {
        let wanted = Settings(parameters)
        let sampled = edgeRows > settings.sampleCount
        guard wanted.maxBin == settings.maxBin, wanted.minDataInBin == settings.minDataInBin, wanted.sampleCount == settings.sampleCount,
              !sampled || wanted.seed == settings.seed else {
            throw GBDTError.invalidParameter(name: "maxBin/minDataInBin/binSampleCount/seed",
                                             value: "\(wanted.maxBin)/\(wanted.minDataInBin)/\(wanted.sampleCount)/\(wanted.seed)",
                                             rule: "must match the binned rows' \(settings.maxBin)/\(settings.minDataInBin)/\(settings.sampleCount)/\(settings.seed)")
        }
    }

    var features: BinnedFeatures { BinnedFeatures(rowCount: rowCount, mappers: mappers, bins: bins) }

    // MARK: Bytes

    static let artifactKind = "binned-dataset"
    private static let numericTag: UInt8 = 0
    private static let categoricalTag: UInt8 = 1

    /// The ModelZoo artifact envelope (magic, version, kind `binned-dataset`, CRC-32) around the
    /// settings, each feature's name, kind and edges, then the bins, column by column.
    public func encode() -> Data {
        var writer = ModelArtifact.writer(kind: Self.artifactKind, reservingCapacity: bins.count + 64 * featureCount)
        writer.write(UInt32(settings.maxBin))
        writer.write(UInt32(settings.minDataInBin))
        writer.write(UInt64(settings.sampleCount))
        writer.write(settings.seed)
        writer.write(UInt64(edgeRows))
        writer.write(UInt64(rowCount))
        writer.write(UInt32(featureCount))
        for (f, mapper) in mappers.enumerated() {
            writer.write(names[f])
            writer.write(mapper.sawMissing)
            writer.write(mapper.isTrivial)
            switch mapper.kind {
            case .numeric(let bounds):
                writer.write(Self.numericTag)
                writer.write(UInt32(bounds.count))
                writer.write(contentsOf: bounds)
            case .categorical(let codes, _):
                writer.write(Self.categoricalTag)
                writer.write(UInt32(codes.count))
                writer.write(contentsOf: codes.map(Int64.init))
            }
        }
        writer.write(contentsOf: bins)
        return ModelArtifact.seal(writer)
    }

    /// Decodes `encode()` bytes, checking every edge and every bin, since the bins index histograms.
    public init(decoding data: Data) throws {
        var reader = try ModelArtifact.reader(for: data, kind: Self.artifactKind)
        let maxBin = Int(try reader.read(UInt32.self, "max bin"))
        let minDataInBin = Int(try reader.read(UInt32.self, "min data in bin"))
        let sampleCount = try reader.read(UInt64.self, "sample count")
        let seed = try reader.read(UInt64.self, "seed")
        let edgeRows = try reader.read(UInt64.self, "edge rows")
        let rows = try reader.read(UInt64.self, "row count")
        let count = Int(try reader.read(UInt32.self, "feature count"))
        guard (1...255).contains(maxBin), minDataInBin >= 1, sampleCount >= 1, sampleCount < 1 << 40, edgeRows < 1 << 40, rows < UInt64(Int32.max),
              count >= 1, count <= reader.remaining else {
            throw ModelArtifactError.corrupt("binned dataset header: max bin \(maxBin), sample \(sampleCount), \(rows) rows, \(count) features")
        }
        var names: [String] = [], categorical: [Bool] = [], mappers: [BinMapper] = []
        for f in 0..<count {
            let name = try reader.readString("feature \(f) name")
            let sawMissing = try reader.readBool("feature \(name) missing flag")
            let isTrivial = try reader.readBool("feature \(name) trivial flag")
            let tag = try reader.read(UInt8.self, "feature \(name) kind")
            let edges = Int(try reader.read(UInt32.self, "feature \(name) edge count"))
            switch tag {
            case Self.numericTag:
                let bounds = try reader.readDoubles(count: edges, "feature \(name) bounds")
                guard (1...255).contains(bounds.count), bounds.last == .infinity, zip(bounds, bounds.dropFirst()).allSatisfy({ $0 < $1 }) else {
                    throw ModelArtifactError.corrupt("feature \(name): bin bounds must be 1–255 increasing values ending at +infinity")
                }
                mappers.append(BinMapper(kind: .numeric(upperBounds: bounds), sawMissing: sawMissing, isTrivial: isTrivial))
            case Self.categoricalTag:
                let codes = try reader.readArray(Int64.self, count: edges, "feature \(name) codes").map { Int($0) }
                guard codes.count <= 254, codes.allSatisfy({ $0 >= 0 && $0 <= Int(Int32.max) }), Set(codes).count == codes.count else {
                    throw ModelArtifactError.corrupt("feature \(name): categorical codes must be at most 254 distinct non-negative codes")
                }
                var codeToBin = [Int: Int](minimumCapacity: codes.count)
                for (bin, code) in codes.enumerated() { codeToBin[code] = bin }
                mappers.append(BinMapper(kind: .categorical(codes: codes, codeToBin: codeToBin), sawMissing: sawMissing, isTrivial: isTrivial))
            default:
                throw ModelArtifactError.corrupt("feature \(name): unknown kind tag \(tag)")
            }
            names.append(name)
            categorical.append(tag == Self.categoricalTag)
        }
        guard Set(names).count == names.count else { throw ModelArtifactError.corrupt("binned dataset names a feature twice") }
        let n = Int(rows)
        guard n * count <= reader.remaining else { throw ModelArtifactError.truncated("bins") }
        let bins = try reader.readArray(UInt8.self, count: n * count, "bins")
        try reader.finish("binned dataset")
        for (f, mapper) in mappers.enumerated() {
            let limit = mapper.totalBinCount
            if limit <= 255, bins[(f * n)..<((f + 1) * n)].contains(where: { Int($0) >= limit }) {
                throw ModelArtifactError.corrupt("feature \(names[f]): a bin number is outside its \(mapper.totalBinCount) bins")
            }
        }
        self.init(names: names, isCategorical: categorical, settings: Settings(maxBin: maxBin, minDataInBin: minDataInBin, sampleCount: Int(sampleCount), seed: seed),
                  edgeRows: Int(edgeRows), mappers: mappers, bins: bins)
    }
}
