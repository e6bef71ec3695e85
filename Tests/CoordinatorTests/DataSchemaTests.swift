@testable import Coordinator
import Dataset
import Foundation
import XCTest

/// `data.schema` and the target settings of cluster.yaml: strict parsing, and the pipeline honouring them.
final class DataSchemaTests: XCTestCase {
    private func prepared(_ yaml: String, csv: String) throws -> (DataPreparer, DataPreparer.Tables) {
        let directory = NSTemporaryDirectory() + "schema-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        try csv.write(toFile: directory + "/c.csv", atomically: true, encoding: .utf8)
        let config = try ClusterConfig.parse(yaml.replacingOccurrences(of: "PATH", with: directory + "/c.csv"))
        let preparer = DataPreparer(config: config, store: try ShardStore(directory: directory + "/shards"))
        return (preparer, try preparer.loadTables())
    }

    private static let csv = "customer_id,zone,spend,Churn\n" + (0..<40).map { "c\($0),\($0 % 4),\(Double($0) * 1.5),\($0 % 3 == 0 ? "Yes" : "No")" }.joined(separator: "\n") + "\n"

    func testThePipelineReadsPinnedTypesAndExcludesPinnedRoles() throws {
        let (preparer, tables) = try prepared("""
        data:
          source: csv
          path: PATH
          schema: { customer_id: id, zone: categorical, spend: ignore }
        models:
          churn: { kind: gbdt, objective: binary, target: Churn, positive: "Yes", trees: 2 }
        """, csv: Self.csv)
        XCTAssertTrue(try tables.customers.column("zone").isCategorical)
        XCTAssertEqual(try preparer.excludedColumns(in: tables.customers), ["customer_id", "spend", "Churn"])
    }

    func testATextTargetWithoutPositiveIsRefusedBeforeAnyShard() throws {
        XCTAssertThrowsError(try prepared("""
        data: { source: csv, path: PATH }
        models:
          churn: { kind: gbdt, objective: binary, target: Churn, trees: 2 }
        """, csv: Self.csv)) { error in
            XCTAssertTrue("\(error)".contains("model churn: binary target 'Churn' has levels 'No', 'Yes'; pass --positive Yes (or positive: Yes in cluster.yaml)"), "\(error)")
        }
    }

    func testSchemaAndPositiveAreValidatedStrictly() {
        let cases = [
            ("data:\n  schema:\n    region: categorcal\n", "cluster.yaml:3:13: data.schema.region: expected a role (did you mean 'categorical'?)"),
            ("data:\n  schema: [a, b]\n", "cluster.yaml:2:11: data.schema: expected a mapping of column names to roles"),
            ("data:\n  drop_missing_target: maybe\n", "data.drop_missing_target"),
            ("models:\n  v:\n    kind: gbdt\n    objective: regression\n    target: spend\n    positive: Yes\n", "cluster.yaml:6:15: models.v.positive: only a binary objective has a positive class"),
        ]
        for (yaml, expected) in cases {
            XCTAssertThrowsError(try ClusterConfig.parse(yaml)) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(yaml): \(error)")
            }
        }
    }
}
