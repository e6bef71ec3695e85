import Foundation

/// Generates the synthetic customer dataset: customers with features, sensitive
/// attributes, three targets and injected anomalies; a content catalogue; and
/// user–item interactions.
///
/// Exists so that the whole system can be run, tested and benchmarked without
/// private data, on data whose true structure is known (`generateWithTruth()`).
/// The output depends only on `rows`, `seed` and `items`.
public struct CustomerGenerator: Sendable {
    public let rows: Int
    public let seed: UInt64
    public let items: Int

    public init(rows: Int = 100_000, seed: UInt64 = 42, items: Int = 2_000) {
        precondition(rows >= 0, "rows must not be negative, got \(rows)")
        precondition(items >= 1, "items must be at least 1, got \(items)")
        self.rows = rows
        self.seed = seed
        self.items = items
    }

    public func generate() -> GeneratedData {
        generateWithTruth().0
    }

    /// The data and the noise-free quantities it was drawn from, for checking models against the optimum.
    public func generateWithTruth() -> (GeneratedData, truth: GeneratorTruth) {
        var customerRandom = SeededRandom(seed: seed)
        var targetRandom = SeededRandom(seed: seed ^ 0x7461_7267_6574_7321)
        var maskRandom = SeededRandom(seed: seed ^ 0x6D69_7373_696E_6721)
        var itemRandom = SeededRandom(seed: seed ^ 0x6974_656D_7321_2121)
        var interactionRandom = SeededRandom(seed: seed ^ 0x6C69_6B65_7321_2121)

        let sampler = CustomerSampler(tasteClusters: InteractionGenerator.tasteClusters)
        var records: [CustomerRecord] = []
        records.reserveCapacity(rows)
        for _ in 0..<rows {
            var record = sampler.sample(&customerRandom)
            if customerRandom.bernoulli(AnomalyInjector.rate) {
                AnomalyInjector.inject(&record, &customerRandom)
            }
            records.append(record)
        }

        let truth = GeneratorTruth(records)
        var engagement = [Double](repeating: 0, count: rows)
        var churn = [Double](repeating: 0, count: rows)
        var lifetimeValue = [Double](repeating: 0, count: rows)
        let precision = CustomerTargets.engagementPrecision
        for i in 0..<rows {
            let mean = truth.engagementMean[i]
            engagement[i] = roundedTo(targetRandom.beta(mean * precision, (1 - mean) * precision), 4)
            churn[i] = targetRandom.bernoulli(truth.churnProbability[i]) ? 1 : 0
            let log = truth.lifetimeValueLogMean[i] + truth.lifetimeValueLogSigma[i] * targetRandom.normal()
            lifetimeValue[i] = roundedTo(Foundation.exp(log), 2)
        }

        var names = [CustomerSchema.idColumn]
        var columns: [Column] = [.numeric((0..<rows).map(Double.init))]
        for spec in CustomerColumns.features + CustomerColumns.sensitive {
            names.append(spec.name)
            columns.append(Self.column(spec, records, &maskRandom))
        }
        names += CustomerSchema.targets + [CustomerSchema.anomalyLabel]
        columns += [.numeric(engagement), .numeric(churn), .numeric(lifetimeValue), .numeric(records.map { $0.isAnomaly ? 1 : 0 })]
        let customers = try! Table(names: names, columns: columns)

        let interactionGenerator = InteractionGenerator(itemCount: items)
        let catalogue = interactionGenerator.catalogue(&itemRandom)
        var users: [Double] = [], itemIDs: [Double] = [], timestamps: [Double] = []
        users.reserveCapacity(rows * 11)
        itemIDs.reserveCapacity(rows * 11)
        timestamps.reserveCapacity(rows * 11)
        for (user, record) in records.enumerated() {
            interactionGenerator.interactions(user: user, record: record, catalogue: catalogue, &interactionRandom,
                                              users: &users, items: &itemIDs, timestamps: &timestamps)
        }
        let interactions = try! Table(names: ["user_id", "item_id", "timestamp"],
                                      columns: [.numeric(users), .numeric(itemIDs), .numeric(timestamps)])

        var titleLevels: [String] = []
        var titleCode: [String: Int32] = [:]
        let titleCodes = catalogue.titles.map { title -> Int32 in
            if let code = titleCode[title] { return code }
            let code = Int32(titleLevels.count)
            titleCode[title] = code
            titleLevels.append(title)
            return code
        }
        let itemTable = try! Table(names: ["item_id", "category", "title"], columns: [
            .numeric((0..<items).map(Double.init)),
            .categorical(codes: catalogue.categories, levels: CustomerSchema.contentCategories),
            .categorical(codes: titleCodes, levels: titleLevels),
        ])
        return (GeneratedData(customers: customers, interactions: interactions, items: itemTable), truth)
    }

