/// One fitted decision tree, stored as flat arrays in LightGBM's layout.
///
/// Internal node `i` splits on `splitFeature[i]` (an index into the model's feature
/// names). Numeric nodes (`categoricalSplit[i] == -1`) send a row left when its value is
/// `<= threshold[i]` (the threshold may be +infinity: "every value left, missing right").
/// Categorical nodes send a row left when its code is in the node's bitset:
/// words `categoryBitset[categoryBoundaries[k] ..< categoryBoundaries[k+1]]` for
/// `k = categoricalSplit[i]`, code `c` at bit `c % 32` of word `c / 32`. Missing values
/// (NaN; for categorical nodes also negative codes) follow `defaultLeft[i]`.
/// Children ≥ 0 are internal nodes; a negative child is `~leafIndex`. Node 0 is the root;
/// a tree with one leaf has no internal nodes. Leaf values already include the learning rate.
///
/// Gains, counts and hessian sums per node and leaf are kept for importance and for the
/// "cover" used by TreeSHAP. (`Codable` through JSON needs a non-conforming-float strategy
/// for infinite thresholds; the binary artifact stores them natively.)
public struct RegressionTree: Sendable, Equatable, Codable {
    public let splitFeature: [Int32]
    public let threshold: [Double]
    public let categoricalSplit: [Int32]
    public let defaultLeft: [Bool]
    public let leftChild: [Int32]
    public let rightChild: [Int32]
    public let splitGain: [Double]
    public let internalCount: [Int]
    public let internalHessian: [Double]
    public let leafValue: [Double]
    public let leafCount: [Int]
    public let leafHessian: [Double]
    public let categoryBoundaries: [Int32]
    public let categoryBitset: [UInt32]

    /// Builds and validates a tree; `featureCount`, when given, bounds the split features.
    public init(splitFeature: [Int32], threshold: [Double], categoricalSplit: [Int32], defaultLeft: [Bool],
                leftChild: [Int32], rightChild: [Int32], splitGain: [Double], internalCount: [Int],
                internalHessian: [Double], leafValue: [Double], leafCount: [Int], leafHessian: [Double],
                categoryBoundaries: [Int32], categoryBitset: [UInt32], featureCount: Int? = nil) throws {
        self.splitFeature = splitFeature
        self.threshold = threshold
        self.categoricalSplit = categoricalSplit
        self.defaultLeft = defaultLeft
        self.leftChild = leftChild
        self.rightChild = rightChild
        self.splitGain = splitGain
        self.internalCount = internalCount
        self.internalHessian = internalHessian
        self.leafValue = leafValue
        self.leafCount = leafCount
        self.leafHessian = leafHessian
        self.categoryBoundaries = categoryBoundaries
        self.categoryBitset = categoryBitset
        try validate(featureCount: featureCount)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            splitFeature: c.decode([Int32].self, forKey: .splitFeature),
            threshold: c.decode([Double].self, forKey: .threshold),
            categoricalSplit: c.decode([Int32].self, forKey: .categoricalSplit),
            defaultLeft: c.decode([Bool].self, forKey: .defaultLeft),
            leftChild: c.decode([Int32].self, forKey: .leftChild),
            rightChild: c.decode([Int32].self, forKey: .rightChild),
            splitGain: c.decode([Double].self, forKey: .splitGain),
            internalCount: c.decode([Int].self, forKey: .internalCount),
            internalHessian: c.decode([Double].self, forKey: .internalHessian),
            leafValue: c.decode([Double].self, forKey: .leafValue),
            leafCount: c.decode([Int].self, forKey: .leafCount),
            leafHessian: c.decode([Double].self, forKey: .leafHessian),
            categoryBoundaries: c.decode([Int32].self, forKey: .categoryBoundaries),
            categoryBitset: c.decode([UInt32].self, forKey: .categoryBitset))
    }

    public var numberOfLeaves: Int { leafValue.count }
    public var numberOfInternalNodes: Int { splitFeature.count }

    /// Whether internal node `node` sends `value` (of its split feature) to the left child.
    public func goesLeft(node: Int, value: Double) -> Bool {
        let category = Int(categoricalSplit[node])
        if category < 0 {
            return value.isNaN ? defaultLeft[node] : value <= threshold[node]
        }
        if value.isNaN || value < 0 { return defaultLeft[node] }
        guard value < 2_147_483_648 else { return false }
        let code = Int(value)
        let begin = Int(categoryBoundaries[category])
        let words = Int(categoryBoundaries[category + 1]) - begin
        let word = code >> 5
        return word < words && (categoryBitset[begin + word] >> UInt32(code & 31)) & 1 == 1
    }

    /// The leaf reached by a row whose feature values (in model feature order) are `row`.
    public func leafIndex(_ row: [Double]) -> Int {
        guard !splitFeature.isEmpty else { return 0 }
        var node: Int32 = 0
        while node >= 0 {
            let i = Int(node)
            node = goesLeft(node: i, value: row[Int(splitFeature[i])]) ? leftChild[i] : rightChild[i]
        }
        return Int(~node)
    }

    public func predict(_ row: [Double]) -> Double {
        leafValue[leafIndex(row)]
    }

    /// Codes sent left by categorical node `node` (empty for numeric nodes).
    public func leftCategories(node: Int) -> [Int] {
        let category = Int(categoricalSplit[node])
        guard category >= 0 else { return [] }
        var codes = [Int]()
        for word in Int(categoryBoundaries[category])..<Int(categoryBoundaries[category + 1]) {
            let bits = categoryBitset[word]
            for bit in 0..<32 where (bits >> UInt32(bit)) & 1 == 1 {
                codes.append((word - Int(categoryBoundaries[category])) * 32 + bit)
            }
        }
        return codes
    }

    // MARK: Validation

    /// Checks array lengths, index ranges and that the children form one tree rooted at node 0.
    func validate(featureCount: Int?) throws {
        func fail(_ message: String) -> GBDTError { .invalidModel("tree: \(message)") }
        let leaves = leafValue.count
        guard leaves >= 1 else { throw fail("has no leaves") }
        let internalNodes = leaves - 1
        let internalArrays: [(String, Int)] = [
            ("splitFeature", splitFeature.count), ("threshold", threshold.count),
            ("categoricalSplit", categoricalSplit.count), ("defaultLeft", defaultLeft.count),
            ("leftChild", leftChild.count), ("rightChild", rightChild.count), ("splitGain", splitGain.count),
            ("internalCount", internalCount.count), ("internalHessian", internalHessian.count),
        ]
        for (name, count) in internalArrays where count != internalNodes {
            throw fail("\(name) has \(count) entries for \(leaves) leaves (expected \(internalNodes))")
        }
        guard leafCount.count == leaves, leafHessian.count == leaves else {
            throw fail("leaf arrays disagree in length")
        }
        if categoryBoundaries.isEmpty {
            guard categoryBitset.isEmpty else { throw fail("category bitset without boundaries") }
        } else {
            guard categoryBoundaries[0] == 0, Int(categoryBoundaries[categoryBoundaries.count - 1]) == categoryBitset.count,
                  zip(categoryBoundaries, categoryBoundaries.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw fail("category boundaries are not an increasing cover of the bitset")
            }
        }
        let categorySplits = max(0, categoryBoundaries.count - 1)
        for i in 0..<internalNodes {
            guard splitFeature[i] >= 0, featureCount.map({ Int(splitFeature[i]) < $0 }) ?? true else {
                throw fail("node \(i) splits on feature \(splitFeature[i]), outside the model's features")
            }
            guard categoricalSplit[i] >= -1, Int(categoricalSplit[i]) < categorySplits else {
                throw fail("node \(i) refers to categorical split \(categoricalSplit[i]) of \(categorySplits)")
            }
            guard categoricalSplit[i] >= 0 || !threshold[i].isNaN else { throw fail("node \(i) has a NaN threshold") }
            guard splitGain[i].isFinite, internalHessian[i].isFinite, internalCount[i] >= 0 else {
                throw fail("node \(i) has a non-finite gain or hessian, or a negative count")
            }
        }
        for i in 0..<leaves {
            guard leafValue[i].isFinite, leafHessian[i].isFinite, leafCount[i] >= 0 else {
                throw fail("leaf \(i) has a non-finite value or hessian, or a negative count")
            }
        }
        guard internalNodes > 0 else { return }
        var seenNodes = [Bool](repeating: false, count: internalNodes)
        var seenLeaves = [Bool](repeating: false, count: leaves)
        var stack: [Int32] = [0]
        seenNodes[0] = true
        while let node = stack.popLast() {
            for child in [leftChild[Int(node)], rightChild[Int(node)]] {
                if child >= 0 {
                    guard Int(child) < internalNodes, !seenNodes[Int(child)] else {
                        throw fail("node \(node) has child \(child), which is out of range or reached twice")
                    }
                    seenNodes[Int(child)] = true
                    stack.append(child)
                } else {
                    let leaf = Int(~child)
                    guard leaf < leaves, !seenLeaves[leaf] else {
                        throw fail("node \(node) has leaf child \(leaf), which is out of range or reached twice")
                    }
                    seenLeaves[leaf] = true
                }
            }
        }
        guard seenNodes.allSatisfy({ $0 }), seenLeaves.allSatisfy({ $0 }) else {
            throw fail("some nodes or leaves are unreachable from the root")
        }
    }
}

