/// Sums of gradients, hessians and rows of a set of rows (a leaf or one side of a split).
struct LeafStats: Sendable, Equatable {
    var gradient = 0.0
    var hessian = 0.0
    var count = 0
}

/// A set of bin numbers (0...255), stored inline so split candidates never allocate.
struct BinSet: Sendable, Equatable {
    private var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0

    mutating func insert(_ bin: Int) {
        let bit = UInt64(1) << UInt64(bin & 63)
        switch bin >> 6 {
        case 0: w0 |= bit
        case 1: w1 |= bit
        case 2: w2 |= bit
        default: w3 |= bit
        }
    }

    func contains(_ bin: Int) -> Bool {
        let word: UInt64
        switch bin >> 6 {
        case 0: word = w0
        case 1: word = w1
        case 2: word = w2
        default: word = w3
        }
        return word >> UInt64(bin & 63) & 1 == 1
    }

    var elements: [Int] { (0..<256).filter(contains) }
}

/// The best way found to split one leaf on one feature.
struct SplitCandidate: Sendable {
    var feature: Int32 = -1
    /// Gain over not splitting (LightGBM's definition: G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)).
    var gain = -Double.infinity
    var isCategorical = false
    /// Numeric splits: bins ≤ thresholdBin go left.
    var thresholdBin = 0
    /// Categorical splits: bins in this set go left; all other value bins go right.
    var leftBins = BinSet()
    var defaultLeft = false
    var left = LeafStats()
    var right = LeafStats()

    static let none = SplitCandidate()

    var isValid: Bool { feature >= 0 }
}

/// What split search needs to know of a feature's bins: how many hold values (the missing
/// bin comes right after them) and whether they are categories.
struct FeatureShape: Sendable {
    let valueBins: Int
    let isCategorical: Bool

    init(valueBins: Int, isCategorical: Bool) {
        self.valueBins = valueBins
        self.isCategorical = isCategorical
    }

    init(_ mapper: BinMapper) {
        self.init(valueBins: mapper.valueBinCount, isCategorical: mapper.isCategorical)
    }
}

/// Finds the best split of a leaf on one feature from that feature's histogram.
///
/// Missing values sit in their own bin; every candidate is tried with missing rows sent
/// left and sent right, and the better direction becomes the split's default.
///
/// Categorical features: with at most `maxCatToOneHot` categories, one-vs-rest splits;
/// otherwise LightGBM's many-vs-many search — categories with at least `catSmooth` rows
/// are sorted by sum(g) / (sum(h) + catSmooth) and prefixes of that order (from either
/// end, at most `maxCatThreshold` categories) are evaluated with L2 raised by `catL2`.
/// The pooled "other" bin always goes right.
struct SplitSearch: Sendable {
    let lambdaL2: Double
    let minDataInLeaf: Int
    let minSumHessianInLeaf: Double
    let minGainToSplit: Double
    let catSmooth: Double
    let catL2: Double
    let maxCatThreshold: Int
    let minDataPerGroup: Int
    let maxCatToOneHot: Int

    init(_ p: GBDTParameters) {
        lambdaL2 = p.lambdaL2
        minDataInLeaf = p.minDataInLeaf
        minSumHessianInLeaf = p.minSumHessianInLeaf
        minGainToSplit = p.minGainToSplit
        catSmooth = p.catSmooth
        catL2 = p.catL2
        maxCatThreshold = p.maxCatThreshold
        minDataPerGroup = p.minDataPerGroup
        maxCatToOneHot = p.maxCatToOneHot
    }

    @inline(__always)
    static func leafGain(_ g: Double, _ h: Double, _ lambda: Double) -> Double {
        g * g / (h + lambda)
    }

    /// The leaf value that minimises the second-order loss: −G / (H + λ).
    static func leafOutput(_ stats: LeafStats, lambda: Double) -> Double {
        let denominator = stats.hessian + lambda
        return denominator > 0 ? -stats.gradient / denominator : 0
    }

