import Dataset
import Foundation
import TestSupport
import XCTest

/// `engage train --kind ncf` → `predict` → `recommend` through the real binary, on generated data.
final class RecommendCLITests: XCTestCase {
    private static let small = #"{"factors": 8, "layers": [16, 8], "pretrainEpochs": 2, "epochs": 1, "batchSize": 128, "wordBuckets": 256, "epochSteps": 0}"#

    func testTrainPredictRecommendWithUnknownUsersAndItems() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("recommend")
        let generated = try engage.run(["generate", "--rows", "400", "--seed", "9", "--out", "data"], in: directory)
        XCTAssertEqual(generated.status, 0, generated.output)

        let trained = try engage.run(["train", "--kind", "ncf", "--interactions", "data/interactions.csv", "--user-col", "user_id",
                                      "--item-col", "item_id", "--items", "data/items.csv", "--item-id-col", "item_id",
                                      "--item-text-col", "title", "--item-category-col", "category", "--customers", "data/customers.csv",
                                      "--ncf-parameters", Self.small, "--threads", "2", "--out", "model"], in: directory)
        XCTAssertEqual(trained.status, 0, trained.output)
        let lines = trained.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("MF epoch") }.count, 2, trained.output)
        XCTAssertEqual(lines.filter { $0.hasPrefix("NeuMF mlp epoch") }.count, 1, trained.output)
        // The line bench/engage_cli.py reads the training seconds from.
        XCTAssertNotNil(trained.output.range(of: #"(?m)^trained .* in [0-9]+(\.[0-9]+)? s\b"#, options: .regularExpression), trained.output)
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/model/metrics.json")))
            as? [[String: Any]]
        let names = Set((metrics ?? []).compactMap { $0["name"] as? String })
        XCTAssertTrue(names.isSuperset(of: ["hr@10", "ndcg@10", "popularity_hr@10", "popularity_ndcg@10", "mf_hr@10", "mf_ndcg@10"]), "\(names)")
        let importance = try String(contentsOfFile: directory + "/model/importance.json", encoding: .utf8)
        XCTAssertEqual(importance.filter { !$0.isWhitespace }, "[]")
        let affinity = try CSV.read(path: directory + "/model/affinity.csv")
        XCTAssertEqual(affinity.rowCount, 400)

        // Known pair, unknown item, unknown user, both unknown.
        try "user_id,item_id\n3,17\n3,no-such-item\nstranger,17\nstranger,nothing\n"
            .write(toFile: directory + "/pairs.csv", atomically: true, encoding: .utf8)
        let predicted = try engage.run(["predict", "--model", "model", "--data", "pairs.csv", "--out", "scores.csv"], in: directory)
        XCTAssertEqual(predicted.status, 0, predicted.output)
        let scores = try CSV.read(path: directory + "/scores.csv", categorical: ["user_id", "item_id", "source"])
        XCTAssertEqual(scores.names, ["user_id", "item_id", "score", "source"])
        XCTAssertEqual(cellTexts(scores, "source"), ["model", "popularity", "popularity", "popularity"])
        XCTAssertEqual(cellTexts(scores, "user_id"), ["3", "3", "stranger", "stranger"])
        let values = try scores.numeric("score")
        XCTAssertTrue(values[0] > 0 && values[0] < 1)
        XCTAssertEqual(values[1], 0)
        XCTAssertTrue(values[2] > 0 && values[2] <= 1, "a known item's popularity")
        XCTAssertEqual(values[3], 0)

        try "user_id\n3\nstranger\n".write(toFile: directory + "/users.csv", atomically: true, encoding: .utf8)
        let recommended = try engage.run(["recommend", "--model", "model", "--users", "users.csv", "--k", "5", "--out", "top.csv"], in: directory)
        XCTAssertEqual(recommended.status, 0, recommended.output)
        let top = try CSV.read(path: directory + "/top.csv", categorical: ["user_id", "item", "source"])
        XCTAssertEqual(top.names, ["user_id", "rank", "item", "score", "source"])
        XCTAssertEqual(top.rowCount, 10)
        XCTAssertEqual(try top.numeric("rank"), [1, 2, 3, 4, 5, 1, 2, 3, 4, 5])
        XCTAssertEqual(cellTexts(top, "source"), Array(repeating: "model", count: 5) + Array(repeating: "popularity", count: 5))
        let topScores = try top.numeric("score")
        XCTAssertEqual(Array(topScores[0..<5]), topScores[0..<5].sorted(by: >))
        // The user's training items are never recommended back (the held-out latest one may be: the
        // registered model is the evaluated one, docs/models.md).
        let interactions = try CSV.read(path: directory + "/data/interactions.csv")
        let users = try interactions.numeric("user_id"), items = try interactions.numeric("item_id")
        let times = try interactions.numeric("timestamp")
        let rows = users.indices.filter { users[$0] == 3 }.sorted { times[$0] < times[$1] }
        XCTAssertGreaterThan(rows.count, 1)
        let training = Set(rows.dropLast().map { String(Int(items[$0])) })
        XCTAssertTrue(Set(cellTexts(top, "item").prefix(5)).isDisjoint(with: training))
    }

    func testMissingColumnIsNamed() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("recommend-bad")
        try "customer,item_id\n1,2\n1,3\n".write(toFile: directory + "/i.csv", atomically: true, encoding: .utf8)
        let result = try engage.run(["train", "--kind", "ncf", "--interactions", "i.csv", "--user-col", "user_id", "--out", "m"], in: directory)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("i.csv: no column 'user_id'"), result.output)
        let missing = try engage.run(["train", "--kind", "ncf", "--out", "m"], in: directory)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.output.contains("--interactions"), missing.output)
    }
}

/// The text of every cell of a column.
private func cellTexts(_ table: Table, _ column: String) -> [String] {
    guard let index = table.index(of: column), case .categorical(let codes, let levels) = table.columns[index] else { return [] }
    return codes.map { $0 >= 0 ? levels[Int($0)] : "" }
}