    private static func column(_ spec: CustomerColumnSpec, _ records: [CustomerRecord], _ random: inout SeededRandom) -> Column {
        switch spec.kind {
        case .numeric(let value):
            var values = records.map(value)
            if spec.missingRate > 0 {
                for i in values.indices where random.bernoulli(spec.missingRate) { values[i] = .nan }
            }
            return .numeric(values)
        case .categorical(let levels, let code):
            var codes = records.map { Int32(code($0)) }
            if spec.missingRate > 0 {
                for i in codes.indices where random.bernoulli(spec.missingRate) { codes[i] = -1 }
            }
            return .categorical(codes: codes, levels: levels)
        }
    }
}

/// The three tables a `CustomerGenerator` produces.
///
/// `customers`: one row per user (see `CustomerSchema`). `interactions`: `user_id`,
/// `item_id`, `timestamp` (Unix seconds), grouped by user and increasing in time,
/// each item at most once per user. `items`: `item_id` (0-based, the row index),
/// `category`, `title`.
public struct GeneratedData: Sendable {
    public let customers: Table
    public let interactions: Table
    public let items: Table

    public init(customers: Table, interactions: Table, items: Table) {
        self.customers = customers
        self.interactions = interactions
        self.items = items
    }

    public static let customersFile = "customers.csv"
    public static let interactionsFile = "interactions.csv"
    public static let itemsFile = "items.csv"

    /// Writes customers.csv, interactions.csv and items.csv, creating the directory.
    public func write(to directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CSVError(file: directory, line: 0, message: "cannot create the directory: \(error.localizedDescription)")
        }
        let folder = directory as NSString
        try CSV.write(customers, to: folder.appendingPathComponent(Self.customersFile))
        try CSV.write(interactions, to: folder.appendingPathComponent(Self.interactionsFile))
        try CSV.write(items, to: folder.appendingPathComponent(Self.itemsFile))
    }
}

/// The noise-free quantities behind a generated customers table, row by row.
///
/// Exists so that tests and benchmarks can compare a model with the best possible
/// one: the Bayes-optimal engagement prediction, churn probability and lifetime
/// value quantiles.
public struct GeneratorTruth: Sendable {
    /// E[engagement_score | features].
    public let engagementMean: [Double]
    /// P(churn_30_day = 1 | features).
    public let churnProbability: [Double]
    /// log(lifetime_value_usd) is normal with this mean and standard deviation.
    public let lifetimeValueLogMean: [Double]
    public let lifetimeValueLogSigma: [Double]
    /// The hidden taste cluster that drives each user's item choices.
    public let tasteCluster: [Int]

    init(_ records: [CustomerRecord]) {
        engagementMean = records.map(CustomerTargets.engagementMean)
        churnProbability = records.map(CustomerTargets.churnProbability)
        let lifetime = records.map(CustomerTargets.lifetimeValueLog)
        lifetimeValueLogMean = lifetime.map(\.mean)
        lifetimeValueLogSigma = lifetime.map(\.sigma)
        tasteCluster = records.map(\.tasteCluster)
    }

    /// The true `q`-quantile of each user's lifetime value, 0 < q < 1.
    public func lifetimeValueQuantile(_ q: Double) -> [Double] {
        let z = NormalDistribution.quantile(q)
        return zip(lifetimeValueLogMean, lifetimeValueLogSigma).map { Foundation.exp($0 + $1 * z) }
    }
}
