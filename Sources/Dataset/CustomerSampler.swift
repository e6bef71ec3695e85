import Foundation

/// Draws one ordinary customer from a small latent-trait model.
///
/// Five hidden traits — activity, sociability, commitment, spending propensity and
/// "cooling off" — are correlated standard normals; every observable feature is a
/// noisy, often heavy-tailed function of a few of them, so features correlate the
/// way real behavioural data does. The sensitive attributes shift the traits and
/// some preferences only mildly.
struct CustomerSampler {
    /// Base popularity of the content categories, in `CustomerSchema.contentCategories` order.
    static let categoryWeights: [Double] = [0.14, 0.13, 0.10, 0.08, 0.09, 0.07, 0.08, 0.09, 0.05, 0.07, 0.06, 0.04]

    private static let ageWeights = [0.22, 0.30, 0.22, 0.14, 0.12]
    private static let genderWeights = [0.48, 0.48, 0.04]
    private static let regionWeights = [0.30, 0.25, 0.25, 0.10, 0.05, 0.05]
    private static let channelWeights = [0.40, 0.20, 0.18, 0.15, 0.07]

    private static let ageActivityShift = [0.25, 0.10, 0.0, -0.12, -0.25]
    private static let ageSpendShift = [-0.30, 0.0, 0.15, 0.20, 0.20]
    private static let agePeakHourShift = [1.5, 0.5, 0.0, -1.0, -2.0]
    private static let regionSpendShift = [0.30, 0.15, 0.0, -0.20, -0.30, 0.0]
    private static let genderSociabilityShift = [0.10, -0.08, 0.0]

    /// Category preference multipliers by gender and by age group (mild tilts).
    private static let genderCategoryTilt: [[Double]] = [
        [1.0, 0.75, 0.8, 1.2, 1.1, 1.1, 1.5, 0.85, 1.15, 1.05, 1.0, 0.9],
        [1.0, 1.35, 1.35, 0.95, 0.9, 0.95, 0.6, 1.2, 0.85, 0.95, 1.0, 1.15],
        [1.1, 1.1, 0.8, 1.0, 1.0, 1.0, 1.1, 1.0, 1.4, 1.0, 1.1, 0.9],
    ]
    private static let ageCategoryTilt: [[Double]] = [
        [1.2, 1.35, 1.0, 1.1, 0.9, 0.85, 1.15, 1.0, 1.0, 1.2, 1.2, 0.6],
        [1.05, 1.1, 1.0, 1.15, 1.0, 1.0, 1.1, 1.1, 1.0, 1.0, 1.05, 0.9],
        [0.95, 0.9, 1.0, 1.0, 1.1, 1.1, 0.95, 1.05, 1.0, 0.95, 0.95, 1.2],
        [0.9, 0.7, 1.0, 0.9, 1.1, 1.2, 0.85, 0.95, 1.0, 0.9, 0.9, 1.5],
        [0.85, 0.55, 0.95, 0.85, 1.2, 1.3, 0.8, 0.85, 1.05, 0.9, 0.85, 1.6],
    ]

    private static let deviceCumulative = [0.62, 0.90, 1.0]
    private static let tabletPlatformCumulativeWest = [0.65, 0.80, 1.0]
    private static let tabletPlatformCumulativeRest = [0.40, 0.80, 1.0]
    private static let ageCumulative = cumulative(ageWeights)
    private static let genderCumulative = cumulative(genderWeights)
    private static let regionCumulative = cumulative(regionWeights)
    private static let channelCumulative = cumulative(channelWeights)
    /// Cumulative category weights per (gender, age group).
    private static let categoryCumulative: [[Double]] = (0..<3).flatMap { g in
        (0..<5).map { a in
            cumulative((0..<12).map { categoryWeights[$0] * genderCategoryTilt[g][$0] * ageCategoryTilt[a][$0] })
        }
    }

    let tasteClusters: Int

