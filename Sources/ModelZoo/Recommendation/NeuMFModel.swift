import Foundation

/// A trained NeuMF recommender (He et al. 2017): a GMF part and an MLP tower over user and item
/// embeddings, where an item's MLP embedding and bias also draw on its category and title words.
///
/// logit(u, i) = p_u · q_i + h · MLP([p′_u ; q′_i]) + b + b_i, probability = σ(logit).
///
/// Exists to score (user, item) pairs and to list a user's top items. Users and items it has
/// never seen fall back to popularity, so a new id is answered, never an error: the score's
/// `source` says which model answered.
public struct NeuMFModel: Sendable, Equatable {
    public let users: IDVocabulary
    public let items: IDVocabulary
    public let itemFeatures: ItemFeatures
    public let factors: Int
    public let mlpFactors: Int
    /// The MLP tower: [2 · mlpFactors, hidden…], ReLU.
    public let tower: DenseNetworkShape
    public let towerParameters: [Float]
    /// Output weights h over the tower's output, then the global bias b (the GMF part's
    /// weights are fixed at 1).
    public let outputWeights: [Float]
    /// Row-major embedding tables. A user row is the GMF part then the MLP part
    /// (factors + mlpFactors); an item row adds a bias at the end; a category or word row has
    /// only an MLP part and a bias (mlpFactors + 1), added to the item's.
    public let userEmbeddings: [Float]
    public let itemEmbeddings: [Float]
    public let categoryEmbeddings: [Float]
    public let wordEmbeddings: [Float]
    /// Training interactions per item: the popularity fallback.
    public let itemPopularity: [Int32]
    /// Items each user interacted with in training (excluded from recommendations):
    /// user u's are `seenItems[seenStart[u]..<seenStart[u + 1]]`, ascending.
    public let seenStart: [Int32]
    public let seenItems: [Int32]
    /// Mean training log loss after each epoch.
    public let trainingLoss: [Double]

    public init(users: IDVocabulary, items: IDVocabulary, itemFeatures: ItemFeatures, factors: Int, mlpFactors: Int,
                tower: DenseNetworkShape, towerParameters: [Float], outputWeights: [Float], userEmbeddings: [Float],
                itemEmbeddings: [Float], categoryEmbeddings: [Float], wordEmbeddings: [Float], itemPopularity: [Int32],
                seenStart: [Int32], seenItems: [Int32], trainingLoss: [Double]) throws {
        let width = factors + mlpFactors
        func require(_ ok: Bool, _ detail: @autoclosure () -> String) throws {
            if !ok { throw RecommenderError.invalidModel(detail()) }
        }
        try require(factors >= 1 && mlpFactors >= 1, "factors \(factors) and MLP factors \(mlpFactors) must be positive")
        try require(tower.inputWidth == 2 * mlpFactors, "the tower reads \(tower.inputWidth) inputs, not 2 × \(mlpFactors)")
        try require(tower.activations.allSatisfy { $0 == .relu }, "the tower's layers must be ReLU")
        try require(towerParameters.count == tower.parameterCount, "\(towerParameters.count) tower parameters, expected \(tower.parameterCount)")
        try require(outputWeights.count == tower.outputWidth + 1, "\(outputWeights.count) output weights for a tower of \(tower.outputWidth)")
        try require(itemFeatures.itemCount == items.count, "item features cover \(itemFeatures.itemCount) of \(items.count) items")
        try require(userEmbeddings.count == users.count * width, "user embeddings do not match \(users.count) users")
        try require(itemEmbeddings.count == items.count * (width + 1), "item embeddings do not match \(items.count) items")
        try require(categoryEmbeddings.count == itemFeatures.categories.count * (mlpFactors + 1),
                    "category embeddings do not match the categories")
        try require(wordEmbeddings.count == itemFeatures.wordBuckets * (mlpFactors + 1), "word embeddings do not match the buckets")
        try require(itemPopularity.count == items.count && itemPopularity.allSatisfy { $0 >= 0 }, "item popularity does not match the items")
        try require(seenStart.count == users.count + 1 && seenStart.first == 0 && Int(seenStart.last ?? -1) == seenItems.count
                    && zip(seenStart, seenStart.dropFirst()).allSatisfy { $0 <= $1 }, "seen-item offsets are inconsistent")
        try require(seenItems.allSatisfy { $0 >= 0 && Int($0) < items.count }, "a seen item is outside the items")
        for array in [towerParameters, outputWeights, userEmbeddings, itemEmbeddings, categoryEmbeddings, wordEmbeddings] {
            try require(array.allSatisfy(\.isFinite), "a parameter is not finite")
        }
        self.users = users
        self.items = items
        self.itemFeatures = itemFeatures
        self.factors = factors
        self.mlpFactors = mlpFactors
        self.tower = tower
        self.towerParameters = towerParameters
        self.outputWeights = outputWeights
        self.userEmbeddings = userEmbeddings
        self.itemEmbeddings = itemEmbeddings
        self.categoryEmbeddings = categoryEmbeddings
        self.wordEmbeddings = wordEmbeddings
        self.itemPopularity = itemPopularity
        self.seenStart = seenStart
        self.seenItems = seenItems
        self.trainingLoss = trainingLoss
    }

