import Dataset
import Foundation
import TestSupport
import XCTest

/// `engage train` on targets the way users have them (Yes/No, one class, missing, text), and
/// `engage inspect` with and without a `data.schema` section, through the real binary.
final class TargetCLITests: XCTestCase {
    private static let excluded = ["--ignore", "user_id,engagement_score,lifetime_value_usd,is_anomaly", "--sensitive", "age_group,gender,region"]

    private func write(_ table: Table, _ name: String, in directory: String) throws {
        try CSV.write(table, to: (directory as NSString).appendingPathComponent(name))
    }

    /// The generator's customers in an order where the train part's first row is not churned and
    /// the test part's first row is, so a Yes/No column's levels come first-seen in a different
    /// order in each file.
    private func splitCustomers(in directory: String) throws -> (train: Table, test: Table) {
        let engage = try EngageBinary.locate()
        let generated = try engage.run(["generate", "--rows", "8000", "--seed", "3", "--out", "gen"], in: directory)
        XCTAssertEqual(generated.status, 0, generated.output)
        let customers = try CSV.read(path: (directory as NSString).appendingPathComponent("gen/customers.csv"))
        let churn = try customers.numeric("churn_30_day")
        var train = Array(0..<6000), test = Array(6000..<8000)
        if let first = train.indices.first(where: { churn[train[$0]] == 0 }) { train.swapAt(0, first) }
        if let first = test.indices.first(where: { churn[test[$0]] == 1 }) { test.swapAt(0, first) }
        return (customers.rows(train), customers.rows(test))
    }

    private func yesNo(_ table: Table) throws -> Table {
        var copy = table
        let churn = try table.numeric("churn_30_day")
        try copy.set("churn_30_day", .categorical(codes: churn.map { Int32($0) }, levels: ["No", "Yes"]))
        return copy
    }

    private func testAUC(_ directory: String, _ model: String) throws -> Double {
        let data = try Data(contentsOf: URL(fileURLWithPath: (directory as NSString).appendingPathComponent("\(model)/metrics.json")))
        let metrics = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        return try XCTUnwrap(metrics.first { $0["split"] as? String == "test" && $0["name"] as? String == "auc" }?["value"] as? Double)
    }

    func testYesNoTargetTrainsLikeItsZeroOneTwinWithPositiveYes() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("targets")
        let (train, test) = try splitCustomers(in: directory)
        try write(train, "train01.csv", in: directory)
        try write(test, "test01.csv", in: directory)
        try write(try yesNo(train), "train.csv", in: directory)
        try write(try yesNo(test), "test.csv", in: directory)
        XCTAssertTrue(try CSV.read(path: (directory as NSString).appendingPathComponent("test.csv")).column("churn_30_day")
            == .categorical(codes: try test.numeric("churn_30_day").map { $0 == 1 ? 0 : 1 }, levels: ["Yes", "No"]), "test file's levels start with Yes")
        XCTAssertEqual(try CSV.read(path: (directory as NSString).appendingPathComponent("train.csv")).column("churn_30_day"),
                       .categorical(codes: try train.numeric("churn_30_day").map { Int32($0) }, levels: ["No", "Yes"]), "train file's levels start with No")

