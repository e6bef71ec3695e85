import Dataset
import Foundation
import ModelZoo
import Registry
import Serving
import TestSupport
import Training
import XCTest

/// The scoring library against `engage predict`: every kind, loaded from the registry the real
/// pipeline wrote, scores JSON-shaped rows exactly as the CLI scores the same rows in a CSV.
final class ScoringTests: XCTestCase {
    func testEveryKindScoresRowsAsEngagePredictDoes() throws {
        let fixture = try ServeFixture.shared()
        let registry = try fixture.registry()
        let rows = try FeatureRows(records: try fixture.records())
        for name in ["churn", "engagement", "lifetime_value", "anomaly"] {
            let loaded = try LoadedModel.load(try registry.version(reference: "\(name)@1"), from: registry)
            let scored = try loaded.score(rows)
            let expected = try loaded.trained.predict(try fixture.customers(for: loaded.trained))
            XCTAssertEqual(scored.names, loaded.trained.outputNames, name)
            XCTAssertEqual(scored.columns.count, expected.count, name)
            for (column, reference) in zip(scored.columns, expected) {
                XCTAssertEqual(column.count, rows.rowCount)
                for (a, b) in zip(column, reference) { XCTAssertEqual(a, b, accuracy: 1e-12, name) }
            }
        }
        let quantiles = try LoadedModel.load(try registry.version(reference: "lifetime_value@1"), from: registry).score(rows)
        XCTAssertEqual(quantiles.names, ["q0.1", "q0.5", "q0.9"])
        let anomaly = try LoadedModel.load(try registry.version(reference: "anomaly@1"), from: registry).score(rows)
        XCTAssertEqual(Array(anomaly.names.prefix(2)), ["score", "flag"])
        XCTAssertTrue(anomaly.columns[1].allSatisfy { $0 == 0 || $0 == 1 })
    }

    /// The ensemble from raw customer features equals `engage predict` through the base models:
    /// each base model scored by the real CLI, its output transformed as in training (log-odds
    /// for churn, the median for lifetime_value), the recommender's affinity, then `engage
    /// predict` of the ensemble on that table.
    func testEnsembleEqualsEngagePredictThroughItsBaseModels() throws {
        let fixture = try ServeFixture.shared()
        let registry = try fixture.registry()
        let ensemble = try LoadedModel.load(try registry.version(reference: "ensemble@1"), from: registry)
        guard case .stacking(let stacking) = ensemble.trained.predictor else { return XCTFail("the ensemble is not a stacking model") }
        let served = try ensemble.score(try FeatureRows(records: try fixture.records()))

        var inputs = try Table(names: [], columns: [])
        for input in stacking.inputNames {
            let base = try registry.versions(model: input).first { $0.runID == ensemble.version.runID }!
            let trained = try TrainedModel.decode(try registry.artifact(model: input, version: base.version))
            let values: [Double]
            if case .recommender(let recommender) = trained.predictor {
                values = try RecommenderAffinity(recommender, threads: 1).values(for: try CSV.read(path: fixture.customersPath), column: CustomerSchema.idColumn)
            } else {
                let out = (fixture.directory as NSString).appendingPathComponent("predict-\(input).csv")
                let run = try fixture.engage.run(["predict", "--model", "\(input)@\(base.version)", "--data", fixture.customersPath, "--out", out], in: fixture.directory)
                XCTAssertEqual(run.status, 0, run.output)
                let predicted = try CSV.read(path: out)
                let central = try predicted.numeric(trained.outputNames[trained.centralOutput])
                values = trained.header.objective == .binary ? central.map(OutOfFoldAssembler.logOdds) : central
            }
            try inputs.set(input, .numeric(values))
        }
        let inputPath = (fixture.directory as NSString).appendingPathComponent("ensemble-inputs.csv")
        try CSV.write(inputs, to: inputPath)
        let out = (fixture.directory as NSString).appendingPathComponent("predict-ensemble.csv")
        let run = try fixture.engage.run(["predict", "--model", "ensemble@1", "--data", inputPath, "--out", out], in: fixture.directory)
        XCTAssertEqual(run.status, 0, run.output)
        let expected = try CSV.read(path: out).numeric("prediction")
        XCTAssertEqual(served.columns[0].count, expected.count)
        for (a, b) in zip(served.columns[0], expected) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        XCTAssertGreaterThan(Set(expected).count, 1, "the ensemble must not be constant on these customers")
    }

