@testable import Coordinator
import Dataset
import Foundation
import ModelZoo
import XCTest

/// The pipeline refuses to shard data whose features include a prohibited attribute, however it is spelt.
final class ProhibitedAttributeTests: XCTestCase {
    func testPreparingDataWithAProhibitedColumnInAnyCaseIsRefused() throws {
        let config = try ClusterConfig.parse("""
        data: { source: generate, rows: 200, shards: 2, folds: 2 }
        models:
          churn: { kind: gbdt, objective: binary, target: churn_30_day, trees: 2 }
        """)
        let directory = NSTemporaryDirectory() + "prohibited-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let preparer = DataPreparer(config: config, store: try ShardStore(directory: directory))
        for column in ["Race", "Marital_Status", "religion"] {
            let path = directory + "-\(column).csv"
            defer { try? FileManager.default.removeItem(atPath: path) }
            let rows = (0..<20).map { "\($0),\($0 % 3),\($0 % 2)" }.joined(separator: "\n")
            try "days_since_login,\(column),churn_30_day\n\(rows)\n".write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try preparer.prepare(try CSV.read(path: path)), column) { error in
                guard case FairnessError.prohibitedFeature(let found, _)? = error as? FairnessError else { return XCTFail("\(column): \(error)") }
                XCTAssertEqual(found, column)
            }
        }
    }
}