        let common = ["train", "--objective", "binary", "--target", "churn_30_day", "--trees", "100", "--seed", "3"] + Self.excluded
        let numeric = try engage.run(common + ["--train", "train01.csv", "--test", "test01.csv", "--out", "m01"], in: directory)
        XCTAssertEqual(numeric.status, 0, numeric.output)
        let refused = try engage.run(common + ["--train", "train.csv", "--test", "test.csv", "--out", "refused"], in: directory)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("train.csv: binary target 'churn_30_day' has levels 'No', 'Yes'; pass --positive Yes (or positive: Yes in cluster.yaml)"), refused.output)
        let named = try engage.run(common + ["--train", "train.csv", "--test", "test.csv", "--positive", "Yes", "--out", "myes"], in: directory)
        XCTAssertEqual(named.status, 0, named.output)
        let auc = try testAUC(directory, "myes")
        XCTAssertEqual(auc, try testAUC(directory, "m01"), accuracy: 1e-9)
        XCTAssertGreaterThan(auc, 0.75, "not inverted")

        let predicted = try engage.run(["predict", "--model", "myes", "--data", "test.csv", "--out", "p.csv"], in: directory)
        XCTAssertEqual(predicted.status, 0, predicted.output)
        let twin = try engage.run(["predict", "--model", "m01", "--data", "test01.csv", "--out", "p01.csv"], in: directory)
        XCTAssertEqual(twin.status, 0, twin.output)
        XCTAssertEqual(try CSV.read(path: (directory as NSString).appendingPathComponent("p.csv")),
                       try CSV.read(path: (directory as NSString).appendingPathComponent("p01.csv")))
    }

    func testBadTargetsAreRefusedNamingTheColumnNeverACrash() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("bad-targets")
        var rows = (0..<60).map { "\($0 % 7),\($0 % 3 == 0 ? "a" : "b"),No,\($0 % 2 == 0 ? "basic" : ($0 % 3 == 0 ? "pro" : "team")),\(Double($0) * 1.5)" }
        try ("x,c,Churn,plan,spend\n" + rows.joined(separator: "\n") + "\n").write(toFile: "\(directory)/one.csv", atomically: true, encoding: .utf8)
        rows[3] = "1,a,No,basic,"
        rows[8] = "2,b,Yes,pro,NA"
        try ("x,c,Churn,plan,spend\n" + rows.joined(separator: "\n") + "\n").write(toFile: "\(directory)/missing.csv", atomically: true, encoding: .utf8)
        let base = ["train", "--trees", "3", "--min-data-in-leaf", "2", "--out", "m"]
        let cases: [([String], String)] = [
            (["--objective", "binary", "--target", "Churn", "--positive", "Yes", "--train", "one.csv"],
             "one.csv: target 'Churn' has 1 class ('No': 60 rows); a binary model needs both"),
            (["--objective", "regression", "--target", "spend", "--train", "missing.csv"],
             "missing.csv: target 'spend' has 2 missing values (data rows 4, 9); pass --drop-missing-target"),
            (["--objective", "regression", "--target", "plan", "--train", "one.csv"],
             "one.csv: regression target 'plan' is text (3 levels); it needs numbers"),
        ]
        for (arguments, expected) in cases {
            let result = try engage.run(base + arguments, in: directory)
            XCTAssertNotEqual(result.status, 0, result.output)
            XCTAssertEqual(result.status, 1, "a refusal, not a crash: \(result.output)")
            XCTAssertTrue(result.output.contains(expected), "\(arguments): \(result.output)")
            XCTAssertFalse(result.output.contains("Fatal error"), result.output)
        }
        let dropped = try engage.run(base + ["--objective", "regression", "--target", "spend", "--train", "missing.csv", "--drop-missing-target"], in: directory)
        XCTAssertEqual(dropped.status, 0, dropped.output)
        XCTAssertTrue(dropped.output.contains("missing.csv: dropped 2 rows with a missing target 'spend'"), dropped.output)
        XCTAssertTrue(dropped.output.contains("on 58 rows"), dropped.output)
    }

    func testInspectPrintsInferredRolesAndTheSchemaOverridesThem() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("inspect")
        let generated = try engage.run(["generate", "--rows", "2000", "--seed", "4", "--out", "."], in: directory)
        XCTAssertEqual(generated.status, 0, generated.output)
        XCTAssertEqual(try roles(["inspect", "customers.csv", "--json"], in: directory, of: ["user_id", "gender", "churn_30_day", "content_category_primary", "sessions_per_week"]),
                       ["user_id": "id", "gender": "sensitive", "churn_30_day": "target", "content_category_primary": "categorical feature", "sessions_per_week": "feature"])
        try """
        data:
          source: csv
          path: customers.csv
          schema:
            region: categorical
            sessions_per_week: ignore
            notifications_enabled: target
        """.write(toFile: "\(directory)/cluster.yaml", atomically: true, encoding: .utf8)
        XCTAssertEqual(try roles(["inspect", "customers.csv", "--json", "--config", "cluster.yaml"], in: directory,
                                 of: ["region", "sessions_per_week", "notifications_enabled", "user_id"]),
                       ["region": "categorical feature", "sessions_per_week": "ignored", "notifications_enabled": "target", "user_id": "id"])

        let text = try engage.run(["inspect", "customers.csv"], in: directory)
        XCTAssertEqual(text.status, 0, text.output)
        XCTAssertTrue(text.output.contains("customers.csv: 2000 rows"), text.output)
        XCTAssertTrue(text.output.contains("notifications_enabled"), text.output)

        try "data:\n  schema:\n    region: categorcal\n".write(toFile: "\(directory)/bad.yaml", atomically: true, encoding: .utf8)
        let bad = try engage.run(["inspect", "customers.csv", "--config", "bad.yaml"], in: directory)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("bad.yaml:3:13: data.schema.region: expected a role (did you mean 'categorical'?)"), bad.output)
    }

    /// The roles `engage inspect` prints for `columns`.
    private func roles(_ arguments: [String], in directory: String, of columns: Set<String>) throws -> [String: String] {
        let result = try EngageBinary.locate().run(arguments, in: directory)
        XCTAssertEqual(result.status, 0, result.output)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let profiles = try XCTUnwrap(object["columns"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: profiles.compactMap { column in
            (column["name"] as? String).flatMap { columns.contains($0) ? ($0, column["role"] as? String ?? "") : nil }
        })
    }
}
