import Dataset
import Foundation
import XCTest
@testable import ModelZoo
@testable import Training

final class NCFJobRunnerTests: XCTestCase {
    private static let data = CustomerGenerator(rows: 300, seed: 11).generate()

    private static func spec(baselines: Bool = true) -> TrainingJobSpec {
        var spec = TrainingJobSpec(model: "recommendation", kind: .ncf, objective: .ranking, target: "", excludedColumns: [],
                                   quantiles: [], parameters: GBDTParameters(), role: .full, trainShards: [], evalShards: [])
        var settings = RecommenderJobSettings()
        settings.parameters.factors = 8
        settings.parameters.pretrainEpochs = 2
        settings.parameters.epochs = 1
        settings.parameters.batchSize = 128
        settings.parameters.wordBuckets = 256
        settings.parameters.epochSteps = 0
        settings.parameters.seed = 3
        settings.baselines = baselines
        spec.recommender = settings
        spec.sensitive = CustomerSchema.sensitive
        return spec
    }

    /// Customers plus one row for a user with no interactions at all.
    private static func customersWithStranger() throws -> Table {
        let customers = try data.customers.selecting([CustomerSchema.idColumn] + CustomerSchema.sensitive)
        var columns = [Column]()
        for column in customers.columns {
            switch column {
            case .numeric(let values): columns.append(.numeric(values + [987_654]))
            case .categorical(let codes, let levels): columns.append(.categorical(codes: codes + [0], levels: levels))
            }
        }
        return try Table(names: customers.names, columns: columns)
    }