extension RegressionTree {
    /// Converts a tree grown on bins into raw-value thresholds and category bitsets.
    init(grown: GrownTree, mappers: [BinMapper], leafValues: [Double]) {
        var threshold = [Double]()
        var categoricalSplit = [Int32]()
        var boundaries: [Int32] = []
        var bitset: [UInt32] = []
        for split in grown.splits {
            let mapper = mappers[Int(split.feature)]
            if split.isCategorical {
                let codes = split.leftBins.elements.compactMap { mapper.categoryCode(ofBin: $0) }
                let words = (codes.max() ?? 0) / 32 + 1
                var bits = [UInt32](repeating: 0, count: words)
                for code in codes { bits[code / 32] |= UInt32(1) << UInt32(code % 32) }
                if boundaries.isEmpty { boundaries.append(0) }
                categoricalSplit.append(Int32(boundaries.count - 1))
                bitset.append(contentsOf: bits)
                boundaries.append(Int32(bitset.count))
                threshold.append(0)
            } else {
                categoricalSplit.append(-1)
                threshold.append(mapper.upperBound(ofBin: split.thresholdBin))
            }
        }
        self.splitFeature = grown.splits.map(\.feature)
        self.threshold = threshold
        self.categoricalSplit = categoricalSplit
        self.defaultLeft = grown.splits.map(\.defaultLeft)
        self.leftChild = grown.splits.map(\.left)
        self.rightChild = grown.splits.map(\.right)
        self.splitGain = grown.splits.map(\.gain)
        self.internalCount = grown.splits.map(\.stats.count)
        self.internalHessian = grown.splits.map(\.stats.hessian)
        self.leafValue = leafValues
        self.leafCount = grown.leaves.map(\.count)
        self.leafHessian = grown.leaves.map(\.hessian)
        self.categoryBoundaries = boundaries
        self.categoryBitset = bitset
    }
}
