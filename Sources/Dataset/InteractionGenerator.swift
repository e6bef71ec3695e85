import Foundation

/// The content catalogue and who interacted with what, for the recommender.
///
/// Items have a category, a power-law popularity and a few latent taste factors;
/// users belong to one of a handful of hidden taste clusters. A user picks an item
/// from their primary content category more than half the time, and always with
/// probability ∝ popularity × exp(cluster · item factors). Popularity alone
/// therefore explains only part of the choices: a personalised model can do better.
struct InteractionGenerator {
    static let factorCount = 4
    static let tasteClusters = 16
    static let ownCategoryShare = 0.6
    static let popularityExponent = 1.0
    static let tasteStrength = 1.3
    static let startTimestamp = 1_704_067_200.0

    private static let categoryWords: [[String]] = [
        ["melody", "beats", "playlist", "acoustic"],
        ["quest", "arena", "pixel", "speedrun"],
        ["league", "match", "goal", "champion"],
        ["workout", "strength", "cardio", "yoga"],
        ["recipe", "kitchen", "flavor", "bakery"],
        ["journey", "island", "passport", "backpack"],
        ["style", "runway", "vintage", "outfit"],
        ["gadget", "code", "robot", "cloud"],
        ["canvas", "sketch", "gallery", "sculpture"],
        ["lesson", "course", "study", "lecture"],
        ["prank", "jokes", "standup", "parody"],
        ["budget", "invest", "market", "savings"],
    ]
    /// Words for a strongly positive and a strongly negative value of each taste factor.
    private static let factorWords: [(positive: [String], negative: [String])] = [
        (["epic", "bold", "extreme"], ["calm", "gentle", "cozy"]),
        (["pro", "advanced", "masterclass"], ["beginner", "simple", "easy"]),
        (["retro", "classic", "timeless"], ["modern", "future", "trending"]),
        (["family", "together", "community"], ["solo", "personal", "private"]),
    ]
    private static let genericWords = [
        "ultimate", "guide", "daily", "top", "new", "best", "series", "live", "weekly", "stories",
        "tips", "secrets", "show", "hour", "world", "life", "session", "picks", "special", "edition",
    ]

    let itemCount: Int

    struct Catalogue {
        var categories: [Int32]
        var titles: [String]
        /// Cumulative choice weights per taste cluster, over all items.
        var clusterCumulative: [[Double]]
        /// Items of each category, and cumulative weights per (cluster, category) over them.
        var itemsByCategory: [[Int]]
        var clusterCategoryCumulative: [[[Double]]]
    }

    func catalogue(_ random: inout SeededRandom) -> Catalogue {
        let categoryCount = CustomerSchema.contentCategories.count
        var categoryCumulative: [Double] = []
        var total = 0.0
        for weight in CustomerSampler.categoryWeights {
            total += weight
            categoryCumulative.append(total)
        }
        var ranks = Array(1...max(1, itemCount))
        random.shuffle(&ranks)
        var categories: [Int32] = []
        var factors: [[Double]] = []
        var popularity: [Double] = []
        var titles: [String] = []
        for j in 0..<itemCount {
            let category = random.index(cumulative: categoryCumulative)
            let factor = (0..<Self.factorCount).map { _ in random.normal() }
            categories.append(Int32(category))
            factors.append(factor)
            popularity.append(Foundation.pow(Double(ranks[j]), -Self.popularityExponent))
            titles.append(title(category: category, factors: factor, &random))
        }
        let centers = (0..<Self.tasteClusters).map { _ in (0..<Self.factorCount).map { _ in 1.2 * random.normal() } }
        var weights = [[Double]](repeating: [], count: Self.tasteClusters)
        for k in 0..<Self.tasteClusters {
            weights[k] = (0..<itemCount).map { j in
                var dot = 0.0
                for d in 0..<Self.factorCount { dot += centers[k][d] * factors[j][d] }
                return popularity[j] * Foundation.exp(Self.tasteStrength * dot / Double(Self.factorCount).squareRoot())
            }
        }
        var itemsByCategory = [[Int]](repeating: [], count: categoryCount)
        for j in 0..<itemCount { itemsByCategory[Int(categories[j])].append(j) }
        let clusterCumulative = weights.map(Self.cumulative)
        let clusterCategoryCumulative = weights.map { w in
            itemsByCategory.map { items in Self.cumulative(items.map { w[$0] }) }
        }
        return Catalogue(categories: categories, titles: titles, clusterCumulative: clusterCumulative,
                         itemsByCategory: itemsByCategory, clusterCategoryCumulative: clusterCategoryCumulative)
    }

    /// Appends one user's interactions: distinct items, strictly increasing timestamps.
    func interactions(user: Int, record: CustomerRecord, catalogue: Catalogue, _ random: inout SeededRandom,
                      users: inout [Double], items: inout [Double], timestamps: inout [Double]) {
        let mean = 8 * Foundation.exp(0.4 * record.activityTrait - 0.08)
        let count = min(itemCount, 2 + min(300, random.negativeBinomial(mean: mean, shape: 1.5)))
        var chosen = Set<Int>()
        var time = Self.startTimestamp + random.uniform(0, 30 * 86_400).rounded(.down)
        let own = catalogue.itemsByCategory[record.contentCategoryPrimary]
        let ownCumulative = catalogue.clusterCategoryCumulative[record.tasteCluster][record.contentCategoryPrimary]
        let allCumulative = catalogue.clusterCumulative[record.tasteCluster]
        var attempts = 0
        while chosen.count < count && attempts < 20 * count {
            attempts += 1
            let item: Int
            if !own.isEmpty && random.bernoulli(Self.ownCategoryShare) {
                item = own[random.index(cumulative: ownCumulative)]
            } else {
                item = random.index(cumulative: allCumulative)
            }
            guard chosen.insert(item).inserted else { continue }
            time += 1 + random.exponential(mean: 1.5 * 86_400).rounded(.down)
            users.append(Double(user))
            items.append(Double(item))
            timestamps.append(time)
        }
    }

    private func title(category: Int, factors: [Double], _ random: inout SeededRandom) -> String {
        var words: [String] = []
        if random.bernoulli(0.85) {
            let pool = Self.categoryWords[category]
            words.append(pool[random.index(below: pool.count)])
        }
        let byStrength = factors.indices.sorted { abs(factors[$0]) > abs(factors[$1]) }
        for (rank, d) in byStrength.prefix(2).enumerated() where random.bernoulli(rank == 0 ? 0.75 : 0.35) {
            let pool = factors[d] > 0 ? Self.factorWords[d].positive : Self.factorWords[d].negative
            words.append(pool[random.index(below: pool.count)])
        }
        let length = 3 + random.index(below: 4)
        while words.count < length {
            let word = Self.genericWords[random.index(below: Self.genericWords.count)]
            if !words.contains(word) { words.append(word) }
        }
        random.shuffle(&words)
        return words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
    }

    private static func cumulative(_ weights: [Double]) -> [Double] {
        var total = 0.0
        return weights.map { total += $0; return total }
    }
}
