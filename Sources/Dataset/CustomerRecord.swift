/// One generated customer before it becomes a table row: the observable features
/// (categorical ones as level indices), the sensitive attributes, and the hidden
/// traits that drive the recommender's interactions.
///
/// Targets are functions of this record (`CustomerTargets`), so the "true" signal
/// depends on observable features only and is learnable.
struct CustomerRecord {
    // Sensitive attributes (level indices).
    var ageGroup = 0
    var gender = 0
    var region = 0

    // Activity.
    var sessionsPerWeek = 0.0
    var avgSessionMinutes = 0.0
    var totalSessionMinutes30d = 0.0
    var daysSinceLastLogin = 0.0
    var activeDays30d = 0.0
    var loginStreakDays = 0.0
    var posts30d = 0.0
    var comments30d = 0.0
    var likesGiven30d = 0.0
    var likesReceived30d = 0.0
    var shares30d = 0.0
    var notificationsEnabled = 0.0

    // Social.
    var connections = 0.0
    var followers = 0.0
    var messagesSent30d = 0.0
    var messagesReceived30d = 0.0
    var referralCount = 0.0
    var networkCentrality = 0.0
    var groupsJoined = 0.0
    var socialInfluenceTier = 0
    var mutualConnectionRatio = 0.0

    // Marketplace.
    var gigApplications30d = 0.0
    var gigsCompleted = 0.0
    var matchSuccessRate = 0.0
    var responseTimeAvgHours = 0.0
    var trustScore = 0.0
    var reviewsReceived = 0.0
    var avgReviewRating = 0.0

    // Content.
    var contentCategoryPrimary = 0
    var contentDiversityScore = 0.0
    var avgSentimentScore = 0.0
    var contentViews30d = 0.0
    var savedItemsCount = 0.0
    var searchQueries30d = 0.0

    // Temporal.
    var peakActivityHour = 0.0
    var sessionConsistencyScore = 0.0
    var last7DayEngagementTrend = 0.0
    var timeSinceFirstTransactionDays = 0.0
    var weekendActivityRatio = 0.0
    var nightActivityRatio = 0.0

    // Monetisation.
    var premiumFeaturesUsedCount = 0.0
    var purchases90d = 0.0
    var spend90dUsd = 0.0
    var subscriptionTier = 0
    var avgOrderValueUsd = 0.0
    var discountUsageRate = 0.0

    // Account and device.
    var accountAgeDays = 0.0
    var deviceType = 0
    var platform = 0
    var emailVerified = 0.0
    var profileCompleteness = 0.0
    var supportTickets90d = 0.0
    var acquisitionChannel = 0

    var isAnomaly = false

    // Hidden traits, not written to the customers table.
    var activityTrait = 0.0
    var tasteCluster = 0
}
