import Foundation
import Registry
import TestSupport
import XCTest

/// Every registered version carries a reference profile, and `engage drift --against MODEL@REF`
/// judges new data by it: a clean batch passes, a batch from `engage generate --drift` does not.
final class DriftAgainstTests: XCTestCase {
    func testStoredProfileSeparatesACleanBatchFromACovariateDriftedOne() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("drift-against")
        _ = try smallClusterFile(in: directory, rows: 3000, trees: 8, models: """
          churn: { kind: gbdt, objective: binary, target: churn_30_day, trees: 8, leaves: 7, shap_rows: 20, permutation_rows: 100 }
        """)
        let trained = try engage.run(["run", "--config", "cluster.yaml"], in: directory)
        XCTAssertEqual(trained.status, 0, trained.output)

        let registry = try ModelRegistry.openReadOnly(path: directory + "/registry/engage.sqlite")
        let json = try XCTUnwrap(try registry.reports(model: "churn", version: 1)[ModelProfile.registryName])
        let profile = try ModelProfile.decode(json: json)
        XCTAssertGreaterThan(profile.features.count, 10)
        XCTAssertNotNil(profile.prediction)
        for feature in profile.features {
            if case .numeric(let numeric) = feature.profile {
                XCTAssertEqual(numeric.counts.count, numeric.edges.count + 1, feature.name)
                XCTAssertLessThanOrEqual(numeric.sample.count, 5000)
                XCTAssertEqual(numeric.counts.reduce(0, +) + numeric.missing, profile.rows, feature.name)
            }
        }

        XCTAssertEqual(try engage.run(["generate", "--rows", "1500", "--seed", "77", "--out", "clean"], in: directory).status, 0)
        let shifted = try engage.run(["generate", "--rows", "1500", "--seed", "78", "--out", "shifted", "--drift", "covariate:*=+1sd"], in: directory)
        XCTAssertEqual(shifted.status, 0, shifted.output)

        let clean = try engage.run(["drift", "--against", "churn@1", "--data", "clean/customers.csv"], in: directory)
        XCTAssertEqual(clean.status, 0, clean.output)
        XCTAssertTrue(clean.output.contains("prediction drift"), clean.output)
        let drifted = try engage.run(["drift", "--against", "churn@latest", "--data", "shifted/customers.csv", "--json"], in: directory)
        XCTAssertEqual(drifted.status, 1, drifted.output)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(drifted.output.utf8)) as? [String: Any], drifted.output)
        XCTAssertEqual(report["drifted"] as? Bool, true)
        XCTAssertNotNil(report["prediction_drift"] as? [String: Any], drifted.output)

        let both = try engage.run(["drift", "--against", "churn@1", "--reference", "clean/customers.csv", "--data", "clean/customers.csv"], in: directory)
        XCTAssertEqual(both.status, 2, both.output)
    }
}
