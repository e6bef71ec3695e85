import ModelZoo
import Dataset
import Foundation

/// Carries out a recommender job (kind `ncf`): reads the interaction log (and the item table's
/// categories and titles), holds out each user's latest interaction, trains NeuMF on the rest
/// and ranks every held-out item among 99 sampled negatives, beside the popularity and
/// matrix-factorisation baselines on the same split.
///
/// The registered model is the evaluated one (trained without the held-out interactions), so
/// its metrics describe exactly the artifact. Its output for the ensemble is each customer's
/// recommender affinity (`NeuMFModel.userAffinity`); see docs/models.md.
public struct NCFJobRunner: Sendable {
    public let spec: TrainingJobSpec
    public let threads: Int

    /// HR@k and NDCG@k cut-off, and the negatives each held-out item is ranked among.
    public static let cutoff = 10
    public static let evaluationNegatives = 99
    /// Users audited for fairness at most (top-k over the whole catalogue costs items × users).
    public static let fairnessUsers = 10_000

    public init(spec: TrainingJobSpec, threads: Int) {
        self.spec = spec
        self.threads = threads
    }

    public func run(_ inputs: JobInputs, progress: (@Sendable (Double) -> Void)? = nil) throws -> JobOutcome {
        let clock = ContinuousClock()
        let started = clock.now
        let settings = spec.recommender ?? RecommenderJobSettings()
        var parameters = settings.parameters
        parameters.threads = threads
        try parameters.validate()

        let log = try Self.interactionLog(inputs, settings: settings)
        let features = try inputs.items.map {
            try ItemFeatures(table: $0, items: log.items, idColumn: settings.itemIDColumn, categoryColumn: settings.itemCategoryColumn,
                             textColumn: settings.itemTextColumn, wordBuckets: parameters.wordBuckets)
        }
        let split = try Self.evaluationSplit(log, seed: parameters.seed)
        let splitSeconds = (clock.now - started).seconds

        let interactions = split.train.interactionCount
        let pretrainEpochs = settings.baselines || parameters.pretrainEpochs > 0 ? parameters.pretrainEpochs : 0
        let baselineEpochs = settings.baselines && parameters.pretrainEpochs == 0 ? parameters.pretraining.epochs : 0
        let totalEpochs = Double(parameters.passes(forEpochs: parameters.epochs + pretrainEpochs + baselineEpochs, interactions: interactions))
        var finished = 0.0
        var epochs = [RecommenderEpoch]()
        func record(_ epoch: RecommenderEpoch) {
            epochs.append(epoch)
            finished += 1
            progress?(min(1, finished / max(1, totalEpochs)))
        }
        let fitStart = clock.now
        let model: NeuMFModel
        var metrics: [MetricValue] = []
        let name = spec.evaluationSplit
        let neuMFSeconds: Double
        let evaluationSeconds: Double
        if settings.baselines {
            let (comparison, trained) = try RecommenderComparison.run(split, features: features, neuMF: parameters,
                                                                      matrixFactorization: parameters.pretraining, k: Self.cutoff,
                                                                      progress: record)
            model = trained
            neuMFSeconds = comparison.neuMFTrainingSeconds
            evaluationSeconds = comparison.evaluationSeconds
            metrics += Self.metrics(comparison.neuMF, of: nil, split: name)
            metrics += Self.metrics(comparison.popularity, of: .popularity, split: name)
            metrics += Self.metrics(comparison.matrixFactorization, of: .matrixFactorization, split: name)
        } else {
            model = try NeuMFTrainer(parameters: parameters).fit(split.train, features: features) { phase, epoch, loss, seconds in
                record(RecommenderEpoch(model: "NeuMF", phase: phase, epoch: epoch, loss: loss, seconds: seconds))
            }
            neuMFSeconds = (clock.now - fitStart).seconds
            let evaluationStart = clock.now
            metrics += Self.metrics(split.evaluate(model, k: Self.cutoff, threads: threads), of: nil, split: name)
            evaluationSeconds = (clock.now - evaluationStart).seconds
        }
        metrics.append(MetricValue(split: name, name: MetricDefinition.evaluatedUsers.name, value: Double(split.evaluatedUsers)))

        let affinityStart = clock.now
        let scoredPredictions = try inputs.scored.map { try affinity(model, for: $0, column: settings.userColumn) } ?? []
        let affinitySeconds = (clock.now - affinityStart).seconds

        var reports: [String: String] = [:]
        let fairnessStart = clock.now
        if let scored = inputs.scored, !spec.sensitive.isEmpty, case .full = spec.role,
           let fairness = try fairnessReport(model, split: split, scored: scored, userColumn: settings.userColumn) {
            reports[FairnessReport.registryName] = try fairness.json()
        }
        let fairnessSeconds = (clock.now - fairnessStart).seconds
        let training = RecommenderTrainingReport(
            epochs: epochs, splitSeconds: splitSeconds, neuMFSeconds: neuMFSeconds, evaluationSeconds: evaluationSeconds,
            affinitySeconds: affinitySeconds, fairnessSeconds: fairnessSeconds, users: log.users.count,
            items: log.items.count, interactions: log.interactionCount, trainingInteractions: split.train.interactionCount,
            evaluatedUsers: split.evaluatedUsers, registeredModel: "trained without each user's held-out latest interaction")
        let encoder = JSONEncoder.sortedKeys
        reports["recommender_training"] = String(decoding: try encoder.encode(training), as: UTF8.self)

        var trained = TrainedModel(kind: spec.kind, objective: .ranking, target: "", schema: FeatureSchema(features: []),
                                   predictor: .recommender(model))
        trained.header.recommender = settings.columns
        var report = JobReport(model: spec.model, metrics: metrics, importance: [], features: [],
                                parameters: String(decoding: try encoder.encode(parameters), as: UTF8.self),
                                trainRows: inputs.train.rowCount, evalRows: split.evaluatedUsers,
                                trainSeconds: (clock.now - started).seconds, trees: 0)
        report.reports = reports
        report.fitSeconds = neuMFSeconds
        return JobOutcome(artifact: try trained.encode(), report: report, evalPredictions: [], scoredPredictions: scoredPredictions)
    }