    /// Scores (user id, item id) pairs: the model's probability of an interaction for known
    /// pairs, the popularity fallback otherwise. `threads` = 0 uses all cores.
    public func score(_ pairs: [(user: String, item: String)], threads: Int = 0) -> [RecommendationScore] {
        let scorer = NeuMFScorer(self)
        let fallback = PopularityFallback(itemPopularity)
        var out = [RecommendationScore](repeating: RecommendationScore(value: 0, source: .popularity), count: pairs.count)
        out.withUnsafeMutableBufferPointer { out in
            let target = out.baseAddress!
            ParallelRunner(threads: threads).forEachChunk(count: pairs.count, minimumPerChunk: 1_024) { _, range in
                var workspace = scorer.makeWorkspace()
                for k in range {
                    let item = items.index(of: pairs[k].item)
                    if let user = users.index(of: pairs[k].user), let item {
                        let value = scorer.probability(user: user, item: item, workspace: &workspace)
                        target[k] = RecommendationScore(value: value, source: .model)
                    } else {
                        target[k] = RecommendationScore(value: item.map { fallback.score($0) } ?? 0, source: .popularity)
                    }
                }
            }
        }
        return out
    }

    /// The `k` best items for a user, best first, leaving out items the user already has; an
    /// unknown user gets the `k` most popular items.
    public func recommend(user id: String, k: Int) -> [RecommendedItem] {
        recommend(users: [id], k: k, threads: 1)[0]
    }

    /// `recommend(user:k:)` for many users at once, sharing the scorer's item cache.
    public func recommend(users ids: [String], k: Int, threads: Int = 0) -> [[RecommendedItem]] {
        guard k > 0 else { return Array(repeating: [], count: ids.count) }
        let fallback = PopularityFallback(itemPopularity)
        let popular = fallback.top(k).map { RecommendedItem(item: items.ids[Int($0)], score: fallback.score($0), source: .popularity) }
        let indices = ids.map { users.index(of: $0) }
        var lists = [[RecommendedItem]](repeating: [], count: ids.count)
        let top = topItems(users: indices.map { $0 ?? -1 }, k: k, threads: threads)
        for (row, user) in indices.enumerated() {
            lists[row] = user == nil ? popular
                : top[row].map { RecommendedItem(item: items.ids[Int($0.item)], score: $0.score, source: .model) }
        }
        return lists
    }

