import Dataset
import Foundation
import XCTest
@testable import ModelZoo

/// NeuMF beside popularity and matrix factorisation on the full generated interactions
/// (100,000 users, about 1,000,000 interactions). Run with
/// `ENGAGE_LONG_TESTS=1 swift test -c release --filter RecommendLongTests`.
final class RecommendLongTests: XCTestCase {
    override func setUpWithError() throws {
        try FullSizeData.require()
    }

    func testNeuMFBeatsBothBaselinesOnGeneratedInteractions() throws {
        let data = CustomerGenerator(rows: 100_000, seed: 42).generate()
        let clock = ContinuousClock()
        let start = clock.now
        let ids = IDVocabulary.keys(data.items.columns[0]).map { $0! }
        let log = try InteractionLog(table: data.interactions, userColumn: "user_id", itemColumn: "item_id",
                                     timestampColumn: "timestamp", knownItems: ids)
        let neuMF = NeuMFParameters()
        let features = try ItemFeatures(table: data.items, items: log.items, idColumn: "item_id", categoryColumn: "category",
                                        textColumn: "title", wordBuckets: neuMF.wordBuckets)
        let split = try LeaveOneOutSplit(log, seed: 7)
        print(String(format: "%d interactions, %d users, %d items; split in %.2f s", log.interactionCount, log.users.count,
                     log.items.count, (clock.now - start).seconds))
        let (c, model) = try RecommenderComparison.run(split, features: features, neuMF: neuMF,
                                                       matrixFactorization: MatrixFactorizationParameters()) { print($0.line) }
        print(String(format: "HR@10 / NDCG@10: NeuMF %.4f / %.4f, MF %.4f / %.4f, popularity %.4f / %.4f (%d users)",
                     c.neuMF.hitRate, c.neuMF.ndcg, c.matrixFactorization.hitRate, c.matrixFactorization.ndcg,
                     c.popularity.hitRate, c.popularity.ndcg, c.evaluatedUsers))
        print(String(format: "NeuMF / popularity: HR %.3f×, NDCG %.3f×; NeuMF training %.1f s (%@ s per epoch), MF %.1f s",
                     c.neuMF.hitRate / c.popularity.hitRate, c.neuMF.ndcg / c.popularity.ndcg, c.neuMFTrainingSeconds,
                     c.neuMFEpochSeconds.map { String(format: "%.1f", $0) }.joined(separator: ", "),
                     c.matrixFactorizationTrainingSeconds))
        XCTAssertGreaterThanOrEqual(c.neuMF.hitRate, 1.3 * c.popularity.hitRate)
        XCTAssertGreaterThanOrEqual(c.neuMF.ndcg, 1.3 * c.popularity.ndcg)
        XCTAssertGreaterThanOrEqual(c.neuMF.hitRate, c.matrixFactorization.hitRate)
        XCTAssertGreaterThanOrEqual(c.neuMF.ndcg, c.matrixFactorization.ndcg)
        print("artifact: \(model.encode().count) bytes")
    }
}
