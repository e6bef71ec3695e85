import Foundation

/// Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, Algorithm 2) for a GBDT.
///
/// For every row it gives one SHAP value per feature, in raw-score (margin) space, such that
/// `expectedValue + Σ φ = predictRaw(row)`. Conditional expectations follow each node's
/// training cover (row counts, as shap's TreeExplainer uses for LightGBM). Rows are explained
/// in parallel; the polynomial-time recursion walks flat arrays with unsafe pointers.
public struct TreeSHAP: Sendable {
    public let model: GBDTModel
    /// The mean raw score over the training cover: the base every explanation starts from.
    public let expectedValue: Double
    private let trees: [FlatTree]
    private let maxDepth: Int

    public init(model: GBDTModel) {
        self.model = model
        trees = model.activeTrees.map(FlatTree.init)
        maxDepth = trees.map(\.depth).max() ?? 0
        expectedValue = model.baseScore + trees.reduce(0) { $0 + $1.expectedValue }
    }

    /// SHAP values, row-major: `values[row * featureCount + feature]`, features in the model's order.
    public func explain(_ x: FeatureMatrix, threads: Int = 0) throws -> (values: [Double], featureCount: Int) {
        let features = model.featureNames.count
        let columns = try model.featureNames.map { name -> [Double] in
            guard let i = x.index(of: name) else { throw FeatureMatrixError.missingFeature(name, available: x.names) }
            return x.columns[i]
        }
        let rows = x.rowCount
        var values = [Double](repeating: 0, count: rows * features)
        let pathCapacity = (maxDepth + 2) * (maxDepth + 3) / 2
        values.withUnsafeMutableBufferPointer { output in
            let out = UnsafeMutableSendablePointer(output.baseAddress)
            ParallelRunner(threads: threads).forEachChunk(count: rows, minimumPerChunk: 64) { _, range in
                let path = UnsafeMutablePointer<PathElement>.allocate(capacity: pathCapacity)
                let row = UnsafeMutablePointer<Double>.allocate(capacity: max(features, 1))
                defer {
                    path.deallocate()
                    row.deallocate()
                }
                for r in range {
                    for f in 0..<features { row[f] = columns[f][r] }
                    let phi = out.pointer! + r * features
                    for tree in trees where tree.leafCount > 1 {
                        tree.explain(row: row, phi: phi, path: path)
                    }
                }
            }
        }
        return (values, features)
    }
}

/// A raw pointer passed into parallel jobs that each write a disjoint range.
struct UnsafeMutableSendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Double>?
    init(_ pointer: UnsafeMutablePointer<Double>?) { self.pointer = pointer }
}

struct PathElement {
    var feature: Int32
    var zeroFraction: Double
    var oneFraction: Double
    var weight: Double
}

/// One tree in the layout the recursion wants: nodes 0..<internal are splits, leaves follow.
struct FlatTree: Sendable {
    let tree: RegressionTree
    let leafCount: Int
    /// Cover of node `n` (internal) or of leaf `l` at `internalCount + l`.
    let cover: [Double]
    let depth: Int
    let expectedValue: Double

    init(_ tree: RegressionTree) {
        self.tree = tree
        leafCount = tree.numberOfLeaves
        let internalNodes = tree.numberOfInternalNodes
        var cover = tree.internalCount.map(Double.init) + tree.leafCount.map(Double.init)
        if internalNodes == 0 { cover = [1] }
        self.cover = cover
        func depthOf(_ child: Int32) -> Int {
            child < 0 ? 0 : 1 + max(depthOf(tree.leftChild[Int(child)]), depthOf(tree.rightChild[Int(child)]))
        }
        depth = internalNodes == 0 ? 0 : depthOf(0)
        let total = internalNodes == 0 ? 1 : max(cover[0], 1e-300)
        var expected = 0.0
        for leaf in 0..<tree.numberOfLeaves {
            expected += tree.leafValue[leaf] * (internalNodes == 0 ? 1 : cover[internalNodes + leaf] / total)
        }
        expectedValue = expected
    }

    func explain(row: UnsafeMutablePointer<Double>, phi: UnsafeMutablePointer<Double>, path: UnsafeMutablePointer<PathElement>) {
        recurse(node: 0, row: row, phi: phi, path: path, depth: 0, zeroFraction: 1, oneFraction: 1, feature: -1)
    }