    func testExplanationsAddUpToTheRawScoreAndNameTheirFeatures() throws {
        let fixture = try ServeFixture.shared()
        let registry = try fixture.registry()
        let churn = try LoadedModel.load(try registry.version(reference: "churn@1"), from: registry)
        let rows = try FeatureRows(records: try fixture.records())
        let explanations = try churn.explain(rows, top: 3)
        let probabilities = try churn.score(rows).columns[0]
        XCTAssertEqual(explanations.count, rows.rowCount)
        for (explanation, probability) in zip(explanations, probabilities) {
            let total = explanation.base + explanation.contributions.reduce(0) { $0 + $1.contribution }
            XCTAssertEqual(total, explanation.rawScore, accuracy: 1e-6)
            XCTAssertEqual(1 / (1 + exp(-explanation.rawScore)), probability, accuracy: 1e-9)
            XCTAssertEqual(explanation.contributions.map(\.feature), churn.trained.header.schema.names)
            XCTAssertLessThanOrEqual(explanation.reasons.count, 3)
            let largest = explanation.contributions.max { abs($0.contribution) < abs($1.contribution) }!
            XCTAssertTrue(explanation.reasons.first?.hasPrefix("\(largest.feature) = \(largest.value) \(largest.contribution > 0 ? "raised" : "lowered") churn_30_day by ") ?? false,
                          "\(explanation.reasons)")
        }
        XCTAssertThrowsError(try LoadedModel.load(try registry.version(reference: "anomaly@1"), from: registry).explain(rows, top: 3)) { error in
            XCTAssertEqual((error as? ServingError)?.status, 422)
        }
    }

    func testBadRowsNameTheField() throws {
        let fixture = try ServeFixture.shared()
        let registry = try fixture.registry()
        let churn = try LoadedModel.load(try registry.version(reference: "churn@1"), from: registry)
        var record = try fixture.records(rows: 0..<1)[0]
        let numeric = churn.inputs.first { !$0.categorical }!.name
        record[numeric] = .text("lots")
        XCTAssertThrowsError(try churn.score(try FeatureRows(records: [record]))) { error in
            XCTAssertEqual((error as? ServingError)?.status, 400)
            XCTAssertTrue("\(error)".contains("'\(numeric)'"), "\(error)")
        }
        var partial = try fixture.records(rows: 0..<1)[0]
        partial[numeric] = nil
        XCTAssertThrowsError(try churn.score(try FeatureRows(rowCount: 1, columns: partial.mapValues { [$0] }))) { error in
            XCTAssertTrue("\(error)".contains("missing feature '\(numeric)'"), "\(error)")
        }
    }

    func testModelAddressesReadAliasesStagesAndVersions() throws {
        XCTAssertEqual(try ModelAddress(parsing: "churn/versions/3"), ModelAddress(model: "churn", selector: .number(3)))
        XCTAssertEqual(try ModelAddress(parsing: "churn@production"), ModelAddress(model: "churn", selector: .stage(.production)))
        XCTAssertEqual(try ModelAddress(parsing: "churn@champion"), ModelAddress(model: "churn", selector: .alias("champion")))
        XCTAssertEqual(try ModelAddress(parsing: "churn"), ModelAddress(model: "churn", selector: nil))
        XCTAssertThrowsError(try ModelAddress(parsing: "churn/versions/x"))
        XCTAssertThrowsError(try ModelAddress(parsing: "churn/versions/0"))
    }
}
