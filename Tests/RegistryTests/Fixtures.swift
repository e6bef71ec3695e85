import Foundation
import ModelZoo
import Registry
import TestSupport
import XCTest

extension TemporaryDirectory {
    /// Where a registry test keeps its database (the folder does not exist yet: the registry makes it).
    var databasePath: String { path + "/registry/registry.sqlite" }
}

enum Sample {
    static func version(
        model: String = "churn", run: String = "run-1", artifact: String = "model bytes",
        auc: Double = 0.91, worker: String = "w1"
    ) -> NewVersion {
        NewVersion(
            model: model, runID: run, kind: .gbdt, artifact: Data(artifact.utf8),
            metrics: [
                MetricValue(split: "test", name: "auc", value: auc),
                MetricValue(split: "test", name: "logloss", value: 0.31),
                MetricValue(split: "oof", name: "auc", value: auc - 0.01),
            ],
            importance: [
                ImportanceRecord(feature: "days_since_login", gain: 120.5, splits: 40, permutation: 0.08, meanAbsSHAP: 0.6),
                ImportanceRecord(feature: "age", gain: 3.25, splits: 7, permutation: 0.001, meanAbsSHAP: 0.02),
            ],
            parameters: #"{"max_depth":6,"learning_rate":0.1}"#,
            reports: ["profile": #"{"rows":1000}"#, "fairness": #"{"verdict":"pass"}"#],
            datasetSHA256: String(repeating: "d", count: 64), configSHA256: String(repeating: "c", count: 64),
            shardIDs: ["aa11", "bb22"], codeVersion: "0.1.0+abc", worker: worker, trainSeconds: 1.5)
    }
}

extension Sample {
    /// A binary classifier version with a fairness report whose lowest disparate impact is `impact` (on gender).
    static func churn(auc: Double, impact: Double = 0.9, artifact: String? = nil, prohibited: [String] = [],
                      features: [String] = ["days_since_login", "age"], parameters: String = #"{"max_depth":6,"learning_rate":0.1}"#) -> NewVersion {
        var version = Sample.version(model: "churn", artifact: artifact ?? "churn auc \(auc) di \(impact) \(prohibited)", auc: auc)
        version.objective = .binary
        version.prohibitedFeatures = prohibited
        version.parameters = parameters
        version.importance = features.enumerated().map { index, feature in
            ImportanceRecord(feature: feature, gain: Double(100 / (index + 1)), splits: 10 - index, permutation: .nan, meanAbsSHAP: .nan)
        }
        version.fairness = Sample.fairness(genderImpact: impact)
        return version
    }

    static func fairness(genderImpact: Double) -> FairnessRecord {
        FairnessRecord(measures: [
            FairnessMeasure(attribute: "gender", group: "female", metric: "selection_rate", value: 0.30),
            FairnessMeasure(attribute: "gender", group: "male", metric: "selection_rate", value: 0.30 * genderImpact),
            FairnessMeasure(attribute: "gender", group: nil, metric: "disparate_impact", value: genderImpact),
            FairnessMeasure(attribute: "region", group: nil, metric: "disparate_impact", value: 0.95),
        ], verdict: genderImpact >= 0.8 ? .pass : .fail, body: #"{"threshold":0.5}"#)
    }
}

/// Collects values from several threads.
final class LockedList<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Element] = []

    func append(_ item: Element) { lock.withLock { items.append(item) } }
    var values: [Element] { lock.withLock { items } }
}

func assertThrows<T>(
    _ expression: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line,
    _ check: (Error) -> Void
) {
    XCTAssertThrowsError(try expression(), file: file, line: line, check)
}
