import ArgumentParser
import Coordinator
import Dataset
import Foundation
import ModelZoo
import Training
import Registry

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train one model from CSV files, without a cluster.")

    /// The kinds one CSV can train; a stacking ensemble needs its base models' outputs, which `engage run` builds.
    static let kinds: [ModelKind] = [.gbdt, .anomaly, .ncf]

    @Option(help: "Model kind: \(kinds.map(\.rawValue).joined(separator: ", ")).") var kind: ModelKind = .gbdt
    @Option(help: "regression, binary or quantile (gbdt only).") var objective: ModelObjective?
    @Option(help: "Quantile levels for --objective quantile.") var quantiles = "0.1,0.5,0.9"
    @Option(help: "The target column (for anomaly: an optional evaluation-only label such as is_anomaly).") var target: String?
    @Option(help: "Anomaly: expected share of anomalies, which sets the flag threshold.") var contamination = 0.01
    @Option(help: "Anomaly: how the two parts' scores combine (\(ScoreCombination.allCases.map(\.rawValue).joined(separator: ", "))).")
    var combination = AnomalyDetectorParameters().combination
    @Option(help: "Training CSV (gbdt, anomaly).") var train: String?
    @Option(help: "Validation CSV (early stopping; quantile calibration).") var valid: String?
    @Option(help: "Test CSV (metrics, permutation importance).") var test: String?
    @Option(help: "Columns to read as categorical, comma-separated.") var categorical = ""
    @Option(help: "Columns that are not features, comma-separated.") var ignore = ""
    @Option(help: "Sensitive attributes: never features, comma-separated.") var sensitive = ""
    @Option(help: "The level of a binary target that is the positive class (needed unless the target is 0/1 or true/false).") var positive: String?
    @Flag(help: "Drop rows whose target is missing (printing how many) instead of refusing the file.") var dropMissingTarget = false
    @Option var trees = 300
    @Option var leaves = 31
    @Option var learningRate = 0.1
    @Option var maxBin = 255
    @Option var minDataInLeaf = 20
    @Option(help: "Stop when the validation metric has not improved for N trees.") var earlyStopping: Int?
    @OptionGroup(title: "Recommender (--kind ncf)") var recommender: RecommenderTrainOptions
    @Option(help: "GBDT: test rows (the first N) explained by exact TreeSHAP for the mean |SHAP| importance; 0 = none (the default: on tables of 5,000-50,000 rows 250 rows cost a third of the fit; `engage predict --shap` explains any rows).")
    var shapRows = 0
    @Option(help: "GBDT: test rows (the first N) for permutation importance; 0 = none.")
    var permutationRows = 1_000
    @Flag(help: "GBDT: skip permutation importance and SHAP (test metrics, gain and split importance only).")
    var noExplanations = false
    @Option(help: "Threads (0 = all cores).") var threads = 0
    @Option var seed: UInt64 = 0
    @Option(help: "Output directory: model.engage, metrics.json, importance.json.") var out: String

    func run() throws {
        try failing {
            guard TrainCommand.kinds.contains(kind) else {
                throw CLIFailure(message: "--kind \(kind.rawValue): a stacking ensemble trains on its base models' outputs; define it in cluster.yaml and use `engage run`")
            }
            if kind == .ncf {
                try recommender.train(threads: threads, seed: seed, out: out)
                return
            }
            guard let train else { throw CLIFailure(message: "--train CSV is required for --kind \(kind.rawValue)") }
            var pins = ColumnPins()
            pins.pinIfFree(list(categorical), .categorical)
            pins.pinIfFree(list(ignore), .ignore)
            pins.pinIfFree(list(sensitive), .sensitive)
            let files = [train] + [valid, test].compactMap { $0 }
            var tables = try pins.read(paths: files)[...]
            var trainTable = tables.removeFirst()
            var validTable = valid.map { _ in tables.removeFirst() }
            var testTable = test.map { _ in tables.removeFirst() }
            let objective: ModelObjective
            switch kind {
            case .anomaly, .ncf, .stacking:
                objective = .anomaly
            case .gbdt:
                guard let chosen = self.objective, ModelObjective.gbdt.contains(chosen) else {
                    throw CLIFailure(message: "--objective regression, binary or quantile is required for --kind gbdt")
                }
                objective = chosen
            }
            let target = self.target ?? ""
            if kind == .gbdt || !target.isEmpty, trainTable.index(of: target) == nil {
                throw CLIFailure(message: "\(train): no target column '\(target)'; columns are \(trainTable.names.joined(separator: ", "))")
            }
            if kind == .gbdt {
                if positive != nil, objective != .binary {
                    throw CLIFailure(message: "--positive names a binary target's positive class; --objective \(objective.rawValue) has none")
                }
                let rule = TargetRule(column: target, objective: objective, positive: positive)
                trainTable = try droppingMissingTarget(rule, train, trainTable)
                let levels = try onFile(train) { try rule.levels(in: trainTable) }
                if let valid, let table = validTable { validTable = try checkedLabels(rule, levels, valid, table) }
                if let test, let table = testTable { testTable = try checkedLabels(rule, levels, test, table) }
            } else if positive != nil {
                throw CLIFailure(message: "--positive names a binary target's positive class; --kind \(kind.rawValue) has none")
            }
            let excluded = list(ignore) + list(sensitive)
            for name in excluded where trainTable.index(of: name) == nil {
                throw CLIFailure(message: "\(train): no column '\(name)' (named in --ignore or --sensitive)")
            }
            let features = GBDTJobRunner.featureNames(of: trainTable, excluding: excluded, target: target)
            let prohibited = ProhibitedAttributes.matches(in: features).map(\.column)
            guard prohibited.isEmpty else {
                throw CLIFailure(message: "\(train): prohibited attribute\(prohibited.count > 1 ? "s" : "") \(prohibited.joined(separator: ", ")) may not be used as features; pass them in --ignore")
            }
            var parameters = GBDTParameters()
            parameters.trees = trees
            parameters.leaves = leaves
            parameters.learningRate = learningRate
            parameters.maxBin = maxBin
            parameters.minDataInLeaf = minDataInLeaf
            parameters.earlyStoppingRounds = earlyStopping
            parameters.seed = seed
            let levels = try list(quantiles).map { text -> Double in
                guard let value = Double(text), value > 0, value < 1 else { throw CLIFailure(message: "--quantiles: '\(text)' is not a level between 0 and 1") }
                return value
            }
            var spec = TrainingJobSpec(model: (out as NSString).lastPathComponent, kind: kind, objective: objective, target: target,
                                       excludedColumns: excluded, quantiles: objective == .quantile ? levels : [], parameters: parameters,
                                       role: .full, trainShards: [], evalShards: [])
            spec.positiveLevel = positive
            spec.shapRows = noExplanations ? 0 : shapRows
            spec.permutationRows = noExplanations ? 0 : permutationRows
            spec.anomaly.contamination = contamination
            spec.anomaly.seed = seed
            spec.anomaly.combination = combination
            let outcome = try JobRunner.run(spec: spec, threads: threads, inputs: JobInputs(train: trainTable, eval: testTable, validation: validTable))
            try ModelDirectory(path: out).write(outcome)
            let shown = outcome.report.metrics.filter { $0.split == "test" || testTable == nil }
            print("trained \(outcome.report.trees) trees (\(kind.rawValue)) on \(outcome.report.trainRows) rows × \(outcome.report.features.count) features in \(format(outcome.report.fitSeconds, digits: 2)) s"
                + "; evaluation and explanations \(format(outcome.report.trainSeconds - outcome.report.fitSeconds, digits: 2)) s → \(out)")
            if let json = outcome.report.reports[AnomalyJobRunner.trainingReportName],
               let parts = try? JSONDecoder().decode(AnomalyTrainingReport.self, from: Data(json.utf8)) {
                print("isolation forest: fit \(format(parts.forestFitSeconds, digits: 3)) s + score \(format(parts.forestScoreSeconds, digits: 3)) s; "
                      + "autoencoder: fit \(format(parts.autoencoderFitSeconds, digits: 3)) s + score \(format(parts.autoencoderScoreSeconds, digits: 3)) s "
                      + "(\(parts.rows) rows, in memory)")
                print("combination: \(parts.combination.rawValue) (separation of the top \(contamination * 100) %, robust SDs: "
                      + "isolation forest \(format(parts.forestSeparation, digits: 3)), autoencoder \(format(parts.autoencoderSeparation, digits: 3)); "
                      + "tail confirmed by the other part: isolation forest \(format(parts.forestConfirmation ?? .nan, digits: 3)), "
                      + "autoencoder \(format(parts.autoencoderConfirmation ?? .nan, digits: 3)))")
            }
            for metric in shown { print("  \(metric.split) \(metric.name) = \(format(metric.value, digits: 6))") }
        }
    }

    /// `table` from `path` without the rows whose target is missing, when `--drop-missing-target` asks (saying how many).
    private func droppingMissingTarget(_ rule: TargetRule, _ path: String, _ table: Table) throws -> Table {
        guard dropMissingTarget else { return table }
        let (kept, dropped) = try onFile(path) { try rule.droppingMissing(table) }
        if dropped > 0 { print("\(path): dropped \(dropped) rows with a missing target '\(rule.column)'") }
        return kept
    }

    /// A validation or test file, checked against the training levels before any training starts.
    private func checkedLabels(_ rule: TargetRule, _ levels: BinaryLevels?, _ path: String, _ table: Table) throws -> Table {
        let kept = try droppingMissingTarget(rule, path, table)
        _ = try onFile(path) { try rule.labels(kept, levels: levels) }
        return kept
    }

    /// A `TargetError` as a failure that names the file it is about.
    private func onFile<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as TargetError {
            throw CLIFailure(message: "\(path): \(error.message)")
        }
    }

    private func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

