import Foundation
import Dataset

/// The leave-one-out protocol of He et al. (2017): each user's latest interaction is held out
/// and must be ranked among `negatives` items the user never interacted with.
///
/// Exists so that NeuMF and its baselines are scored on exactly the same held-out items and
/// the same sampled candidates. Users with a single interaction keep it for training and are
/// not evaluated.
public struct LeaveOneOutSplit: Sendable {
    /// Everything except the held-out interactions.
    public let train: InteractionLog
    /// Evaluated users, their held-out item, and `negativesPerUser` sampled items each.
    public let testUsers: [Int32]
    let heldOut: [Int32]
    let negatives: [Int32]
    public let negativesPerUser: Int

    public var evaluatedUsers: Int { testUsers.count }

    public init(_ log: InteractionLog, negatives: Int = 99, seed: UInt64 = 0) throws {
        try RecommenderError.check(negatives >= 1, "negatives", negatives, "must be at least 1")
        try RecommenderError.check(log.items.count > negatives, "negatives", negatives,
                                   "must be below the number of items (\(log.items.count))")
        var triples = [(user: Int32, item: Int32, time: Double)]()
        triples.reserveCapacity(log.interactionCount)
        var testUsers = [Int32](), heldOut = [Int32](), sampled = [Int32]()
        let all = UserItemSets(log)
        var marked = [Bool](repeating: false, count: log.items.count)
        for u in 0..<log.users.count {
            let range = log.userStart[u]..<log.userStart[u + 1]
            let evaluate = range.count >= 2
            for k in range where !(evaluate && k == range.upperBound - 1) {
                triples.append((Int32(u), log.item[k], log.time[k]))
            }
            guard evaluate else { continue }
            testUsers.append(Int32(u))
            heldOut.append(log.item[range.upperBound - 1])
            var rng = SplitMix64(seed: seed, stream: UInt64(u))
            let available = log.items.count - range.count
            var chosen = [Int32]()
            chosen.reserveCapacity(negatives)
            while chosen.count < min(negatives, available) {
                let candidate = Int32(rng.next() % UInt64(log.items.count))
                if !marked[Int(candidate)] && !all.contains(user: u, item: candidate) {
                    marked[Int(candidate)] = true
                    chosen.append(candidate)
                }
            }
            for item in chosen { marked[Int(item)] = false }
            // Too few unseen items: pad with repeats of the first, which cannot change the rank.
            while chosen.count < negatives { chosen.append(chosen.first ?? heldOut.last!) }
            sampled += chosen
        }
        guard !testUsers.isEmpty else {
            throw RecommenderError.notEnoughInteractions("no user has two interactions, so none can be held out")
        }
        train = try InteractionLog(users: log.users, items: log.items, triples: triples)
        self.testUsers = testUsers
        self.heldOut = heldOut
        self.negatives = sampled
        negativesPerUser = negatives
    }
}

/// Each user's items in ascending order, for "has this user seen that item?" in O(log n).
struct UserItemSets: Sendable {
    let start: [Int]
    let items: [Int32]

    init(_ log: InteractionLog) {
        start = log.userStart
        var items = log.item
        for u in 0..<log.users.count { items[log.userStart[u]..<log.userStart[u + 1]].sort() }
        self.items = items
    }

    func contains(user u: Int, item: Int32) -> Bool {
        var low = start[u], high = start[u + 1]
        while low < high {
            let mid = (low + high) / 2
            if items[mid] < item { low = mid + 1 } else { high = mid }
        }
        return low < start[u + 1] && items[low] == item
    }

    func count(user u: Int) -> Int { start[u + 1] - start[u] }

    /// `contains` and `count` over raw memory, for the training loop's negative sampling.
    struct View {
        let start: UnsafeBufferPointer<Int>
        let items: UnsafeBufferPointer<Int32>

        /// Binary search whose loop length depends on the user's item count only; the comparison
        /// is written as a mask rather than a branch (the compiler may still emit one).
        @inline(__always)
        func contains(user u: Int, item: Int32) -> Bool {
            var base = start[u], length = start[u + 1] - base
            guard length > 0 else { return false }
            while length > 1 {
                let half = length >> 1
                // All ones when items[base + half] <= item, else zero.
                let keep = ~((Int(item) - Int(items[base + half])) >> 63)
                base += half & keep
                length -= half
            }
            return items[base] == item
        }

        @inline(__always)
        func count(user u: Int) -> Int { start[u + 1] - start[u] }

        /// The number of user `u`'s items plus the first of them: reads what `contains` will read.
        @inline(__always)
        func warm(user u: Int) -> Int {
            let first = start[u], end = start[u + 1]
            return end - first + (first < end ? Int(items[first]) : 0)
        }
    }

    func withUnsafeView<R>(_ body: (View) throws -> R) rethrows -> R {
        try start.withUnsafeBufferPointer { start in
            try items.withUnsafeBufferPointer { items in try body(View(start: start, items: items)) }
        }
    }
}

extension LeaveOneOutSplit {
    /// Per evaluated user (in `testUsers` order): was the held-out item in the scorer's top k?
    /// A tie that straddles the cut-off counts as a hit when the expected hit is at least ½.
    func userHits(_ scorer: some ItemScorer, k: Int, threads: Int) -> [Bool] {
        RankingEvaluator.perUser(scorer, on: self, k: k, threads: threads).hits.map { $0 >= 0.5 }
    }