    func sample(_ random: inout SeededRandom) -> CustomerRecord {
        var r = CustomerRecord()
        r.ageGroup = random.index(cumulative: Self.ageCumulative)
        r.gender = random.index(cumulative: Self.genderCumulative)
        r.region = random.index(cumulative: Self.regionCumulative)

        let z1 = random.normal(), z2 = random.normal(), z3 = random.normal(), z4 = random.normal(), z5 = random.normal()
        let activity = z1 + Self.ageActivityShift[r.ageGroup]
        let sociability = 0.45 * z1 + 0.89 * z2 + Self.genderSociabilityShift[r.gender]
        let commitment = 0.35 * z1 + 0.94 * z3
        let spending = 0.30 * commitment + 0.95 * z4 + Self.ageSpendShift[r.ageGroup] + Self.regionSpendShift[r.region]
        let cooling = 0.85 * z5 - 0.30 * commitment
        r.activityTrait = activity
        r.tasteCluster = random.index(below: tasteClusters)

        sampleAccount(&r, &random, commitment: commitment)
        sampleActivity(&r, &random, activity: activity, sociability: sociability, commitment: commitment, cooling: cooling)
        sampleSocial(&r, &random, activity: activity, sociability: sociability, commitment: commitment)
        sampleMarketplace(&r, &random, activity: activity, commitment: commitment)
        sampleContent(&r, &random, activity: activity, commitment: commitment, cooling: cooling)
        sampleTemporal(&r, &random, activity: activity, commitment: commitment, cooling: cooling)
        sampleMonetisation(&r, &random, activity: activity, commitment: commitment, spending: spending)
        return r
    }

    private func sampleAccount(_ r: inout CustomerRecord, _ random: inout SeededRandom, commitment: Double) {
        if random.bernoulli(0.22) {
            r.accountAgeDays = (random.uniform(1, 91)).rounded(.down)
        } else {
            r.accountAgeDays = min(3650, 91 + random.logNormal(mu: Foundation.log(420) + 0.25 * commitment, sigma: 0.8)).rounded(.down)
        }
        r.deviceType = random.index(cumulative: Self.deviceCumulative)
        let iosShare = r.region <= 1 ? 0.55 : 0.30
        switch r.deviceType {
        case 0: r.platform = random.bernoulli(iosShare) ? 0 : 1
        case 1: r.platform = 2
        default: r.platform = random.index(cumulative: r.region <= 1 ? Self.tabletPlatformCumulativeWest : Self.tabletPlatformCumulativeRest)
        }
        r.emailVerified = random.bernoulli(sigmoid(1.6 + 0.8 * commitment)) ? 1 : 0
        r.acquisitionChannel = random.index(cumulative: Self.channelCumulative)
    }

    private func sampleActivity(_ r: inout CustomerRecord, _ random: inout SeededRandom, activity: Double, sociability: Double, commitment: Double, cooling: Double) {
        r.sessionsPerWeek = Double(random.negativeBinomial(mean: Foundation.exp(1.5 + 0.6 * activity - 0.4 * cooling), shape: 3))
        let activeProbability = sigmoid(-0.2 + 1.1 * activity + 0.5 * commitment - 0.8 * cooling)
        var active = 0
        for _ in 0..<30 {
            if random.uniform() < activeProbability { active += 1 }
        }
        r.activeDays30d = Double(active)
        let loginGapMean = Foundation.exp(0.6 - 0.7 * activity - 0.3 * commitment + 0.9 * cooling)
        r.daysSinceLastLogin = min(min(365, r.accountAgeDays), random.exponential(mean: loginGapMean).rounded(.down))
        r.avgSessionMinutes = roundedTo(random.logNormal(mu: Foundation.log(11) + 0.25 * activity + 0.15 * commitment, sigma: 0.5), 1)
        r.totalSessionMinutes30d = roundedTo(r.sessionsPerWeek * 30 / 7 * r.avgSessionMinutes * random.logNormal(mu: 0, sigma: 0.2), 1)
        r.loginStreakDays = r.daysSinceLastLogin > 1 ? 0 : min(r.activeDays30d, Double(random.poisson(r.activeDays30d * 0.4 * sigmoid(commitment))))
        r.posts30d = Double(random.negativeBinomial(mean: Foundation.exp(0.3 + 0.8 * activity + 0.5 * sociability), shape: 1.2))
        r.comments30d = Double(random.negativeBinomial(mean: Foundation.exp(1.0 + 0.6 * activity + 0.7 * sociability), shape: 1.5))
        r.likesGiven30d = Double(random.negativeBinomial(mean: Foundation.exp(2.6 + 0.9 * activity + 0.3 * sociability), shape: 1.5))
        r.likesReceived30d = Double(random.negativeBinomial(mean: (r.posts30d + 0.5) * Foundation.exp(1.2 + 0.6 * sociability), shape: 2))
        r.shares30d = Double(random.negativeBinomial(mean: Foundation.exp(0.5 * activity + 0.6 * sociability), shape: 1))
        r.notificationsEnabled = random.bernoulli(sigmoid(0.4 + 0.7 * commitment)) ? 1 : 0
    }