    /// Each user's `k` best unseen items by dense index, best first (ties: lower index first);
    /// an index of -1 gets an empty list.
    public func topItems(users: [Int32], k: Int, threads: Int) -> [[(item: Int32, score: Double)]] {
        let scorer = NeuMFScorer(self)
        var lists = [[(item: Int32, score: Double)]](repeating: [], count: users.count)
        let itemCount = items.count
        lists.withUnsafeMutableBufferPointer { lists in
            let out = lists.baseAddress!
            ParallelRunner(threads: threads).forEachChunk(count: users.count, minimumPerChunk: 16) { _, range in
                var workspace = scorer.makeWorkspace()
                var seen = [Bool](repeating: false, count: itemCount)
                var best = [(item: Int32, score: Double)]()
                best.reserveCapacity(k + 1)
                for row in range {
                    let user = users[row]
                    guard user >= 0 else { continue }
                    let own = seenItems[Int(seenStart[Int(user)])..<Int(seenStart[Int(user) + 1])]
                    for item in own { seen[Int(item)] = true }
                    best.removeAll(keepingCapacity: true)
                    for item in 0..<Int32(itemCount) where !seen[Int(item)] {
                        let score = scorer.probability(user: user, item: item, workspace: &workspace)
                        if best.count == k, let last = best.last, !(score > last.score) { continue }
                        var position = best.count
                        while position > 0 && score > best[position - 1].score { position -= 1 }
                        best.insert((item, score), at: position)
                        if best.count > k { best.removeLast() }
                    }
                    for item in own { seen[Int(item)] = false }
                    out[row] = best
                }
            }
        }
        return lists
    }

    /// Per known user (by dense index): the mean probability the model gives the items the user
    /// interacted with in training, a user-level "how well does the catalogue fit this user"
    /// signal (docs/models.md). A user without training items gets NaN.
    public func userAffinity(threads: Int = 0) -> [Double] {
        let scorer = NeuMFScorer(self)
        var affinity = [Double](repeating: .nan, count: users.count)
        affinity.withUnsafeMutableBufferPointer { affinity in
            let out = affinity.baseAddress!
            ParallelRunner(threads: threads).forEachChunk(count: users.count, minimumPerChunk: 256) { _, range in
                var workspace = scorer.makeWorkspace()
                for user in range {
                    let start = Int(seenStart[user]), end = Int(seenStart[user + 1])
                    guard end > start else { continue }
                    var total = 0.0
                    for k in start..<end { total += scorer.probability(user: Int32(user), item: seenItems[k], workspace: &workspace) }
                    out[user] = total / Double(end - start)
                }
            }
        }
        return affinity
    }
}

/// A recommender's answer for one (user, item) pair.
public struct RecommendationScore: Sendable, Equatable {
    public enum Source: String, Sendable, Codable {
        /// The trained model scored the pair: `value` is its probability of an interaction.
        case model
        /// The user or the item is unknown: `value` is the item's training interactions divided
        /// by the most popular item's (0 for an unknown item).
        case popularity
    }

    public let value: Double
    public let source: Source
}

/// One entry of a top-k list.
public struct RecommendedItem: Sendable, Equatable {
    public let item: String
    public let score: Double
    public let source: RecommendationScore.Source
}

/// Popularity scores in [0, 1] (interactions relative to the most popular item) and the top-k list.
struct PopularityFallback: Sendable {
    let counts: [Int32]
    let maximum: Double

    init(_ counts: [Int32]) {
        self.counts = counts
        maximum = Double(max(1, counts.max() ?? 1))
    }

    func score(_ item: Int32) -> Double { Double(counts[Int(item)]) / maximum }

    func top(_ k: Int) -> [Int32] {
        Array(counts.indices.sorted { counts[$0] > counts[$1] || (counts[$0] == counts[$1] && $0 < $1) }.prefix(k).map { Int32($0) })
    }
}

/// Scores with a trained NeuMF quickly: every item's GMF vector and its share of the tower's
/// first layer are computed once, so a (user, item) pair costs an add, a ReLU and the rest of
/// the tower instead of the whole first layer.
struct NeuMFScorer: ItemScorer, @unchecked Sendable {
    let model: NeuMFModel
    /// Per item: GMF vector (factors), W1_item · q′ (first hidden width), then the item's bias.
    private let itemCache: [Float]
    private let tail: DenseNetworkShape?
    private let tailOffset: Int
    private let hidden: Int
    private let cacheWidth: Int