    /// Best split of a leaf with totals `total` on `feature`, whose histogram starts at `histogram`.
    func best(feature: Int32, mapper: BinMapper, histogram: UnsafePointer<Double>, total: LeafStats) -> SplitCandidate {
        best(feature: feature, shape: FeatureShape(mapper), histogram: histogram, total: total)
    }

    /// The same, for a feature described by its `shape` (no bin mapper, so no reference counting).
    func best(feature: Int32, shape: FeatureShape, histogram: UnsafePointer<Double>, total: LeafStats) -> SplitCandidate {
        guard shape.isCategorical else {
            return withUnsafeTemporaryAllocation(of: Double.self, capacity: 6 * 256) { scratch in
                searchNumeric(feature: feature, histogram: histogram, valueBins: shape.valueBins, total: total,
                              scratch: scratch.baseAddress!)
            }
        }
        var evaluator = Evaluator(search: self, feature: feature, total: total, missing: histogram, missingBin: shape.valueBins)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 256) { bins in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 256) { keys in
                searchCategorical(histogram: histogram, valueBins: shape.valueBins, evaluator: &evaluator,
                                  scratch: Scratch(bins: bins.baseAddress!, keys: keys.baseAddress!))
            }
        }
        return evaluator.best
    }

    /// Numeric thresholds "bin ≤ t goes left", each with missing rows sent right and then left
    /// (right only, and the larger side as default, when the leaf has no missing rows).
    ///
    /// Three passes over `scratch` (room for 6 × 256 doubles) instead of one branchy loop: the
    /// left sums at every non-empty bin; every candidate's score (−∞ when it breaks a
    /// constraint), with no branch to mispredict and the divisions in vector registers; and
    /// the first best score. The candidates, their order and their arithmetic are those of
    /// scanning the thresholds one by one, so the chosen split is the same.
    private func searchNumeric(feature: Int32, histogram h: UnsafePointer<Double>, valueBins: Int, total: LeafStats,
                               scratch: UnsafeMutablePointer<Double>) -> SplitCandidate {
        let sumG = scratch, sumH = scratch + 256, sumC = scratch + 512, bin = scratch + 768
        let scores = scratch + 1024
        let missingBin = valueBins
        let mg = h[missingBin &* 3], mh = h[missingBin &* 3 &+ 1], mc = h[missingBin &* 3 &+ 2]
        // Left sums after each bin that holds rows (empty bins add nothing and repeat the
        // previous candidate, which a strictly better score would never replace).
        var runningG = 0.0, runningH = 0.0, runningC = 0.0
        var candidates = 0
        for t in 0..<valueBins {
            let count = h[t &* 3 &+ 2]
            // All ones when the bin holds rows, else zero: masks out the rounding residue that
            // subtraction can leave in an empty bin's sums, without a branch.
            let occupied = 0 &- UInt64(truncatingIfNeeded: (count != 0).intValue)
            runningG += Double(bitPattern: h[t &* 3].bitPattern & occupied)
            runningH += Double(bitPattern: h[t &* 3 &+ 1].bitPattern & occupied)
            runningC += count
            sumG[candidates] = runningG
            sumH[candidates] = runningH
            sumC[candidates] = runningC
            bin[candidates] = Double(t)
            candidates &+= Int(truncatingIfNeeded: occupied & 1)
        }
        let tg = total.gradient, th = total.hessian, tc = Double(total.count)
        let minData = Double(minDataInLeaf), minHessian = minSumHessianInLeaf
        let lambda = SIMD2(repeating: lambdaL2)
        let parentGain = SplitSearch.leafGain(tg, th, lambdaL2)
        let threshold = parentGain + minGainToSplit
        let hasMissing = mc > 0
        @inline(__always) func score(_ lg: Double, _ lh: Double, _ lc: Double, _ rg: Double, _ rh: Double, _ rc: Double) -> Double {
            let numerators = SIMD2(lg, rg)
            let sides = numerators * numerators / (SIMD2(lh, rh) + lambda)
            let gain = sides[0] + sides[1]
            let valid = lc >= minData && rc >= minData && lh >= minHessian && rh >= minHessian && gain > threshold
            return valid ? gain - parentGain : -.infinity
        }
        if hasMissing {
            for i in 0..<candidates {
                let g = sumG[i], hs = sumH[i], c = sumC[i]
                scores[2 &* i] = score(g, hs, c, tg - g, th - hs, tc - c)
                scores[2 &* i &+ 1] = score(g + mg, hs + mh, c + mc, tg - g - mg, th - hs - mh, tc - c - mc)
            }
        } else {
            for i in 0..<candidates {
                let g = sumG[i], hs = sumH[i], c = sumC[i]
                scores[i] = score(g, hs, c, tg - g, th - hs, tc - c)
            }
        }
        var bestScore = -Double.infinity
        var chosen = -1
        for j in 0..<(hasMissing ? 2 &* candidates : candidates) where scores[j] > bestScore {
            bestScore = scores[j]
            chosen = j
        }
        guard chosen >= 0 else { return .none }
        let i = hasMissing ? chosen >> 1 : chosen
        let missingLeft = hasMissing && chosen & 1 == 1
        let g = sumG[i], hs = sumH[i], c = sumC[i]
        var best = SplitCandidate()
        best.feature = feature
        best.gain = bestScore
        best.thresholdBin = Int(bin[i])
        if missingLeft {
            best.defaultLeft = true
            best.left = LeafStats(gradient: g + mg, hessian: hs + mh, count: Int(c + mc))
            best.right = LeafStats(gradient: tg - g - mg, hessian: th - hs - mh, count: Int(tc - c - mc))
        } else {
            best.defaultLeft = hasMissing ? false : c >= tc - c
            best.left = LeafStats(gradient: g, hessian: hs, count: Int(c))
            best.right = LeafStats(gradient: tg - g, hessian: th - hs, count: Int(tc - c))
        }
        return best
    }

    private func searchCategorical(histogram h: UnsafePointer<Double>, valueBins: Int, evaluator e: inout Evaluator,
                                   scratch: Scratch) {
        let categories = valueBins - 1
        if categories <= maxCatToOneHot {
            for t in 0..<categories where h[t &* 3 &+ 2] > 0 {
                if e.consider(g: h[t &* 3], h: h[t &* 3 &+ 1], c: h[t &* 3 &+ 2], lambda: lambdaL2) {
                    var set = BinSet()
                    set.insert(t)
                    e.best.leftBins = set
                    e.best.isCategorical = true
                }
            }
            return
        }
        var used = 0
        for t in 0..<categories where h[t &* 3 &+ 2] >= max(catSmooth, 1) {
            scratch.bins[used] = t
            scratch.keys[used] = h[t &* 3] / (h[t &* 3 &+ 1] + catSmooth)
            used &+= 1
        }
        insertionSort(count: used, scratch: scratch)
        let maxLeft = min(maxCatThreshold, (used + 1) / 2)
        let lambda = lambdaL2 + catL2
        let total = e.total
        var bestDirection = 0
        var bestPrefix = -1
        for direction in 0..<2 {
            var g = 0.0, hs = 0.0, c = 0.0
            var group = 0.0
            var i = 0
            while i < used && i < maxLeft {
                let t = scratch.bins[direction == 0 ? i : used - 1 - i]
                g += h[t &* 3]
                hs += h[t &* 3 &+ 1]
                c += h[t &* 3 &+ 2]
                group += h[t &* 3 &+ 2]
                defer { i += 1 }
                if c < Double(minDataInLeaf) || hs < minSumHessianInLeaf { continue }
                let rightCount = Double(total.count) - c
                if rightCount < Double(minDataInLeaf) || rightCount < Double(minDataPerGroup) { break }
                if total.hessian - hs < minSumHessianInLeaf { break }
                if group < Double(minDataPerGroup) { continue }
                group = 0
                if e.consider(g: g, h: hs, c: c, lambda: lambda) {
                    bestDirection = direction
                    bestPrefix = i
                }
            }
        }
        if bestPrefix >= 0 {
            var set = BinSet()
            for i in 0...bestPrefix { set.insert(scratch.bins[bestDirection == 0 ? i : used - 1 - i]) }
            e.best.leftBins = set
            e.best.isCategorical = true
        }
    }

    /// Room to sort up to 256 categories by their gradient ratio.
    private struct Scratch {
        let bins: UnsafeMutablePointer<Int>
        let keys: UnsafeMutablePointer<Double>
    }

    /// Sorts `scratch.bins[0..<count]` by key, then by bin (a total order, so deterministic).
    private func insertionSort(count: Int, scratch: Scratch) {
        guard count > 1 else { return }
        for i in 1..<count {
            let bin = scratch.bins[i]
            let key = scratch.keys[i]
            var j = i - 1
            while j >= 0 && (scratch.keys[j] > key || (scratch.keys[j] == key && scratch.bins[j] > bin)) {
                scratch.bins[j + 1] = scratch.bins[j]
                scratch.keys[j + 1] = scratch.keys[j]
                j -= 1
            }
            scratch.bins[j + 1] = bin
            scratch.keys[j + 1] = key
        }
    }

    /// Scores left/right partitions of one leaf, trying both directions for missing rows.
    private struct Evaluator {
        let minData: Double
        let minHessian: Double
        let total: LeafStats
        let parentGain: Double
        let minGain: Double
        let missingG: Double, missingH: Double, missingC: Double
        var best: SplitCandidate

        init(search: SplitSearch, feature: Int32, total: LeafStats, missing histogram: UnsafePointer<Double>, missingBin: Int) {
            minData = Double(search.minDataInLeaf)
            minHessian = search.minSumHessianInLeaf
            self.total = total
            parentGain = SplitSearch.leafGain(total.gradient, total.hessian, search.lambdaL2)
            minGain = search.minGainToSplit
            missingG = histogram[missingBin &* 3]
            missingH = histogram[missingBin &* 3 &+ 1]
            missingC = histogram[missingBin &* 3 &+ 2]
            best = .none
            self.feature = feature
        }

        let feature: Int32

        /// Tries value rows `(g, h, c)` on the left with missing rows right, then left;
        /// returns true when either became the best split so far.
        @inline(__always)
        mutating func consider(g: Double, h: Double, c: Double, lambda: Double) -> Bool {
            let tg = total.gradient, th = total.hessian, tc = Double(total.count)
            var improved = false
            if missingC > 0 {
                improved = evaluate(lg: g, lh: h, lc: c, rg: tg - g, rh: th - h, rc: tc - c,
                                    defaultLeft: false, lambda: lambda)
                improved = evaluate(lg: g + missingG, lh: h + missingH, lc: c + missingC,
                                    rg: tg - g - missingG, rh: th - h - missingH, rc: tc - c - missingC,
                                    defaultLeft: true, lambda: lambda) || improved
            } else {
                improved = evaluate(lg: g, lh: h, lc: c, rg: tg - g, rh: th - h, rc: tc - c,
                                    defaultLeft: c >= tc - c, lambda: lambda)
            }
            return improved
        }

        @inline(__always)
        private mutating func evaluate(lg: Double, lh: Double, lc: Double, rg: Double, rh: Double, rc: Double,
                                       defaultLeft: Bool, lambda: Double) -> Bool {
            guard lc >= minData, rc >= minData, lh >= minHessian, rh >= minHessian else { return false }
            // Both sides' G²/(H + λ) in one vector division; the same IEEE results as two scalar ones.
            let numerators = SIMD2(lg, rg)
            let sides = numerators * numerators / (SIMD2(lh, rh) + SIMD2(repeating: lambda))
            let gain = sides[0] + sides[1]
            guard gain > parentGain + minGain else { return false }
            let relative = gain - parentGain
            guard relative > best.gain else { return false }
            best.feature = feature
            best.gain = relative
            best.defaultLeft = defaultLeft
            best.left = LeafStats(gradient: lg, hessian: lh, count: Int(lc))
            best.right = LeafStats(gradient: rg, hessian: rh, count: Int(rc))
            return true
        }
    }
}

private extension Bool {
    /// 1 for true, 0 for false.
    @inline(__always) var intValue: Int { self ? 1 : 0 }
}
