import ArgumentParser
import Coordinator
import Dataset
import Foundation
import ModelZoo
import Registry
import Serving

/// `engage drift`: compares a new CSV with a reference CSV feature by feature, so that a user or
/// a scheduler can decide to retrain from one exit status.
struct DriftCommand: ParsableCommand {
    /// Exit statuses: `ExitCode.success` (0) when the dataset has not drifted.
    static let driftStatus: Int32 = 1
    static let usageStatus: Int32 = 2

    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Compare NEW.csv with REF.csv, or with a registered version's stored profile: per-feature drift tests and a dataset verdict.",
        discussion: """
        Numeric columns: two-sample Kolmogorov–Smirnov (as scipy.stats.ks_2samp: exact p-value when both samples \
        have at most 10,000 values, asymptotic otherwise) and PSI over the reference's quantile bins (--bins, empty \
        bins count as a share of 1e-4). Text columns: chi-squared on the reference-vs-new level counts (as \
        scipy.stats.chi2_contingency, Yates-corrected when there are two levels), PSI over the levels, and the \
        levels NEW has that REF never had. Missing values are left out of the tests and their rates reported.

        A feature drifts when its p-value, adjusted by --correction over all features, is below --alpha, or its \
        PSI is at least --psi-threshold. The dataset drifts when at least --drifted-share of the features drift. \
        Thresholds come from the flags, then the drift: section of --config, then the defaults.

        Compared columns: --columns, or every column of REF. A compared column missing from either file, or \
        numeric in one file and text in the other, is an error.

        --against MODEL@REF instead of --reference compares NEW with the profile stored with that version at \
        registration (its training rows): KS against the stored sample of up to 5,000 values, PSI over the stored \
        bins, chi-squared over the stored level counts; the compared features are the model's. It also scores NEW \
        with the version and reports the drift of its predictions against its predictions on the training rows \
        (shown apart; the dataset verdict and exit status come from the features).

        --served MODEL@REF instead of --data compares the rows `engage serve` logged for that version (the \
        registry's served_requests, sampled by --log-sample; the newest --served-limit requests) with its stored \
        profile, with the same tests; the prediction drift is of the version's outputs on those rows.

        Exit status: 0 no dataset drift, 1 dataset drift, 2 bad input or usage.
        """)

    @Option(help: ArgumentHelp("The reference CSV (the data the model was trained on).", valueName: "REF.csv"))
    var reference: String?

    @Option(help: ArgumentHelp("A registered version whose stored profile is the reference, e.g. churn@production.", valueName: "MODEL@REF"))
    var against: String?

    @Option(help: "The registry of --against (default: registry.path of --config, or of cluster.yaml).")
    var registry: String?

    @Option(help: ArgumentHelp("The new CSV to check.", valueName: "NEW.csv"))
    var data: String?

    @Option(help: ArgumentHelp("A served version whose logged requests are the new data, against its stored profile, e.g. churn@production.",
                               valueName: "MODEL@REF"))
    var served: String?

    @Option(help: "With --served: the newest logged requests compared at most (default 100000).")
    var servedLimit: Int?

    @Option(help: "Columns to compare, comma-separated (default: every column of the reference).")
    var columns: String?

    @Option(help: "A cluster file whose drift: section sets the thresholds.")
    var config: String?

    @Option(help: "Significance level of the per-feature tests (default 0.05).")
    var alpha: Double?

    @Option(help: "PSI at or above which a feature drifts (default 0.2).")
    var psiThreshold: Double?

    @Option(help: "Share of drifted features at or above which the dataset drifts (default 0.5).")
    var driftedShare: Double?

    @Option(help: "Multiple-testing correction of the p-values: none, bonferroni or bh (Benjamini–Hochberg; default none).")
    var correction: String?

    @Option(help: "PSI bins of a numeric feature, cut at the reference's quantiles (default 10).")
    var bins: Int?

    @Flag(help: "Print the report as JSON (undefined values are null).")
    var json = false

    func run() throws {
        let outcome: (report: DriftReport, prediction: FeatureDrift?, referenceName: String, dataName: String)
        do {
            outcome = try compare()
        } catch {
            FileHandle.standardError.write(Data("error: \(CLIFailure(error).description)\n".utf8))
            throw ExitCode(Self.usageStatus)
        }
        let report = outcome.report
        print(json ? try DriftReportJSON.render(report, reference: outcome.referenceName, data: outcome.dataName, prediction: outcome.prediction)
                   : DriftTableRenderer(report: report, reference: outcome.referenceName, data: outcome.dataName, prediction: outcome.prediction).render())
        if report.drifted { throw ExitCode(Self.driftStatus) }
    }

    private func compare() throws -> (report: DriftReport, prediction: FeatureDrift?, referenceName: String, dataName: String) {
        if let served {
            guard data == nil, reference == nil, against == nil, columns == nil else {
                throw CLIFailure(message: "--served compares a version's logged requests with its stored profile: give it without --data, --reference, --against and --columns")
            }
            return try compareServed(served)
        }
        guard servedLimit == nil else { throw CLIFailure(message: "--served-limit: it limits --served, which is not given") }
        guard let data else { throw CLIFailure(message: "give --data NEW.csv (with --reference or --against), or --served MODEL@REF") }
        let currentTable = try CSV.read(path: data)
        switch (reference, against) {
        case (let reference?, nil):
            let detector = try DriftDetector(thresholds: try thresholds())
            let referenceTable = try CSV.read(path: reference)
            let features = try columns.map { list in
                let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                guard !names.isEmpty else { throw CLIFailure(message: "--columns: no column names in '\(list)'") }
                return names
            } ?? referenceTable.names
            return (try detector.compare(reference: referenceTable, current: currentTable, features: features, sources: (reference, data)), nil, reference, data)
        case (nil, let against?):
            guard columns == nil else { throw CLIFailure(message: "--columns: --against compares the model's own features") }
            let store = try ModelRegistry.openReadOnly(path: try registryPath())
            let version = try store.version(reference: against)
            let drift = try VersionDrift(registry: store, version: version, current: currentTable, thresholds: try thresholds(), source: data)
            return (drift.report, drift.prediction, "\(version.reference) (stored profile)", data)
        default:
            throw CLIFailure(message: "give exactly one of --reference REF.csv and --against MODEL@REF")
        }
    }

    /// The requests `engage serve` logged for the version `reference` names, against its profile.
    private func compareServed(_ reference: String) throws -> (report: DriftReport, prediction: FeatureDrift?, referenceName: String, dataName: String) {
        let limit = servedLimit ?? 100_000
        guard limit >= 1 else { throw CLIFailure(message: "--served-limit must be at least 1 (got \(limit))") }
        let store = try ModelRegistry.openReadOnly(path: try registryPath())
        let version = try store.version(reference: reference)
        let records = try store.servedRequests(model: version.model, version: version.version, newest: limit)
        guard !records.isEmpty else {
            throw CLIFailure(message: "\(version.reference): no served requests logged (engage serve keeps a share of them: --log-sample, serve.log_sample)")
        }
        let model = try TrainedModel.decode(try store.artifact(model: version.model, version: version.version))
        let table = try RequestLog.servedTable(records, features: model.header.schema.features)
        let name = "requests served by \(version.reference) (\(records.count) logged, \(StoredDate.encode(records[0].servedAt)) – \(StoredDate.encode(records[records.count - 1].servedAt)))"
        let drift = try VersionDrift(registry: store, version: version, current: table, thresholds: try thresholds(), source: "served:\(version.reference)")
        return (drift.report, drift.prediction, "\(version.reference) (stored profile)", name)
    }

    private func registryPath() throws -> String {
        try registry ?? ClusterConfig.loadIfPresent(path: config ?? "cluster.yaml").registryPath
    }

    private func thresholds() throws -> DriftThresholds {
        var thresholds = try config.map { try ClusterConfig.load(path: $0).drift } ?? DriftThresholds()
        if let alpha { thresholds.alpha = alpha }
        if let psiThreshold { thresholds.psiThreshold = psiThreshold }
        if let driftedShare { thresholds.driftedShare = driftedShare }
        if let bins { thresholds.bins = bins }
        if let correction {
            guard let chosen = PValueCorrection(rawValue: correction) else {
                throw CLIFailure(message: "--correction: expected none, bonferroni or bh, found '\(correction)'")
            }
            thresholds.correction = chosen
        }
        return thresholds
    }
}

