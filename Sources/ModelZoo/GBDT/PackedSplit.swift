/// One internal node of a `RegressionTree` with its fields side by side, for the hot loops that
/// walk many rows through many trees (scoring in `PackedEnsemble`, explaining in `TreeSHAP`).
struct PackedSplit: Sendable {
    var threshold: Double
    var feature: Int32
    /// Children: ≥ 0 internal, negative `~leaf`.
    var left: Int32
    var right: Int32
    /// First bitset word of a categorical node (offset by `bitsetBase`), or -1 for numeric nodes.
    var categoryBegin: Int32
    var categoryWords: Int32
    var defaultLeft: Bool

    /// Node `i` of `tree`; category words are addressed from `bitsetBase` in the caller's bitset.
    init(_ tree: RegressionTree, node i: Int, bitsetBase: Int = 0) {
        let category = Int(tree.categoricalSplit[i])
        threshold = tree.threshold[i]
        feature = tree.splitFeature[i]
        left = tree.leftChild[i]
        right = tree.rightChild[i]
        defaultLeft = tree.defaultLeft[i]
        if category >= 0 {
            categoryBegin = Int32(bitsetBase) + tree.categoryBoundaries[category]
            categoryWords = tree.categoryBoundaries[category + 1] - tree.categoryBoundaries[category]
        } else {
            categoryBegin = -1
            categoryWords = 0
        }
    }

    /// Whether value `x` takes the left branch: missing values follow the learned default, a
    /// category goes left when its bit is set, an unseen or negative code goes right.
    @inline(__always)
    func goesLeft(_ x: Double, bitset: UnsafePointer<UInt32>?) -> Bool {
        if categoryBegin < 0 {
            return x.isNaN ? defaultLeft : x <= threshold
        }
        if x.isNaN || x < 0 { return defaultLeft }
        guard x < 2_147_483_648, let bitset else { return false }
        let code = Int(x)
        let word = code >> 5
        return word < Int(categoryWords) && (bitset[Int(categoryBegin) &+ word] >> UInt32(code & 31)) & 1 == 1
    }
}
