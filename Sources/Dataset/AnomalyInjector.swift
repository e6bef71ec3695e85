import Foundation

/// Turns an ordinary customer into a fake or abusive account, in one of three
/// patterns, so the anomaly model has something real to find.
///
/// - spam bot: days-old account, many very short sessions at night, floods of
///   messages and likes given, no connections, unverified, empty profile;
/// - referral farm: new account with no connections but dozens of referrals,
///   no spending, unverified;
/// - like farm: a handful of posts with enormous likes received and followers
///   but almost no connections, scripted (perfectly regular) activity.
enum AnomalyInjector {
    static let rate = 0.01

    static func inject(_ r: inout CustomerRecord, _ random: inout SeededRandom) {
        r.isAnomaly = true
        switch random.index(below: 3) {
        case 0: spamBot(&r, &random)
        case 1: referralFarm(&r, &random)
        default: likeFarm(&r, &random)
        }
        r.socialInfluenceTier = r.followers < 100 ? 0 : r.followers < 1_000 ? 1 : r.followers < 10_000 ? 2 : 3
        r.daysSinceLastLogin = min(r.daysSinceLastLogin, r.accountAgeDays)
        r.timeSinceFirstTransactionDays = min(r.timeSinceFirstTransactionDays, r.accountAgeDays)
    }

    private static func newAccount(_ r: inout CustomerRecord, _ random: inout SeededRandom, maxDays: Double) {
        r.accountAgeDays = random.uniform(1, maxDays + 1).rounded(.down)
        r.emailVerified = random.bernoulli(0.1) ? 1 : 0
        r.profileCompleteness = roundedTo(random.uniform(0, 0.15), 4)
        r.daysSinceLastLogin = 0
    }

    private static func spamBot(_ r: inout CustomerRecord, _ random: inout SeededRandom) {
        newAccount(&r, &random, maxDays: 14)
        r.sessionsPerWeek = random.uniform(40, 150).rounded(.down)
        r.avgSessionMinutes = roundedTo(random.uniform(0.2, 1.5), 1)
        r.totalSessionMinutes30d = roundedTo(r.sessionsPerWeek * 30 / 7 * r.avgSessionMinutes, 1)
        r.activeDays30d = min(30, r.accountAgeDays)
        r.messagesSent30d = random.logNormal(mu: Foundation.log(1500), sigma: 0.6).rounded(.down)
        r.messagesReceived30d = Double(random.poisson(3))
        r.likesGiven30d = random.logNormal(mu: Foundation.log(6000), sigma: 0.6).rounded(.down)
        r.connections = Double(random.index(below: 3))
        r.followers = Double(random.index(below: 4))
        r.networkCentrality = roundedTo(random.uniform(0, 0.01), 4)
        r.referralCount = 0
        r.peakActivityHour = Double(2 + random.index(below: 4))
        r.nightActivityRatio = roundedTo(random.uniform(0.7, 0.95), 4)
        r.contentViews30d = Double(random.poisson(5))
        r.purchases90d = 0
        r.spend90dUsd = 0
        r.avgOrderValueUsd = 0
    }

    private static func referralFarm(_ r: inout CustomerRecord, _ random: inout SeededRandom) {
        newAccount(&r, &random, maxDays: 30)
        r.connections = 0
        r.followers = Double(random.index(below: 3))
        r.networkCentrality = 0
        r.referralCount = random.uniform(20, 150).rounded(.down)
        r.messagesSent30d = random.uniform(50, 400).rounded(.down)
        r.sessionsPerWeek = Double(1 + random.index(below: 3))
        r.avgSessionMinutes = roundedTo(random.uniform(0.5, 3), 1)
        r.totalSessionMinutes30d = roundedTo(r.sessionsPerWeek * 30 / 7 * r.avgSessionMinutes, 1)
        r.mutualConnectionRatio = 0
        r.purchases90d = 0
        r.spend90dUsd = 0
        r.avgOrderValueUsd = 0
        r.groupsJoined = 0
    }

    private static func likeFarm(_ r: inout CustomerRecord, _ random: inout SeededRandom) {
        newAccount(&r, &random, maxDays: 20)
        r.posts30d = Double(random.index(below: 3))
        r.likesReceived30d = random.logNormal(mu: Foundation.log(15_000), sigma: 0.7).rounded(.down)
        r.followers = random.logNormal(mu: Foundation.log(20_000), sigma: 0.8).rounded(.down)
        r.connections = Double(random.index(below: 6))
        r.sessionConsistencyScore = roundedTo(random.uniform(0.97, 1), 4)
        r.comments30d = 0
        r.avgSentimentScore = 0
        r.peakActivityHour = Double(random.index(below: 24))
    }
}