    init(_ model: NeuMFModel) {
        self.model = model
        let width = model.factors + model.mlpFactors + 1
        hidden = model.tower.widths[1]
        cacheWidth = model.factors + hidden + 1
        tailOffset = model.tower.widths[0] * hidden + hidden
        tail = model.tower.layerCount > 1
            ? try? DenseNetworkShape(widths: Array(model.tower.widths.dropFirst()), activations: Array(model.tower.activations.dropFirst()))
            : nil
        var cache = [Float](repeating: 0, count: model.items.count * cacheWidth)
        var q = [Float](repeating: 0, count: width)
        let features = model.itemFeatures
        for item in 0..<model.items.count {
            for d in 0..<width { q[d] = model.itemEmbeddings[item * width + d] }
            let category = Int(features.itemCategory[item])
            let sideWidth = model.mlpFactors + 1
            if category >= 0 { for d in 0..<sideWidth { q[model.factors + d] += model.categoryEmbeddings[category * sideWidth + d] } }
            let start = Int(features.wordStart[item]), end = Int(features.wordStart[item + 1])
            for k in start..<end {
                let row = Int(features.words[k]) * sideWidth
                for d in 0..<sideWidth { q[model.factors + d] += model.wordEmbeddings[row + d] / Float(end - start) }
            }
            let base = item * cacheWidth
            for d in 0..<model.factors { cache[base + d] = q[d] }
            cache[base + model.factors + hidden] = q[width - 1]
            // Rows mlpFactors..<2·mlpFactors of the input-major first layer read the item half.
            for j in 0..<model.mlpFactors {
                let weights = (model.mlpFactors + j) * hidden
                for h in 0..<hidden { cache[base + model.factors + h] += q[model.factors + j] * model.towerParameters[weights + h] }
            }
        }
        itemCache = cache
    }

    struct Workspace {
        var userHidden: [Float]
        var activations: [Float]
        var input: [Float]
        var user: Int32 = -1
    }

    func makeWorkspace() -> Workspace {
        Workspace(userHidden: Array(repeating: 0, count: hidden), activations: Array(repeating: 0, count: max(1, tail?.activationCount ?? 1)),
                  input: Array(repeating: 0, count: hidden))
    }

    /// The bias of the first layer plus W1_user · p′_u, cached in the workspace per user.
    private func prepare(user: Int32, _ workspace: inout Workspace) {
        guard workspace.user != user else { return }
        let width = model.factors + model.mlpFactors
        let biasOffset = model.tower.widths[0] * hidden
        for h in 0..<hidden { workspace.userHidden[h] = model.towerParameters[biasOffset + h] }
        let base = Int(user) * width + model.factors
        for j in 0..<model.mlpFactors {
            let p = model.userEmbeddings[base + j]
            for h in 0..<hidden { workspace.userHidden[h] += p * model.towerParameters[j * hidden + h] }
        }
        workspace.user = user
    }

    func logit(user: Int32, item: Int32, workspace: inout Workspace) -> Float {
        prepare(user: user, &workspace)
        let width = model.factors + model.mlpFactors
        let userBase = Int(user) * width
        let cacheBase = Int(item) * cacheWidth
        var logit = model.outputWeights[model.tower.outputWidth] + itemCache[cacheBase + model.factors + hidden]
        for d in 0..<model.factors { logit += model.userEmbeddings[userBase + d] * itemCache[cacheBase + d] }
        for h in 0..<hidden { workspace.input[h] = max(0, workspace.userHidden[h] + itemCache[cacheBase + model.factors + h]) }
        if let tail {
            workspace.input.withUnsafeBufferPointer { input in
                workspace.activations.withUnsafeMutableBufferPointer { activations in
                    model.towerParameters.withUnsafeBufferPointer { theta in
                        DenseKernels(shape: tail).forward(theta.baseAddress! + tailOffset, input: input.baseAddress!,
                                                          activations: activations.baseAddress!)
                    }
                }
            }
            let last = tail.activationCount - tail.outputWidth
            for d in 0..<tail.outputWidth { logit += model.outputWeights[d] * workspace.activations[last + d] }
        } else {
            for d in 0..<hidden { logit += model.outputWeights[d] * workspace.input[d] }
        }
        return logit
    }

    func probability(user: Int32, item: Int32, workspace: inout Workspace) -> Double {
        Double(Logistic.sigmoid(logit(user: user, item: item, workspace: &workspace)))
    }

    func score(user: Int32, items: UnsafeBufferPointer<Int32>, into scores: UnsafeMutableBufferPointer<Double>) {
        var workspace = makeWorkspace()
        for (k, item) in items.enumerated() { scores[k] = Double(logit(user: user, item: item, workspace: &workspace)) }
    }
}
