import ArgumentParser
import Dataset
import Foundation
import ModelZoo
import Training

/// `engage recommend`: each user's top k items from a trained recommender.
struct RecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "Write each user's top k unseen items from an ncf model (a directory from engage train, or MODEL@REF from the registry).",
        discussion: "A user the model has never seen gets the k most popular items, with source = popularity.")

    @Option(help: "A model directory, or a registry reference such as recommendation@production.") var model: String
    @Option(help: "CSV with one user per row.") var users: String
    @Option(help: "The user column of --users (default: the model's user column).") var userCol: String?
    @Option(help: "Items per user.") var k = 10
    @Option(help: "Where to write the recommendations: user, rank, item, score, source.") var out: String
    @Option(help: "The registry for MODEL@REF (default: registry.path of the cluster file).") var registry: String?
    @Option(name: .shortAndLong, help: "The cluster file that names the registry.") var config = "cluster.yaml"
    @Option(help: "Threads (0 = all cores).") var threads = 0

    func run() throws {
        try failing {
            guard k >= 1 else { throw CLIFailure(message: "--k must be at least 1 (got \(k))") }
            let trained = try loadTrainedModel(model, registry: registry, config: config)
            guard case .recommender(let recommender) = trained.predictor else {
                throw CLIFailure(message: "--model \(model): a \(trained.header.kind) model cannot recommend; train one with --kind ncf")
            }
            let column = userCol ?? (trained.header.recommender ?? RecommenderColumns()).userColumn
            let table = try CSV.read(path: users)
            guard let index = table.index(of: column) else {
                throw CLIFailure(message: "\(users): no user column '\(column)'; columns are \(table.names.joined(separator: ", "))")
            }
            let ids = IDVocabulary.keys(table.columns[index]).map { $0 ?? "" }
            let lists = recommender.recommend(users: ids, k: k, threads: threads)
            let result = try RecommenderOutput.topK(lists, users: ids, userColumn: column)
            try CSV.write(result, to: out)
            let fallbacks = lists.filter { $0.first?.source == .popularity }.count
            print("wrote top \(k) for \(ids.count) users (\(fallbacks) unknown, given popular items) to \(out)")
        }
    }
}

/// The recommender's CSV outputs: pair scores for `engage predict`, top-k lists for `engage recommend`.
enum RecommenderOutput {
    /// The user and item columns as read, `score`, and `source` (model or popularity).
    static func pairScores(_ model: NeuMFModel, table: Table, source: String, columns: RecommenderColumns,
                           threads: Int) throws -> Table {
        func column(_ name: String) throws -> Column {
            guard let index = table.index(of: name) else {
                throw CLIFailure(message: "\(source): no column '\(name)' (the model's \(name == columns.userColumn ? "user" : "item") column); columns are \(table.names.joined(separator: ", "))")
            }
            return table.columns[index]
        }
        let userColumn = try column(columns.userColumn), itemColumn = try column(columns.itemColumn)
        let pairs = zip(IDVocabulary.keys(userColumn), IDVocabulary.keys(itemColumn)).map { (user: $0 ?? "", item: $1 ?? "") }
        let scores = model.score(pairs, threads: threads)
        return try Table(names: [columns.userColumn, columns.itemColumn, "score", "source"], columns: [
            userColumn, itemColumn, .numeric(scores.map(\.value)), sources(scores.map(\.source)),
        ])
    }

    /// One row per (user, rank): user, rank (1-based), item, score, source.
    static func topK(_ lists: [[RecommendedItem]], users: [String], userColumn: String) throws -> Table {
        var userCodes = [Int32](), ranks = [Double](), itemCodes = [Int32](), scores = [Double](), kinds = [RecommendationScore.Source]()
        var userLevels = Levels(), itemLevels = Levels()
        for (user, list) in zip(users, lists) {
            let code = userLevels.code(user)
            for (rank, entry) in list.enumerated() {
                userCodes.append(code)
                ranks.append(Double(rank + 1))
                itemCodes.append(itemLevels.code(entry.item))
                scores.append(entry.score)
                kinds.append(entry.source)
            }
        }
        return try Table(names: [userColumn, "rank", "item", "score", "source"], columns: [
            .categorical(codes: userCodes, levels: userLevels.names), .numeric(ranks),
            .categorical(codes: itemCodes, levels: itemLevels.names), .numeric(scores), sources(kinds),
        ])
    }