extension ModelObjective: ExpressibleByArgument {}
extension ModelKind: ExpressibleByArgument {}

/// The files `engage train` writes and `engage predict --model DIR` reads.
struct ModelDirectory {
    let path: String
    static let artifactName = "model.engage"

    var artifactPath: String { (path as NSString).appendingPathComponent(ModelDirectory.artifactName) }

    func write(_ outcome: JobOutcome) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let encoder = EngageJSONEncoder([.prettyPrinted, .sortedKeys])
        try outcome.artifact.write(to: URL(fileURLWithPath: artifactPath), options: .atomic)
        try encoder.encode(outcome.report.metrics).write(to: URL(fileURLWithPath: (path as NSString).appendingPathComponent("metrics.json")), options: .atomic)
        try encoder.encode(outcome.report.importance).write(to: URL(fileURLWithPath: (path as NSString).appendingPathComponent("importance.json")), options: .atomic)
    }

    func load() throws -> TrainedModel {
        guard let data = FileManager.default.contents(atPath: artifactPath) else {
            throw CLIFailure(message: "\(path): no \(ModelDirectory.artifactName) here (expected a directory written by engage train)")
        }
        do {
            return try TrainedModel.decode(data)
        } catch {
            throw CLIFailure(message: "\(artifactPath): \(CLIFailure(error).description)")
        }
    }
}

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "predict", abstract: "Score a CSV with a trained model: a directory from engage train, or MODEL@VERSION / MODEL@ALIAS from the registry.")

    @Option(help: "A model directory, or a registry reference such as churn@3 or churn@production.") var model: String
    @Option(help: "The CSV to score.") var data: String
    @Option(help: "Where to write the predictions.") var out: String
    @Option(help: "The registry for MODEL@REF (default: registry.path of the cluster file).") var registry: String?
    @Option(name: .shortAndLong, help: "The cluster file that names the registry.") var config = "cluster.yaml"
    @Flag(help: "Add exact TreeSHAP values: one shap_<feature> column per feature and shap_base, in raw-score (margin) space. For a quantile model, of its median model.")
    var shap = false
    @Option(help: "Threads for scoring and SHAP (0 = all cores).") var threads = 0

    func run() throws {
        try failing {
            let trained = try loadModel()
            if case .recommender(let recommender) = trained.predictor {
                let columns = trained.header.recommender ?? RecommenderColumns()
                let table = try CSV.read(path: data)
                let result = try RecommenderOutput.pairScores(recommender, table: table, source: data, columns: columns, threads: threads)
                try CSV.write(result, to: out)
                print("wrote \(result.rowCount) recommender scores (\(columns.userColumn), \(columns.itemColumn), score, source) to \(out)")
                return
            }
            let categorical = Set(trained.header.schema.features.filter(\.categorical).map(\.name))
            let table = try CSV.read(path: data, categorical: categorical)
            let extra = trained.header.schema.extraColumns(in: table)
            if !extra.isEmpty {
                FileHandle.standardError.write(Data("note: \(data): columns not used by the model: \(extra.joined(separator: ", "))\n".utf8))
            }
            let outputs: [[Double]]
            do {
                outputs = try trained.predict(table)
            } catch {
                throw CLIFailure(message: "\(data): \(CLIFailure(error).description)")
            }
            var result = try Table(names: trained.outputNames, columns: outputs.map { Column.numeric($0) })
            if shap {
                guard let gbdt = GBDTJobRunner.explainedModel(of: trained) else {
                    throw CLIFailure(message: "--shap: this model has no tree ensemble to explain")
                }
                let explainer = TreeSHAP(model: gbdt)
                let (values, count) = try explainer.explain(try trained.header.schema.matrix(from: table), threads: threads)
                for (f, name) in gbdt.featureNames.enumerated() {
                    try result.set("shap_\(name)", .numeric((0..<table.rowCount).map { values[$0 * count + f] }))
                }
                try result.set("shap_base", .numeric(Array(repeating: explainer.expectedValue, count: table.rowCount)))
            }
            try CSV.write(result, to: out)
            print("wrote \(result.rowCount) predictions (\(trained.outputNames.joined(separator: ", "))) to \(out)")
        }
    }

    private func loadModel() throws -> TrainedModel {
        try loadTrainedModel(model, registry: registry, config: config)
    }
}

/// A model directory written by `engage train`, or MODEL@VERSION / MODEL@ALIAS from the registry.
func loadTrainedModel(_ model: String, registry: String?, config: String) throws -> TrainedModel {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory), isDirectory.boolValue {
        return try ModelDirectory(path: model).load()
    }
    guard model.contains("@") else {
        throw CLIFailure(message: "--model \(model): not a model directory, and not a registry reference like churn@3 or churn@production")
    }
    let path = try registry ?? ClusterConfig.loadIfPresent(path: config).registryPath
    let store = try ModelRegistry.openReadOnly(path: path)
    let version = try store.version(reference: model)
    return try TrainedModel.decode(try store.artifact(model: version.model, version: version.version))
}

extension ScoreCombination: ExpressibleByArgument {}
