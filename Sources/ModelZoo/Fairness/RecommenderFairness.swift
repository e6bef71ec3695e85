/// The recommender's hit rate for one group of one sensitive attribute (or all users).
public struct RecommenderGroupMetrics: Codable, Sendable, Equatable {
    public var group: String
    public var users: Int
    public var hits: Int
    /// HR@k: the share of users whose held-out item was among their top k.
    public var hitRate: Double
}

/// The between-group comparison of hit rates for one sensitive attribute.
public struct RecommenderAttributeFairness: Codable, Sendable, Equatable {
    public var attribute: String
    public var groups: [RecommenderGroupMetrics]
    public var hitRateDifference: Double
    /// min / max group hit rate; nil when no group has a hit.
    public var hitRateRatio: Double?
    /// The four-fifths screen applied to `hitRateRatio`.
    public var verdict: FourFifthsVerdict
}

/// How much of the recommendation slots one content category received.
public struct CategoryExposure: Codable, Sendable, Equatable {
    public var category: String
    /// Recommendation slots (top-k positions over all users) holding an item of this category.
    public var slots: Int
    /// `slots` over all slots.
    public var share: Double
    /// The category's share of the catalogue's items.
    public var catalogueShare: Double
    /// `share / catalogueShare`: above 1 the category is recommended more than its size suggests.
    public var exposureRatio: Double
}

/// Fairness of a recommender: hit rate by group, catalogue coverage and exposure by category.
public struct RecommenderFairnessReport: Codable, Sendable, Equatable {
    public var k: Int
    public var minHitRateRatio: Double
    public var overall: RecommenderGroupMetrics
    public var attributes: [RecommenderAttributeFairness]
    /// Distinct items recommended to anyone, over the catalogue's size.
    public var catalogueCoverage: Double
    /// One entry per category of the catalogue, in the catalogue's first-seen order.
    public var exposure: [CategoryExposure]
    public var worstHitRateRatio: Double?
    public var verdict: FourFifthsVerdict
}

/// Computes a `RecommenderFairnessReport` from each user's top-k list and whether it held
/// the user's held-out item.
///
/// Exists so that the recommender is audited on the two sides fairness has there: whether
/// every group of users is served equally well (HR@k), and whether the catalogue's categories
/// get exposure in proportion to their size. Lists longer than `k` count their first `k` items.
public struct RecommenderFairness: Sendable {
    public var k: Int
    public var minHitRateRatio: Double

    public init(k: Int = 10, minHitRateRatio: Double = 0.8) {
        self.k = k
        self.minHitRateRatio = minHitRateRatio
    }

    /// `hits[u]`: user u's held-out item was in the top k. `recommendations[u]`: the item
    /// indices recommended to u, best first. `itemCategories[i]`: item i's category.
    public func report(hits: [Bool], recommendations: [[Int]], itemCategories: [String],
                       sensitive: [SensitiveAttribute]) throws -> RecommenderFairnessReport {
        guard k > 0 else { throw FairnessError.invalidSetting(name: "k", value: "\(k)", expected: "at least 1") }
        guard minHitRateRatio.isFinite, minHitRateRatio >= 0, minHitRateRatio <= 1 else {
            throw FairnessError.invalidSetting(name: "min_hit_rate_ratio", value: "\(minHitRateRatio)", expected: "a number in [0, 1]")
        }
        guard !hits.isEmpty else { throw FairnessError.empty }
        guard !itemCategories.isEmpty else {
            throw FairnessError.invalidSetting(name: "item categories", value: "[]", expected: "one category per catalogue item")
        }
        guard recommendations.count == hits.count else {
            throw FairnessError.lengthMismatch(what: "recommendation lists", expected: hits.count, actual: recommendations.count)
        }
        for attribute in sensitive where attribute.rowCount != hits.count {
            throw FairnessError.lengthMismatch(what: "sensitive attribute '\(attribute.name)'", expected: hits.count, actual: attribute.rowCount)
        }

        let overall = groupMetrics(group: "all", users: Array(hits.indices), hits: hits)
        let attributes = sensitive.map { attribute in
            let groups = zip(attribute.groups, attribute.rowsByGroup()).map { groupMetrics(group: $0, users: $1, hits: hits) }
            let ratio = Disparity.ratio(groups.map(\.hitRate))
            return RecommenderAttributeFairness(attribute: attribute.name, groups: groups,
                                                hitRateDifference: Disparity.difference(groups.map(\.hitRate)), hitRateRatio: ratio,
                                                verdict: FourFifthsVerdict(disparateImpact: ratio, threshold: minHitRateRatio))
        }
        let (coverage, exposure) = try catalogueExposure(recommendations: recommendations, itemCategories: itemCategories)
        return RecommenderFairnessReport(k: k, minHitRateRatio: minHitRateRatio, overall: overall, attributes: attributes,
                                         catalogueCoverage: coverage, exposure: exposure,
                                         worstHitRateRatio: attributes.compactMap(\.hitRateRatio).min(),
                                         verdict: FourFifthsVerdict.combining(attributes.map(\.verdict)))
    }

    private func groupMetrics(group: String, users: [Int], hits: [Bool]) -> RecommenderGroupMetrics {
        let hitCount = users.reduce(0) { $0 + (hits[$1] ? 1 : 0) }
        return RecommenderGroupMetrics(group: group, users: users.count, hits: hitCount, hitRate: Double(hitCount) / Double(users.count))
    }

    private func catalogueExposure(recommendations: [[Int]], itemCategories: [String]) throws -> (Double, [CategoryExposure]) {
        var categoryNames: [String] = []
        var categoryIndex: [String: Int] = [:]
        let itemCategory = itemCategories.map { name in
            if let index = categoryIndex[name] { return index }
            categoryIndex[name] = categoryNames.count
            categoryNames.append(name)
            return categoryNames.count - 1
        }
        var catalogueCounts = Array(repeating: 0, count: categoryNames.count)
        for category in itemCategory { catalogueCounts[category] += 1 }

        var recommended = Array(repeating: false, count: itemCategories.count)
        var slots = Array(repeating: 0, count: categoryNames.count)
        var totalSlots = 0
        for (user, list) in recommendations.enumerated() {
            for item in list.prefix(k) {
                guard item >= 0, item < itemCategories.count else {
                    throw FairnessError.invalidValue(column: "recommendations", row: user, value: Double(item),
                                                     expected: "an item index in 0..<\(itemCategories.count)")
                }
                recommended[item] = true
                slots[itemCategory[item]] += 1
                totalSlots += 1
            }
        }
        let coverage = Double(recommended.reduce(0) { $0 + ($1 ? 1 : 0) }) / Double(itemCategories.count)
        let exposure = categoryNames.indices.map { c in
            let share = totalSlots == 0 ? 0 : Double(slots[c]) / Double(totalSlots)
            let catalogueShare = Double(catalogueCounts[c]) / Double(itemCategories.count)
            return CategoryExposure(category: categoryNames[c], slots: slots[c], share: share, catalogueShare: catalogueShare,
                                    exposureRatio: share / catalogueShare)
        }
        return (coverage, exposure)
    }
}