    private func sampleSocial(_ r: inout CustomerRecord, _ random: inout SeededRandom, activity: Double, sociability: Double, commitment: Double) {
        r.connections = min(50_000, random.pareto(xMin: 20 * Foundation.exp(0.5 * sociability), alpha: 1.5).rounded(.down))
        r.followers = (r.connections * random.logNormal(mu: 0.3 + 0.6 * sociability, sigma: 0.9)).rounded(.down)
        r.messagesSent30d = Double(random.negativeBinomial(mean: Foundation.exp(1.6 + 0.9 * sociability + 0.3 * activity), shape: 1.2))
        r.messagesReceived30d = Double(random.negativeBinomial(mean: 0.8 * r.messagesSent30d + Foundation.exp(1 + 0.5 * sociability), shape: 2))
        r.referralCount = Double(random.poisson(Foundation.exp(-1.3 + 0.7 * sociability + 0.2 * commitment)))
        r.networkCentrality = roundedTo(sigmoid(-4.2 + 0.6 * Foundation.log1p(r.connections) + 0.25 * Foundation.log1p(r.followers) + random.normal(mean: 0, sd: 0.3)), 4)
        r.groupsJoined = Double(random.poisson(Foundation.exp(0.7 + 0.5 * sociability + 0.2 * activity)))
        r.socialInfluenceTier = r.followers < 100 ? 0 : r.followers < 1_000 ? 1 : r.followers < 10_000 ? 2 : 3
        r.mutualConnectionRatio = roundedTo(random.beta(2 + 2 * sigmoid(sociability), 4), 4)
    }

    private func sampleMarketplace(_ r: inout CustomerRecord, _ random: inout SeededRandom, activity: Double, commitment: Double) {
        r.gigApplications30d = Double(random.negativeBinomial(mean: Foundation.exp(0.2 + 0.5 * commitment + 0.3 * activity), shape: 0.8))
        r.gigsCompleted = Double(random.poisson(r.gigApplications30d * 0.3 * (0.5 + sigmoid(commitment))))
        r.matchSuccessRate = roundedTo(random.beta(2 + 2 * sigmoid(1.2 * commitment), 3), 4)
        r.responseTimeAvgHours = roundedTo(random.logNormal(mu: Foundation.log(5) - 0.5 * commitment, sigma: 0.8), 2)
        let tenure = Foundation.log1p(r.accountAgeDays / 30)
        r.trustScore = roundedTo(100 * sigmoid(-0.3 + 0.7 * commitment + 0.25 * tenure + random.normal(mean: 0, sd: 0.4)), 1)
        r.reviewsReceived = Double(random.poisson(r.gigsCompleted * 0.7))
        r.avgReviewRating = roundedTo(clamp(3.6 + 0.4 * commitment + random.normal(mean: 0, sd: 0.45), 1, 5), 2)
    }