    private static func sources(_ values: [RecommendationScore.Source]) -> Column {
        .categorical(codes: values.map { $0 == .model ? 0 : 1 }, levels: [RecommendationScore.Source.model.rawValue,
                                                                            RecommendationScore.Source.popularity.rawValue])
    }

    private struct Levels {
        var names = [String]()
        var lookup = [String: Int32]()

        mutating func code(_ name: String) -> Int32 {
            if let known = lookup[name] { return known }
            lookup[name] = Int32(names.count)
            names.append(name)
            return Int32(names.count - 1)
        }
    }
}

/// `engage train --kind ncf`: the interaction log, the item table and NeuMF's main settings.
struct RecommenderTrainOptions: ParsableArguments {
    @Option(help: "Interactions CSV: one row per (user, item) event.") var interactions: String?
    @Option(help: "User id column of --interactions.") var userCol = "user_id"
    @Option(help: "Item id column of --interactions.") var itemCol = "item_id"
    @Option(help: "Orders each user's interactions; the latest is held out (default: timestamp when present, else file order).")
    var timestampCol: String?
    @Option(help: "Items CSV with side features (category, title).") var items: String?
    @Option(help: "Item id column of --items.") var itemIdCol = "item_id"
    @Option(help: "Title column of --items (hashed words).") var itemTextCol: String?
    @Option(help: "Category column of --items.") var itemCategoryCol: String?
    @Option(help: "Customers CSV with the user column: writes affinity.csv (each customer's recommender affinity).") var customers: String?
    @Option(help: "Epochs of NeuMF's joint training (after its matrix-factorisation pre-training).") var epochs: Int?
    @Option(help: "Epochs of the matrix-factorisation pre-training, which is also the MF baseline.") var pretrainEpochs: Int?
    @Option(help: "Further NeuMF settings as JSON, e.g. '{\"factors\": 16, \"l2\": 0.0001}' (docs/models.md).") var ncfParameters: String?
    @Flag(help: "Skip the popularity and matrix-factorisation baselines.") var noBaselines = false
    @Option(help: "Also write the evaluation split to this folder: train.csv (user, item, timestamp) and candidates.csv (user, item, held_out), so other libraries can be scored on the same held-out items and negatives.")
    var splitOut: String?