    /// `userHits` of a trained NeuMF model.
    public func userHits(_ model: NeuMFModel, k: Int, threads: Int) -> [Bool] {
        userHits(NeuMFScorer(model), k: k, threads: threads)
    }
}

/// Scores items for a user by dense indices: what the ranking evaluation asks of every model.
protocol ItemScorer: Sendable {
    /// Writes a score for each of `items` (higher ranks first).
    func score(user: Int32, items: UnsafeBufferPointer<Int32>, into scores: UnsafeMutableBufferPointer<Double>)
}

/// Hit ratio and NDCG at a cut-off, averaged over the evaluated users.
public struct RankingMetrics: Sendable, Equatable, Codable {
    public let k: Int
    public let hitRate: Double
    public let ndcg: Double
    public let users: Int
}

/// Ranks each held-out item among its user's sampled negatives and averages HR@k and NDCG@k.
///
/// Ties are broken uniformly at random in expectation: a held-out item tied with t negatives
/// takes each of its t + 1 possible ranks with equal weight, so a model that outputs one
/// constant gets the chance level (k / (negatives + 1)) and never more.
enum RankingEvaluator {
    static func evaluate(_ scorer: some ItemScorer, on split: LeaveOneOutSplit, k: Int = 10, threads: Int = 0) -> RankingMetrics {
        let (hits, gains) = perUser(scorer, on: split, k: k, threads: threads)
        let n = Double(max(hits.count, 1))
        return RankingMetrics(k: k, hitRate: hits.reduce(0, +) / n, ndcg: gains.reduce(0, +) / n, users: hits.count)
    }

    /// Each evaluated user's expected hit and gain, in `testUsers` order.
    static func perUser(_ scorer: some ItemScorer, on split: LeaveOneOutSplit, k: Int, threads: Int) -> (hits: [Double], gains: [Double]) {
        let users = split.testUsers.count
        let width = split.negativesPerUser + 1
        var hits = [Double](repeating: 0, count: users), gains = [Double](repeating: 0, count: users)
        hits.withUnsafeMutableBufferPointer { hits in
            gains.withUnsafeMutableBufferPointer { gains in
                let hitOut = hits.baseAddress!, gainOut = gains.baseAddress!
                ParallelRunner(threads: threads).forEachChunk(count: users, minimumPerChunk: 64) { _, range in
                    var candidates = [Int32](repeating: 0, count: width)
                    var scores = [Double](repeating: 0, count: width)
                    for t in range {
                        candidates[0] = split.heldOut[t]
                        for j in 0..<split.negativesPerUser { candidates[j + 1] = split.negatives[t * split.negativesPerUser + j] }
                        candidates.withUnsafeBufferPointer { c in
                            scores.withUnsafeMutableBufferPointer { s in scorer.score(user: split.testUsers[t], items: c, into: s) }
                        }
                        let (hit, gain) = Self.expectedHitAndGain(scores, k: k)
                        hitOut[t] = hit
                        gainOut[t] = gain
                    }
                }
            }
        }
        return (hits, gains)
    }

    /// HR@k and NDCG@k of `scores[0]` among `scores[1...]`, expected over random tie-breaking.
    /// A NaN score ranks below every number.
    static func expectedHitAndGain(_ scores: [Double], k: Int) -> (Double, Double) {
        let target = scores[0]
        var above = 0, tied = 0
        for s in scores.dropFirst() {
            if target.isNaN {
                if s.isNaN { tied += 1 } else { above += 1 }
            } else if s > target {
                above += 1
            } else if s == target {
                tied += 1
            }
        }
        var hit = 0.0, gain = 0.0
        for rank in above...(above + tied) where rank < k {
            hit += 1
            gain += 1 / Foundation.log2(Double(rank + 2))
        }
        let positions = Double(tied + 1)
        return (hit / positions, gain / positions)
    }
}

extension LeaveOneOutSplit {
    /// The split as two tables, for evaluating other libraries on exactly these held-out items
    /// and negatives: `train` holds the training interactions (user, item, timestamp, in each
    /// user's time order) and `candidates` each evaluated user's held-out item (`held_out` 1)
    /// followed by its sampled negatives (`held_out` 0).
    public func tables(userColumn: String, itemColumn: String, timestampColumn: String = "timestamp") throws
        -> (train: Table, candidates: Table) {
        let users = train.users.ids, items = train.items.ids
        let trainTable = try Table(names: [userColumn, itemColumn, timestampColumn],
                                   columns: [.categorical(codes: train.user, levels: users),
                                             .categorical(codes: train.item, levels: items), .numeric(train.time)])
        let width = negativesPerUser + 1
        var candidateUsers = [Int32](), candidateItems = [Int32](), heldOutFlags = [Double]()
        candidateUsers.reserveCapacity(testUsers.count * width)
        candidateItems.reserveCapacity(testUsers.count * width)
        heldOutFlags.reserveCapacity(testUsers.count * width)
        for (t, user) in testUsers.enumerated() {
            candidateUsers.append(contentsOf: repeatElement(user, count: width))
            candidateItems.append(heldOut[t])
            candidateItems.append(contentsOf: negatives[(t * negativesPerUser)..<((t + 1) * negativesPerUser)])
            heldOutFlags.append(1)
            heldOutFlags.append(contentsOf: repeatElement(0, count: negativesPerUser))
        }
        let candidates = try Table(names: [userColumn, itemColumn, "held_out"],
                                   columns: [.categorical(codes: candidateUsers, levels: users),
                                             .categorical(codes: candidateItems, levels: items), .numeric(heldOutFlags)])
        return (trainTable, candidates)
    }
}