    private func sampleContent(_ r: inout CustomerRecord, _ random: inout SeededRandom, activity: Double, commitment: Double, cooling: Double) {
        r.contentCategoryPrimary = random.index(cumulative: Self.categoryCumulative[r.gender * 5 + r.ageGroup])
        r.contentDiversityScore = roundedTo(random.beta(2 + 1.5 * sigmoid(activity), 3), 4)
        r.avgSentimentScore = roundedTo(Foundation.tanh(0.15 + 0.3 * commitment - 0.2 * cooling + random.normal(mean: 0, sd: 0.35)), 4)
        r.contentViews30d = Double(random.negativeBinomial(mean: Foundation.exp(3.2 + 0.8 * activity), shape: 2))
        r.savedItemsCount = Double(random.negativeBinomial(mean: Foundation.exp(1.0 + 0.5 * activity + 0.4 * commitment), shape: 1.5))
        r.searchQueries30d = Double(random.negativeBinomial(mean: Foundation.exp(1.5 + 0.5 * activity), shape: 1.5))
    }

    private func sampleTemporal(_ r: inout CustomerRecord, _ random: inout SeededRandom, activity: Double, commitment: Double, cooling: Double) {
        let hour = (20 + Self.agePeakHourShift[r.ageGroup] + random.normal(mean: 0, sd: 3)).rounded(.down)
        r.peakActivityHour = (hour.truncatingRemainder(dividingBy: 24) + 24).truncatingRemainder(dividingBy: 24)
        r.sessionConsistencyScore = roundedTo(sigmoid(0.2 + 0.8 * commitment + 0.4 * activity - 0.4 * cooling + random.normal(mean: 0, sd: 0.5)), 4)
        r.last7DayEngagementTrend = roundedTo(clamp(-0.35 * cooling + random.normal(mean: 0, sd: 0.25), -1.5, 1.5), 4)
        r.timeSinceFirstTransactionDays = (r.accountAgeDays * random.beta(3, 1.5)).rounded(.down)
        r.weekendActivityRatio = roundedTo(random.beta(2.5, 4), 4)
        let nightPeak = r.peakActivityHour >= 22 || r.peakActivityHour < 5
        r.nightActivityRatio = roundedTo(random.beta(nightPeak ? 4.5 : 1.5, 6), 4)
    }

    private func sampleMonetisation(_ r: inout CustomerRecord, _ random: inout SeededRandom, activity: Double, commitment: Double, spending: Double) {
        r.premiumFeaturesUsedCount = Double(random.poisson(Foundation.exp(0.2 + 0.6 * spending + 0.3 * activity)))
        r.purchases90d = Double(random.negativeBinomial(mean: Foundation.exp(-0.1 + 0.9 * spending + 0.2 * commitment), shape: 1))
        if r.purchases90d > 0 {
            r.spend90dUsd = roundedTo(r.purchases90d * random.logNormal(mu: Foundation.log(22) + 0.3 * spending, sigma: 0.5), 2)
            r.avgOrderValueUsd = roundedTo(r.spend90dUsd / r.purchases90d, 2)
        }
        let tierScore = spending + random.normal(mean: 0, sd: 0.6)
        r.subscriptionTier = tierScore < 0.45 ? 0 : tierScore < 1.1 ? 1 : tierScore < 1.7 ? 2 : 3
        r.discountUsageRate = roundedTo(random.beta(1.5, 4 + max(0, spending)), 4)
        r.profileCompleteness = roundedTo(sigmoid(0.3 + 0.6 * commitment + 0.2 * activity + random.normal(mean: 0, sd: 0.5)), 4)
        r.supportTickets90d = Double(random.poisson(Foundation.exp(-1.3 + 0.3 * activity - 0.3 * commitment)))
    }

    private static func cumulative(_ weights: [Double]) -> [Double] {
        var total = 0.0
        return weights.map { total += $0; return total }
    }
}

@inline(__always)
func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

@inline(__always)
func clamp(_ x: Double, _ lower: Double, _ upper: Double) -> Double { min(upper, max(lower, x)) }

/// `x` rounded to `digits` decimals, as a generated value would be recorded.
@inline(__always)
func roundedTo(_ x: Double, _ digits: Int) -> Double {
    let scale = digits == 1 ? 10.0 : digits == 2 ? 100.0 : digits == 4 ? 10_000.0 : Foundation.pow(10, Double(digits))
    return (x * scale).rounded() / scale
}
