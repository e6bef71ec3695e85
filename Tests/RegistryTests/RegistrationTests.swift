import Foundation
import ModelZoo
import Registry
import TestSupport
import XCTest

final class RegistrationTests: XCTestCase {
    func testFirstRegistrationIsVersionOneAndSecondIsVersionTwo() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)

        let first = try registry.register(Sample.version(artifact: "first", auc: 0.90))
        XCTAssertEqual(first.version, 1)
        XCTAssertEqual(first.status, "registered")
        XCTAssertEqual(first.artifactBytes, 5)
        XCTAssertEqual(first.artifactPath, "artifacts/" + first.artifactSHA256.prefix(2) + "/" + first.artifactSHA256.dropFirst(2))

        let second = try registry.register(Sample.version(artifact: "second", auc: 0.93))
        XCTAssertEqual(second.version, 2)
        XCTAssertNotEqual(second.artifactSHA256, first.artifactSHA256)

        let storedFirst = try registry.version(model: "churn", version: 1)
        XCTAssertEqual(storedFirst, first)
        XCTAssertEqual(storedFirst.metric("auc"), 0.90)
        XCTAssertEqual(storedFirst.metrics, Sample.version(auc: 0.90).metrics)
        XCTAssertEqual(try registry.version(model: "churn", version: 2), second)
    }

    func testVersionsAreOrderedByModelThenVersionAndLatestIsFound() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.register(Sample.version(model: "engagement", artifact: "e1"))
        try registry.register(Sample.version(model: "churn", artifact: "c1"))
        try registry.register(Sample.version(model: "engagement", artifact: "e2"))
        try registry.register(Sample.version(model: "churn", artifact: "c2"))
        try registry.register(Sample.version(model: "churn", artifact: "c3"))

        let all = try registry.versions().map(\.reference)
        XCTAssertEqual(all, ["churn@1", "churn@2", "churn@3", "engagement@1", "engagement@2"])
        XCTAssertEqual(try registry.versions(model: "engagement").map(\.version), [1, 2])
        XCTAssertEqual(try registry.versions(model: "nobody"), [])
        XCTAssertEqual(try registry.models(), ["churn", "engagement"])

        let latest = try registry.version(model: "churn")
        XCTAssertEqual(latest.version, 3)
        XCTAssertEqual(try registry.artifact(model: "churn", version: latest.version), Data("c3".utf8))
    }

    func testNotFoundNamesTheMissingVersion() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.register(Sample.version())

        assertThrows(try registry.version(model: "churn", version: 7)) { error in
            XCTAssertEqual(error as? RegistryError, .notFound("churn@7"))
            XCTAssertEqual("\(error)", "not found in the registry: churn@7")
            XCTAssertEqual(error.localizedDescription, "not found in the registry: churn@7")
        }
        assertThrows(try registry.version(model: "ltv")) { error in
            XCTAssertEqual(error as? RegistryError, .notFound("ltv"))
        }
        assertThrows(try registry.importance(model: "churn", version: 2)) { error in
            XCTAssertEqual(error as? RegistryError, .notFound("churn@2"))
        }
        assertThrows(try registry.artifact(model: "churn", version: 3)) { error in
            XCTAssertEqual(error as? RegistryError, .notFound("churn@3"))
        }
    }

    func testImportanceReportsAndLineageRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        let input = Sample.version()
        let stored = try registry.register(input)

        XCTAssertEqual(try registry.importance(model: "churn", version: 1), input.importance)
        XCTAssertEqual(try registry.reports(model: "churn", version: 1), input.reports)
        XCTAssertEqual(stored.shardIDs, ["aa11", "bb22"])
        XCTAssertEqual(stored.parameters, input.parameters)
        XCTAssertEqual(stored.datasetSHA256, input.datasetSHA256)
        XCTAssertEqual(stored.configSHA256, input.configSHA256)
        XCTAssertEqual(stored.codeVersion, "0.1.0+abc")
        XCTAssertEqual(stored.trainSeconds, 1.5)
        XCTAssertEqual(try registry.version(model: "churn", version: 1), stored)
    }

    func testAliasesAppearOnTheVersionTheyPointAt() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.register(Sample.version(model: "churn", artifact: "c1"))
        try registry.register(Sample.version(model: "churn", artifact: "c2"))
        try registry.register(Sample.version(model: "anomaly", artifact: "a1"))
        try DirectAccess.execute("""
            INSERT INTO aliases (model, alias, version, updated_at) VALUES
                ('churn', 'production', 1, '2024-01-01T00:00:00.000Z'),
                ('churn', 'challenger', 2, '2024-01-01T00:00:00.000Z'),
                ('churn', 'champion', 1, '2024-01-01T00:00:00.000Z')
            """, on: registry)

        XCTAssertEqual(try registry.versions().map(\.aliases), [[], ["champion", "production"], ["challenger"]])
        XCTAssertEqual(try registry.version(model: "churn", version: 1).aliases, ["champion", "production"])
        XCTAssertThrowsError(try DirectAccess.execute(
            "INSERT INTO aliases (model, alias, version, updated_at) VALUES ('churn', 'x', 9, '2024-01-01T00:00:00.000Z')",
            on: registry), "foreign keys must be enforced")
    }

    func testUndefinedMeasuresAreKeptAsNaN() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        var input = Sample.version()
        input.metrics = [MetricValue(split: "test", name: "auc", value: .nan)]
        input.importance = [ImportanceRecord(feature: "x", gain: 1, splits: 2, permutation: .nan, meanAbsSHAP: .nan)]
        try registry.register(input)

        let metric = try XCTUnwrap(try registry.version(model: "churn").metrics.first)
        XCTAssertTrue(metric.value.isNaN)
        let importance = try XCTUnwrap(try registry.importance(model: "churn", version: 1).first)
        XCTAssertEqual(importance.gain, 1)
        XCTAssertTrue(importance.permutation.isNaN)
        XCTAssertTrue(importance.meanAbsSHAP.isNaN)
    }

    func testIdenticalArtifactsShareOneFile() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        let a = try registry.register(Sample.version(model: "churn", artifact: "same"))
        let b = try registry.register(Sample.version(model: "ensemble", artifact: "same"))
        XCTAssertEqual(a.artifactPath, b.artifactPath)
        let shardDirectory = registry.directory + "/artifacts/" + a.artifactSHA256.prefix(2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: shardDirectory), [String(a.artifactSHA256.dropFirst(2))])
        XCTAssertEqual(try registry.artifact(model: "ensemble", version: 1), Data("same".utf8))
    }

    func testInvalidRegistrationsAreRefusedWithAReason() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)

        var badName = Sample.version()
        badName.model = "churn@2"
        var badReport = Sample.version()
        badReport.reports["fairness"] = "{not json"
        var duplicateMetric = Sample.version()
        duplicateMetric.metrics.append(MetricValue(split: "test", name: "auc", value: 0.5))
        var badParameters = Sample.version()
        badParameters.parameters = ""

        for (request, fragment) in [(badName, "model name 'churn@2'"), (badReport, "report 'fairness' is not valid JSON"),
                                    (duplicateMetric, "metric test/auc is given twice"), (badParameters, "parameters are not valid JSON")] {
            assertThrows(try registry.register(request)) { error in
                guard case .invalid = error as? RegistryError else { return XCTFail("unexpected \(error)") }
                XCTAssertTrue("\(error)".contains(fragment), "\(error)")
            }
        }
        XCTAssertEqual(try registry.versions(), [])
        XCTAssertEqual(try registry.events(), [])
    }

    func testFailureInsideTheTransactionLeavesNoPartialVersion() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try DirectAccess.failInserts(into: "feature_importance", of: registry)

        XCTAssertThrowsError(try registry.register(Sample.version()))
        XCTAssertEqual(try registry.versions(), [])
        XCTAssertEqual(try registry.models(), [])
        XCTAssertEqual(try registry.events(), [])
        XCTAssertEqual(try DirectAccess.rowCount("metrics", of: registry), 0)

        try DirectAccess.heal(registry)
        XCTAssertEqual(try registry.register(Sample.version()).version, 1)
        XCTAssertEqual(try DirectAccess.rowCount("metrics", of: registry), 3)
    }

    func testJSONEncodingUsesISO8601AndSortedKeys() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        let stored = try registry.register(Sample.version())

        let data = try ModelVersion.jsonEncoder().encode([stored])
        let text = String(decoding: data, as: UTF8.self)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [[String: Any]]).first
        let createdAt = try XCTUnwrap(object?["createdAt"] as? String)
        XCTAssertNotNil(ISO8601DateFormatter().date(from: createdAt), createdAt)
        XCTAssertLessThan(try XCTUnwrap(text.range(of: "\"aliases\"")).lowerBound, try XCTUnwrap(text.range(of: "\"worker\"")).lowerBound)

        let decoded = try ModelVersion.jsonDecoder().decode([ModelVersion].self, from: data)
        XCTAssertEqual(decoded.first?.reference, "churn@1")
        XCTAssertEqual(decoded.first?.metrics, stored.metrics)
        XCTAssertEqual(decoded.first?.createdAt.timeIntervalSince1970 ?? 0, stored.createdAt.timeIntervalSince1970, accuracy: 1)
    }
}
