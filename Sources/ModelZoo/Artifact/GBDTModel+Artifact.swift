import Foundation

extension GBDTModel {
    /// The artifact kind tag of GBDT models.
    public static let artifactKind = "gbdt"

    /// The model as a versioned binary artifact (layout in docs/artifact-format.md).
    public func encode() -> Data {
        let estimate = trees.reduce(0) { $0 + $1.numberOfLeaves * 80 } + featureNames.reduce(0) { $0 + $1.utf8.count + 4 }
        var w = ModelArtifact.writer(kind: Self.artifactKind, reservingCapacity: estimate + 64)
        switch objective {
        case .regression:
            w.write(UInt8(0))
        case .binary:
            w.write(UInt8(1))
        case .quantile(let alpha):
            w.write(UInt8(2))
            w.write(alpha)
        }
        w.write(baseScore)
        w.write(Int64(bestIteration ?? -1))
        w.write(UInt32(featureNames.count))
        for name in featureNames { w.write(name) }
        w.write(UInt32(trees.count))
        for tree in trees {
            w.write(UInt32(tree.numberOfLeaves))
            w.write(UInt32(tree.categoryBoundaries.count))
            w.write(UInt32(tree.categoryBitset.count))
            w.write(contentsOf: tree.splitFeature)
            w.write(contentsOf: tree.threshold)
            w.write(contentsOf: tree.categoricalSplit)
            w.write(contentsOf: tree.defaultLeft)
            w.write(contentsOf: tree.leftChild)
            w.write(contentsOf: tree.rightChild)
            w.write(contentsOf: tree.splitGain)
            w.write(contentsOf: tree.internalCount.map(Int64.init))
            w.write(contentsOf: tree.internalHessian)
            w.write(contentsOf: tree.leafValue)
            w.write(contentsOf: tree.leafCount.map(Int64.init))
            w.write(contentsOf: tree.leafHessian)
            w.write(contentsOf: tree.categoryBoundaries)
            w.write(contentsOf: tree.categoryBitset)
        }
        return ModelArtifact.seal(w)
    }

    /// Parses and validates an artifact written by `encode()`; throws `ModelArtifactError`
    /// for anything else.
    public static func decode(_ data: Data) throws -> GBDTModel {
        var r = try ModelArtifact.reader(for: data, kind: artifactKind)
        let objective: ObjectiveKind
        switch try r.read(UInt8.self, "objective") {
        case 0: objective = .regression
        case 1: objective = .binary
        case 2: objective = .quantile(alpha: try r.readDouble("quantile alpha"))
        case let tag: throw ModelArtifactError.corrupt("unknown objective tag \(tag)")
        }
        let baseScore = try r.readDouble("base score")
        let best = try r.read(Int64.self, "best iteration")
        let featureCount = Int(try r.read(UInt32.self, "feature count"))
        guard featureCount <= r.remaining / 4 else { throw ModelArtifactError.truncated("feature names") }
        var names = [String]()
        names.reserveCapacity(featureCount)
        for index in 0..<featureCount { names.append(try r.readString("name of feature \(index)")) }
        let treeCount = Int(try r.read(UInt32.self, "tree count"))
        guard treeCount <= r.remaining / 12 else { throw ModelArtifactError.truncated("trees") }
        var trees = [RegressionTree]()
        trees.reserveCapacity(treeCount)
        for index in 0..<treeCount {
            trees.append(try readTree(&r, index: index, featureCount: featureCount))
        }
        try r.finish("the last tree")
        guard best >= -1, best <= Int64(treeCount) else {
            throw ModelArtifactError.corrupt("best iteration \(best) is outside -1...\(treeCount)")
        }
        do {
            return try GBDTModel(featureNames: names, objective: objective, baseScore: baseScore, trees: trees,
                                 bestIteration: best < 0 ? nil : Int(best))
        } catch let error as GBDTError {
            throw ModelArtifactError.corrupt(error.description)
        }
    }

    private static func readTree(_ r: inout ArtifactReader, index: Int, featureCount: Int) throws -> RegressionTree {
        let what = "tree \(index)"
        let leaves = Int(try r.read(UInt32.self, "\(what) leaf count"))
        guard leaves >= 1 else { throw ModelArtifactError.corrupt("\(what) has no leaves") }
        let boundaryCount = Int(try r.read(UInt32.self, "\(what) category boundary count"))
        let wordCount = Int(try r.read(UInt32.self, "\(what) category word count"))
        let nodes = leaves - 1
        let splitFeature = try r.readArray(Int32.self, count: nodes, "\(what) split features")
        let threshold = try r.readDoubles(count: nodes, "\(what) thresholds")
        let categoricalSplit = try r.readArray(Int32.self, count: nodes, "\(what) categorical splits")
        let defaultLeft = try r.readBools(count: nodes, "\(what) default directions")
        let leftChild = try r.readArray(Int32.self, count: nodes, "\(what) left children")
        let rightChild = try r.readArray(Int32.self, count: nodes, "\(what) right children")
        let splitGain = try r.readDoubles(count: nodes, "\(what) split gains")
        let internalCount = try r.readArray(Int64.self, count: nodes, "\(what) node counts")
        let internalHessian = try r.readDoubles(count: nodes, "\(what) node hessians")
        let leafValue = try r.readDoubles(count: leaves, "\(what) leaf values")
        let leafCount = try r.readArray(Int64.self, count: leaves, "\(what) leaf counts")
        let leafHessian = try r.readDoubles(count: leaves, "\(what) leaf hessians")
        let boundaries = try r.readArray(Int32.self, count: boundaryCount, "\(what) category boundaries")
        let bitset = try r.readArray(UInt32.self, count: wordCount, "\(what) category bitset")
        guard internalCount.allSatisfy({ $0 >= 0 && $0 <= Int64(Int32.max) * 1024 }),
              leafCount.allSatisfy({ $0 >= 0 && $0 <= Int64(Int32.max) * 1024 }) else {
            throw ModelArtifactError.corrupt("\(what) has an impossible row count")
        }
        do {
            return try RegressionTree(
                splitFeature: splitFeature, threshold: threshold, categoricalSplit: categoricalSplit,
                defaultLeft: defaultLeft, leftChild: leftChild, rightChild: rightChild, splitGain: splitGain,
                internalCount: internalCount.map { Int($0) }, internalHessian: internalHessian, leafValue: leafValue,
                leafCount: leafCount.map { Int($0) }, leafHessian: leafHessian, categoryBoundaries: boundaries,
                categoryBitset: bitset, featureCount: featureCount)
        } catch let error as GBDTError {
            throw ModelArtifactError.corrupt("\(what): \(error.description)")
        }
    }
}