    private func recurse(node: Int32, row: UnsafeMutablePointer<Double>, phi: UnsafeMutablePointer<Double>,
                         path parentPath: UnsafeMutablePointer<PathElement>, depth parentDepth: Int,
                         zeroFraction: Double, oneFraction: Double, feature: Int32) {
        var depth = parentDepth
        let path = parentPath + depth + 1
        path.update(from: parentPath, count: depth + 1)
        FlatTree.extend(path, depth: depth, zeroFraction: zeroFraction, oneFraction: oneFraction, feature: feature)

        if node < 0 {
            let value = tree.leafValue[Int(~node)]
            if depth >= 1 {
                for i in 1...depth {
                    let weight = FlatTree.unwoundSum(path, depth: depth, index: i)
                    let element = path[i]
                    phi[Int(element.feature)] += weight * (element.oneFraction - element.zeroFraction) * value
                }
            }
            return
        }
        let n = Int(node)
        let split = tree.splitFeature[n]
        let goesLeft = tree.goesLeft(node: n, value: row[Int(split)])
        let hot = goesLeft ? tree.leftChild[n] : tree.rightChild[n]
        let cold = goesLeft ? tree.rightChild[n] : tree.leftChild[n]
        let nodeCover = max(cover[n], 1e-300)
        let hotFraction = coverOf(hot) / nodeCover
        let coldFraction = coverOf(cold) / nodeCover
        var incomingZero = 1.0, incomingOne = 1.0

        var index = 0
        while index <= depth, path[index].feature != split { index += 1 }
        if index != depth + 1 {
            incomingZero = path[index].zeroFraction
            incomingOne = path[index].oneFraction
            FlatTree.unwind(path, depth: depth, index: index)
            depth -= 1
        }
        recurse(node: hot, row: row, phi: phi, path: path, depth: depth + 1, zeroFraction: hotFraction * incomingZero, oneFraction: incomingOne, feature: split)
        recurse(node: cold, row: row, phi: phi, path: path, depth: depth + 1, zeroFraction: coldFraction * incomingZero, oneFraction: 0, feature: split)
    }

    private func coverOf(_ child: Int32) -> Double {
        child < 0 ? cover[tree.numberOfInternalNodes + Int(~child)] : cover[Int(child)]
    }

    static func extend(_ path: UnsafeMutablePointer<PathElement>, depth: Int, zeroFraction: Double, oneFraction: Double, feature: Int32) {
        path[depth] = PathElement(feature: feature, zeroFraction: zeroFraction, oneFraction: oneFraction, weight: depth == 0 ? 1 : 0)
        let denominator = Double(depth + 1)
        var i = depth - 1
        while i >= 0 {
            path[i + 1].weight += oneFraction * path[i].weight * Double(i + 1) / denominator
            path[i].weight = zeroFraction * path[i].weight * Double(depth - i) / denominator
            i -= 1
        }
    }

    static func unwind(_ path: UnsafeMutablePointer<PathElement>, depth: Int, index: Int) {
        let oneFraction = path[index].oneFraction
        let zeroFraction = path[index].zeroFraction
        var nextOnePortion = path[depth].weight
        let denominator = Double(depth + 1)
        var i = depth - 1
        while i >= 0 {
            if oneFraction != 0 {
                let saved = path[i].weight
                path[i].weight = nextOnePortion * denominator / (Double(i + 1) * oneFraction)
                nextOnePortion = saved - path[i].weight * zeroFraction * Double(depth - i) / denominator
            } else {
                path[i].weight = path[i].weight * denominator / (zeroFraction * Double(depth - i))
            }
            i -= 1
        }
        for j in index..<depth {
            path[j].feature = path[j + 1].feature
            path[j].zeroFraction = path[j + 1].zeroFraction
            path[j].oneFraction = path[j + 1].oneFraction
        }
    }

    static func unwoundSum(_ path: UnsafeMutablePointer<PathElement>, depth: Int, index: Int) -> Double {
        let oneFraction = path[index].oneFraction
        let zeroFraction = path[index].zeroFraction
        var nextOnePortion = path[depth].weight
        var total = 0.0
        let denominator = Double(depth + 1)
        var i = depth - 1
        while i >= 0 {
            if oneFraction != 0 {
                let piece = nextOnePortion * denominator / (Double(i + 1) * oneFraction)
                total += piece
                nextOnePortion = path[i].weight - piece * zeroFraction * Double(depth - i) / denominator
            } else {
                total += path[i].weight / zeroFraction / (Double(depth - i) / denominator)
            }
            i -= 1
        }
        return total
    }
}