    func testJobReportsRankingMetricsOfModelAndBaselines() throws {
        let customers = try Self.customersWithStranger()
        let fractions = ProgressLog()
        let outcome = try JobRunner.run(spec: Self.spec(), threads: 2,
                                        inputs: JobInputs(train: Self.data.interactions, scored: customers, items: Self.data.items)) {
            fractions.append($0)
        }
        let report = outcome.report
        assertInMetricTable(report.metrics)
        for name in ["hr@10", "ndcg@10", "popularity_hr@10", "popularity_ndcg@10", "mf_hr@10", "mf_ndcg@10"] {
            let value = try XCTUnwrap(report.metric(name), name)
            XCTAssertTrue(value > 0 && value <= 1, "\(name) = \(value)")
        }
        let evaluated = try XCTUnwrap(report.metric("evaluated_users"))
        XCTAssertEqual(Int(evaluated), report.evalRows)
        XCTAssertGreaterThan(evaluated, 250)
        XCTAssertEqual(report.trainRows, Self.data.interactions.rowCount)
        XCTAssertGreaterThan(report.fitSeconds, 0)
        XCTAssertEqual(fractions.values.last, 1)
        XCTAssertEqual(fractions.values, fractions.values.sorted())

        // Pre-training (= the MF baseline) epochs and NeuMF's MLP epochs, which run side by side
        // (so in either order), with losses and seconds; then the job's seconds per phase.
        let trail = try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(report.reports["recommender_training"]).utf8)) as? [String: Any]
        let epochs = try XCTUnwrap(trail?["epochs"] as? [[String: Any]])
        XCTAssertEqual(epochs.compactMap { $0["model"] as? String }.sorted(), ["MF", "MF", "NeuMF"])
        XCTAssertEqual(epochs.filter { $0["model"] as? String == "MF" }.compactMap { $0["epoch"] as? Int }, [1, 2])
        XCTAssertTrue(epochs.allSatisfy { ($0["loss"] as? Double ?? 0) > 0 && ($0["seconds"] as? Double ?? -1) >= 0 })
        for phase in ["splitSeconds", "neuMFSeconds", "evaluationSeconds", "affinitySeconds", "fairnessSeconds"] {
            XCTAssertGreaterThanOrEqual(trail?[phase] as? Double ?? -1, 0, phase)
        }

        let fairness = try XCTUnwrap(report.reports[FairnessReport.registryName])
        XCTAssertTrue(fairness.contains("hitRate") || fairness.contains("hit_rate"), fairness)
        XCTAssertTrue(fairness.contains("gender"), fairness)
    }

    func testArtifactRoundTripsAndScoresLikeTheModel() throws {
        let outcome = try JobRunner.run(spec: Self.spec(baselines: false), threads: 2,
                                        inputs: JobInputs(train: Self.data.interactions, items: Self.data.items))
        XCTAssertNil(outcome.report.metric("mf_hr@10"))
        XCTAssertNotNil(outcome.report.metric("hr@10"))
        let model = try TrainedModel.decode(outcome.artifact)
        XCTAssertEqual(model.header.kind, .ncf)
        XCTAssertEqual(model.header.objective, .ranking)
        XCTAssertEqual(model.header.recommender, Self.spec(baselines: false).recommender?.columns)
        guard case .recommender(let recommender) = model.predictor else { return XCTFail("not a recommender: \(model.predictor)") }
        XCTAssertEqual(recommender.items.count, 2_000, "every catalogue item has an index")
        let pairs = try Table(names: ["user_id", "item_id"], columns: [.numeric([0, 1, 424_242]), .numeric([5, 123_456, 5])])
        let scores = try model.predict(pairs)[0]
        XCTAssertEqual(scores[0], recommender.score([("0", "5")])[0].value)
        XCTAssertTrue(scores[0] > 0 && scores[0] < 1)
        XCTAssertEqual(scores[1], 0, "an unknown item has no popularity")
        XCTAssertEqual(scores[2], recommender.score([("stranger", "5")])[0].value)
    }

    func testAffinityPerCustomerRowWithFallbackForUnknownUsers() throws {
        let customers = try Self.customersWithStranger()
        let outcome = try JobRunner.run(spec: Self.spec(baselines: false), threads: 2,
                                        inputs: JobInputs(train: Self.data.interactions, scored: customers, items: Self.data.items))
        let affinity = outcome.scoredPredictions
        XCTAssertEqual(affinity.count, customers.rowCount)
        XCTAssertTrue(affinity.allSatisfy { $0.isFinite && $0 > 0 && $0 < 1 })
        guard case .recommender(let model) = try TrainedModel.decode(outcome.artifact).predictor else { return XCTFail() }
        // A known user: the mean probability of their own training items.
        let ids = IDVocabulary.keys(try customers.column(CustomerSchema.idColumn))
        let row = try XCTUnwrap(ids.firstIndex { $0 != nil && model.users.index(of: $0!) != nil })
        let user = Int(model.users.index(of: ids[row]!)!)
        let own = model.seenItems[Int(model.seenStart[user])..<Int(model.seenStart[user + 1])].map { model.items.ids[Int($0)] }
        let expected = model.score(own.map { (ids[row]!, $0) }).map(\.value).reduce(0, +) / Double(own.count)
        XCTAssertEqual(affinity[row], expected, accuracy: 1e-9)
        // The stranger (last row) gets the mean over known users.
        let known = model.userAffinity(threads: 1)
        XCTAssertEqual(affinity.last!, known.reduce(0, +) / Double(known.count), accuracy: 1e-9)
        // Users differ: the feature carries information.
        XCTAssertGreaterThan(Set(affinity.map { ($0 * 1e6).rounded() }).count, customers.rowCount / 2)
    }

    func testBadInputNamesTheColumn() {
        var spec = Self.spec()
        spec.recommender?.itemColumn = "content_id"
        XCTAssertThrowsError(try JobRunner.run(spec: spec, threads: 1, inputs: JobInputs(train: Self.data.interactions))) { error in
            XCTAssertTrue("\(error)".contains("'content_id'") && "\(error)".contains("interactions"), "\(error)")
        }
        spec = Self.spec()
        spec.recommender?.itemCategoryColumn = "genre"
        XCTAssertThrowsError(try JobRunner.run(spec: spec, threads: 1, inputs: JobInputs(train: Self.data.interactions, items: Self.data.items))) { error in
            XCTAssertTrue("\(error)".contains("'genre'") && "\(error)".contains("items"), "\(error)")
        }
        XCTAssertThrowsError(try JobRunner.run(spec: Self.spec(), threads: 1, inputs: JobInputs(train: Self.data.interactions,
                                                                                              scored: Self.data.items))) { error in
            XCTAssertTrue("\(error)".contains("'user_id'") && "\(error)".contains("customers"), "\(error)")
        }
    }
}

/// Collects progress fractions from a `@Sendable` callback.
private final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Double] = []

    func append(_ value: Double) { lock.withLock { stored.append(value) } }
    var values: [Double] { lock.withLock { stored } }
}