    /// The job's interaction log: the catalogue's items first, then those only the log names.
    public static func interactionLog(_ inputs: JobInputs, settings: RecommenderJobSettings) throws -> InteractionLog {
        let knownItems = try inputs.items.map { try itemIDs($0, column: settings.itemIDColumn) } ?? []
        return try InteractionLog(table: inputs.train, userColumn: settings.userColumn, itemColumn: settings.itemColumn,
                                  timestampColumn: settings.timestampColumn, knownItems: knownItems)
    }

    /// The split the job trains on and reports: each user's latest interaction held out among
    /// `evaluationNegatives` sampled items.
    public static func evaluationSplit(_ log: InteractionLog, seed: UInt64) throws -> LeaveOneOutSplit {
        try LeaveOneOutSplit(log, negatives: evaluationNegatives, seed: seed)
    }

    /// Each row's user's affinity (`RecommenderAffinity`), the ensemble's input from this model.
    func affinity(_ model: NeuMFModel, for table: Table, column: String) throws -> [Double] {
        try RecommenderAffinity(model, threads: threads).values(for: table, column: column)
    }

    /// HR@k by sensitive group and category exposure of the top-k lists, for the evaluated users
    /// found in `scored` (at most `fairnessUsers`, evenly spaced); nil when there are no
    /// categories or no such users.
    func fairnessReport(_ model: NeuMFModel, split: LeaveOneOutSplit, scored: Table, userColumn: String) throws -> FairnessReport? {
        guard !model.itemFeatures.categories.isEmpty, let userIndex = scored.index(of: userColumn) else { return nil }
        let present = spec.sensitive.filter { scored.index(of: $0) != nil }
        guard !present.isEmpty else { return nil }
        var rowOfUser = [Int32: Int]()
        for (row, id) in IDVocabulary.keys(scored.columns[userIndex]).enumerated() {
            if let id, let user = model.users.index(of: id) { rowOfUser[user] = rowOfUser[user] ?? row }
        }
        let hits = split.userHits(model, k: Self.cutoff, threads: threads)
        var audited = [(test: Int, row: Int)]()
        for (test, user) in split.testUsers.enumerated() { if let row = rowOfUser[user] { audited.append((test, row)) } }
        guard !audited.isEmpty else { return nil }
        if audited.count > Self.fairnessUsers {
            audited = (0..<Self.fairnessUsers).map { audited[$0 * audited.count / Self.fairnessUsers] }
        }
        let lists = model.topItems(users: audited.map { split.testUsers[$0.test] }, k: Self.cutoff, threads: threads)
        let categories = model.itemFeatures.itemCategory.map { $0 >= 0 ? model.itemFeatures.categories[Int($0)] : "(none)" }
        let rows = audited.map(\.row)
        let attributes = try present.map { name in
            SensitiveAttribute(name: name, column: try scored.column(name).gather(rows))
        }
        let recommender = try RecommenderFairness(k: Self.cutoff).report(
            hits: audited.map { hits[$0.test] }, recommendations: lists.map { $0.map { Int($0.item) } }, itemCategories: categories,
            sensitive: attributes)
        return FairnessReport(recommender: recommender)
    }

    private static func itemIDs(_ items: Table, column: String) throws -> [String] {
        guard let index = items.index(of: column) else {
            throw RecommenderError.missingColumn(column, table: "items", available: items.names)
        }
        return try IDVocabulary.keys(items.columns[index]).enumerated().map { row, id in
            guard let id else { throw RecommenderError.missingID(table: "items", column: column, row: row) }
            return id
        }
    }

    private static func metrics(_ ranking: RankingMetrics, of baseline: RankingBaseline?, split: String) -> [MetricValue] {
        [MetricValue(split: split, name: MetricDefinition.hitRate(k: ranking.k, of: baseline).name, value: ranking.hitRate),
         MetricValue(split: split, name: MetricDefinition.ndcg(k: ranking.k, of: baseline).name, value: ranking.ndcg)]
    }
}

/// The recommender job's training trail for the registry (`reports["recommender_training"]`).
struct RecommenderTrainingReport: Codable {
    var epochs: [RecommenderEpoch]
    /// Reading the log and holding out each user's latest interaction.
    var splitSeconds: Double
    var neuMFSeconds: Double
    /// Ranking the held-out items (with the baselines when they are trained).
    var evaluationSeconds: Double
    var affinitySeconds: Double
    var fairnessSeconds: Double
    var users: Int
    var items: Int
    var interactions: Int
    var trainingInteractions: Int
    var evaluatedUsers: Int
    var registeredModel: String
}