/// `engage drift --json`: the report with the two file paths, every undefined number as null.
enum DriftReportJSON {
    private struct Document: Encodable {
        let reference: String
        let data: String
        let report: DriftReport
        let prediction: FeatureDrift?

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: DynamicKey.self)
            try c.encode(reference, forKey: DynamicKey("reference"))
            try c.encode(data, forKey: DynamicKey("data"))
            if let prediction { try c.encode(prediction, forKey: DynamicKey("prediction_drift")) }
            try report.encode(to: encoder)
        }
    }

    private struct DynamicKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func render(_ report: DriftReport, reference: String, data: String, prediction: FeatureDrift? = nil) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .throw
        return String(decoding: try encoder.encode(Document(reference: reference, data: data, report: report, prediction: prediction)), as: UTF8.self)
    }
}

/// `engage drift`'s human output: one row per feature, drifted first, then the dataset verdict.
struct DriftTableRenderer {
    let report: DriftReport
    let reference: String
    let data: String
    var prediction: FeatureDrift?

    func render() -> String {
        let t = report.thresholds
        let corrected = t.correction != .none
        var header = ["feature", "test", "statistic", "p-value"]
        if corrected { header.append("adj. p (\(t.correction.rawValue))") }
        header += ["PSI", "missing Δ", "unseen levels", "drifted"]
        let rows = report.features.map { f -> [String] in
            var row = [f.feature, f.test.rawValue, Self.number(f.statistic), Self.probability(f.pValue)]
            if corrected { row.append(Self.probability(f.adjustedPValue)) }
            let unseen = f.unseenLevels.map { "\($0) (\(Self.percent(f.unseenShare)))" } ?? "—"
            row += [Self.number(f.psi), Self.signedPercent(f.missingRateChange), unseen, f.drifted ? "DRIFT" : "no"]
            return row
        }
        let drifted = report.driftedFeatures.count
        return """
        drift: \(data) (\(report.currentRows) rows) against \(reference) (\(report.referenceRows) rows)
        rule: p\(corrected ? " (\(t.correction.rawValue)-adjusted)" : "") < \(t.alpha) or PSI ≥ \(t.psiThreshold) (\(t.bins) bins); \
        dataset drift at ≥ \(Self.percent(t.driftedShare)) of features

        \(renderTable(header: header, rows: rows))

        dataset drift: \(report.drifted ? "YES" : "no") — \(drifted) of \(report.features.count) features drifted (\(Self.percent(report.share)))
        """ + (prediction.map { p in
            "\nprediction drift (\(p.feature)): \(p.drifted ? "YES" : "no") — KS \(Self.number(p.statistic)), p \(Self.probability(p.pValue)), PSI \(Self.number(p.psi))"
        } ?? "")
    }

    static func number(_ value: Double?) -> String { value.map { String(format: "%.4g", $0) } ?? "—" }
    static func probability(_ value: Double?) -> String { value.map { $0 < 1e-4 ? String(format: "%.2e", $0) : String(format: "%.4f", $0) } ?? "—" }
    static func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "—" }
    static func signedPercent(_ value: Double?) -> String { value.map { String(format: "%+.1f%%", $0 * 100) } ?? "—" }
}
