/// How each column of the customers table is read out of a `CustomerRecord`, and
/// what share of its cells the generator blanks out as missing.
struct CustomerColumnSpec: Sendable {
    enum Kind: Sendable {
        case numeric(@Sendable (CustomerRecord) -> Double)
        case categorical([String], @Sendable (CustomerRecord) -> Int)
    }

    let name: String
    let kind: Kind
    /// Probability that a cell is written as missing (NaN, or code -1).
    let missingRate: Double

    init(_ name: String, missing: Double = 0, _ value: @escaping @Sendable (CustomerRecord) -> Double) {
        self.name = name
        self.kind = .numeric(value)
        self.missingRate = missing
    }

    init(_ name: String, levels: [String], missing: Double = 0, _ code: @escaping @Sendable (CustomerRecord) -> Int) {
        self.name = name
        self.kind = .categorical(levels, code)
        self.missingRate = missing
    }

    var isCategorical: Bool {
        if case .categorical = kind { return true }
        return false
    }
}

/// The column layout of the customers table.
enum CustomerColumns {
    static let influenceTiers = ["none", "micro", "mid", "macro"]
    static let subscriptionTiers = ["free", "basic", "pro", "business"]
    static let deviceTypes = ["mobile", "desktop", "tablet"]
    static let platforms = ["ios", "android", "web"]
    static let acquisitionChannels = ["organic", "paid_search", "social_ads", "referral", "partner"]
    static let ageGroups = ["18-24", "25-34", "35-44", "45-54", "55+"]
    static let genders = ["female", "male", "nonbinary"]
    static let regions = ["north_america", "europe", "asia_pacific", "latin_america", "africa", "middle_east"]

    static let features: [CustomerColumnSpec] = [
        // Activity.
        .init("sessions_per_week") { $0.sessionsPerWeek },
        .init("avg_session_minutes") { $0.avgSessionMinutes },
        .init("total_session_minutes_30d") { $0.totalSessionMinutes30d },
        .init("days_since_last_login") { $0.daysSinceLastLogin },
        .init("active_days_30d") { $0.activeDays30d },
        .init("login_streak_days") { $0.loginStreakDays },
        .init("posts_30d") { $0.posts30d },
        .init("comments_30d") { $0.comments30d },
        .init("likes_given_30d") { $0.likesGiven30d },
        .init("likes_received_30d") { $0.likesReceived30d },
        .init("shares_30d") { $0.shares30d },
        .init("notifications_enabled") { $0.notificationsEnabled },
        // Social.
        .init("connections") { $0.connections },
        .init("followers") { $0.followers },
        .init("messages_sent_30d") { $0.messagesSent30d },
        .init("messages_received_30d") { $0.messagesReceived30d },
        .init("referral_count") { $0.referralCount },
        .init("network_centrality") { $0.networkCentrality },
        .init("groups_joined") { $0.groupsJoined },
        .init("social_influence_tier", levels: influenceTiers) { $0.socialInfluenceTier },
        .init("mutual_connection_ratio", missing: 0.01) { $0.mutualConnectionRatio },
        // Marketplace.
        .init("gig_applications_30d") { $0.gigApplications30d },
        .init("gigs_completed") { $0.gigsCompleted },
        .init("match_success_rate", missing: 0.01) { $0.matchSuccessRate },
        .init("response_time_avg_hours", missing: 0.015) { $0.responseTimeAvgHours },
        .init("trust_score") { $0.trustScore },
        .init("reviews_received") { $0.reviewsReceived },
        .init("avg_review_rating", missing: 0.02) { $0.avgReviewRating },
        // Content.
        .init("content_category_primary", levels: CustomerSchema.contentCategories) { $0.contentCategoryPrimary },
        .init("content_diversity_score") { $0.contentDiversityScore },
        .init("avg_sentiment_score") { $0.avgSentimentScore },
        .init("content_views_30d") { $0.contentViews30d },
        .init("saved_items_count") { $0.savedItemsCount },
        .init("search_queries_30d") { $0.searchQueries30d },
        // Temporal.
        .init("peak_activity_hour") { $0.peakActivityHour },
        .init("session_consistency_score") { $0.sessionConsistencyScore },
        .init("last_7_day_engagement_trend") { $0.last7DayEngagementTrend },
        .init("time_since_first_transaction_days", missing: 0.015) { $0.timeSinceFirstTransactionDays },
        .init("weekend_activity_ratio") { $0.weekendActivityRatio },
        .init("night_activity_ratio") { $0.nightActivityRatio },
        // Monetisation.
        .init("premium_features_used_count") { $0.premiumFeaturesUsedCount },
        .init("purchases_90d") { $0.purchases90d },
        .init("spend_90d_usd") { $0.spend90dUsd },
        .init("subscription_tier", levels: subscriptionTiers) { $0.subscriptionTier },
        .init("avg_order_value_usd") { $0.avgOrderValueUsd },
        .init("discount_usage_rate") { $0.discountUsageRate },
        // Account and device.
        .init("account_age_days") { $0.accountAgeDays },
        .init("device_type", levels: deviceTypes, missing: 0.01) { $0.deviceType },
        .init("platform", levels: platforms) { $0.platform },
        .init("email_verified") { $0.emailVerified },
        .init("profile_completeness", missing: 0.01) { $0.profileCompleteness },
        .init("support_tickets_90d") { $0.supportTickets90d },
        .init("acquisition_channel", levels: acquisitionChannels, missing: 0.015) { $0.acquisitionChannel },
    ]

    static let sensitive: [CustomerColumnSpec] = [
        .init("age_group", levels: ageGroups) { $0.ageGroup },
        .init("gender", levels: genders) { $0.gender },
        .init("region", levels: regions) { $0.region },
    ]
}