    func train(threads: Int, seed: UInt64, out: String) throws {
        guard let interactions else { throw CLIFailure(message: "--interactions CSV is required for --kind ncf") }
        let clock = ContinuousClock()
        let loadStart = clock.now
        let log = try CSV.read(path: interactions)
        var settings = RecommenderJobSettings()
        if let ncfParameters {
            do {
                settings.parameters = try JSONDecoder().decode(NeuMFParameters.self, from: Data(ncfParameters.utf8))
            } catch {
                throw CLIFailure(message: "--ncf-parameters: not valid NeuMF settings: \(error)")
            }
        }
        settings.userColumn = userCol
        settings.itemColumn = itemCol
        settings.timestampColumn = timestampCol ?? (log.index(of: "timestamp") != nil ? "timestamp" : nil)
        settings.itemIDColumn = itemIdCol
        settings.itemTextColumn = itemTextCol
        settings.itemCategoryColumn = itemCategoryCol
        if let epochs { settings.parameters.epochs = epochs }
        if let pretrainEpochs { settings.parameters.pretrainEpochs = pretrainEpochs }
        settings.parameters.seed = seed
        settings.baselines = !noBaselines
        for name in [userCol, itemCol] + (settings.timestampColumn.map { [$0] } ?? []) where log.index(of: name) == nil {
            throw CLIFailure(message: "\(interactions): no column '\(name)'; columns are \(log.names.joined(separator: ", "))")
        }
        let itemTable = try items.map { try CSV.read(path: $0) }
        if let items, let itemTable {
            for name in [itemIdCol] + [itemTextCol, itemCategoryCol].compactMap({ $0 }) where itemTable.index(of: name) == nil {
                throw CLIFailure(message: "\(items): no column '\(name)'; columns are \(itemTable.names.joined(separator: ", "))")
            }
        } else if itemTextCol != nil || itemCategoryCol != nil {
            throw CLIFailure(message: "--item-text-col and --item-category-col need --items")
        }
        let customerTable = try customers.map { try CSV.read(path: $0) }
        if let customers, let customerTable, customerTable.index(of: userCol) == nil {
            throw CLIFailure(message: "\(customers): no column '\(userCol)'; columns are \(customerTable.names.joined(separator: ", "))")
        }
        let loadSeconds = (clock.now - loadStart).seconds

        var spec = TrainingJobSpec(model: (out as NSString).lastPathComponent, kind: .ncf, objective: .ranking, target: "",
                                   excludedColumns: [], quantiles: [], parameters: GBDTParameters(), role: .full,
                                   trainShards: [], evalShards: [])
        spec.recommender = settings
        let inputs = JobInputs(train: log, scored: customerTable, items: itemTable)
        let outcome = try NCFJobRunner(spec: spec, threads: threads).run(inputs)
        if let splitOut {
            let split = try NCFJobRunner.evaluationSplit(try NCFJobRunner.interactionLog(inputs, settings: settings), seed: seed)
            let tables = try split.tables(userColumn: userCol, itemColumn: itemCol)
            try FileManager.default.createDirectory(atPath: splitOut, withIntermediateDirectories: true)
            try CSV.write(tables.train, to: (splitOut as NSString).appendingPathComponent("train.csv"))
            try CSV.write(tables.candidates, to: (splitOut as NSString).appendingPathComponent("candidates.csv"))
            print("wrote the evaluation split (\(tables.train.rowCount) training interactions, \(split.evaluatedUsers) users × \(split.negativesPerUser + 1) candidates) to \(splitOut)")
        }
        try ModelDirectory(path: out).write(outcome)
        if let customerTable {
            let affinity = try Table(names: [userCol, "affinity"], columns: [try customerTable.column(userCol), .numeric(outcome.scoredPredictions)])
            try CSV.write(affinity, to: (out as NSString).appendingPathComponent("affinity.csv"))
        }
        let trail = try JSONDecoder().decode(RecommenderTrail.self, from: Data((outcome.report.reports["recommender_training"] ?? "{}").utf8))
        for epoch in trail.epochs ?? [] { print(epoch.line) }
        let report = outcome.report
        print("trained NeuMF (ncf) on \(report.trainRows) interactions of \(trail.users ?? 0) users × \(trail.items ?? 0) items in \(format(report.fitSeconds, digits: 2)) s"
            + "; baselines, evaluation and affinity \(format(report.trainSeconds - report.fitSeconds, digits: 2)) s; reading CSV \(format(loadSeconds, digits: 2)) s → \(out)")
        for metric in report.metrics { print("  \(metric.split) \(metric.name) = \(format(metric.value, digits: 6))") }
        if let customers { print("affinity of \(outcome.scoredPredictions.count) customers (\(customers)) computed in \(format(trail.affinitySeconds ?? 0, digits: 3)) s") }
    }

    /// The parts of the job's `recommender_training` report the CLI prints.
    private struct RecommenderTrail: Decodable {
        var epochs: [RecommenderEpoch]?
        var users: Int?
        var items: Int?
        var affinitySeconds: Double?
    }
}
