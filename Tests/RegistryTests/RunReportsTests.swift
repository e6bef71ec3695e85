import Foundation
import ModelZoo
import Registry
import TestSupport
import XCTest

final class RunReportsTests: XCTestCase {
    func testQualityReportsAndProfilesAreKeptPerRun() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.beginRun(id: "r1", configSHA256: "c", datasetSHA256: "d", startedAt: Date())
        XCTAssertNil(try registry.quality(runID: "r1"))
        XCTAssertEqual(try registry.profiles(runID: "r1"), [:])

        try registry.recordQuality(runID: "r1", errors: 0, warnings: 2, body: #"[{"rule":"null_rate","column":"age"}]"#)
        try registry.recordQuality(runID: "r1", errors: 1, warnings: 2, body: #"[{"rule":"duplicate_ids"}]"#)
        let quality = try XCTUnwrap(try registry.quality(runID: "r1"))
        XCTAssertEqual([quality.errors, quality.warnings], [1, 2])
        XCTAssertEqual(quality.body, #"[{"rule":"duplicate_ids"}]"#)

        try registry.recordProfiles(runID: "r1", ["age": #"{"bins":[1,2]}"#, "region": #"{"levels":{"n":3}}"#])
        try registry.recordProfiles(runID: "r1", ["age": #"{"bins":[3]}"#])
        XCTAssertEqual(try registry.profiles(runID: "r1"), ["age": #"{"bins":[3]}"#])

        XCTAssertThrowsError(try registry.recordQuality(runID: "r9", errors: 0, warnings: 0, body: "{}")) { error in
            XCTAssertEqual(error as? RegistryError, .notFound("run r9"))
        }
        XCTAssertThrowsError(try registry.recordQuality(runID: "r1", errors: -1, warnings: 0, body: "{}"))
        XCTAssertThrowsError(try registry.recordProfiles(runID: "r1", ["age": "{bad"])) { error in
            XCTAssertTrue("\(error)".contains("profile of 'age' is not valid JSON"), "\(error)")
        }
        XCTAssertEqual(try registry.profiles(runID: "r1"), ["age": #"{"bins":[3]}"#], "a refused write changes nothing")
    }

    func testLineageAndFairnessRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        var input = Sample.churn(auc: 0.9, prohibited: ["religion"])
        input.host = "node-7"
        input.startedAt = Date(timeIntervalSince1970: 1_790_000_000.1234)
        input.finishedAt = Date(timeIntervalSince1970: 1_790_000_012.5)
        let stored = try registry.register(input)

        let read = try registry.version(model: "churn", version: 1)
        XCTAssertEqual(read, stored)
        XCTAssertEqual(read.objective, .binary)
        XCTAssertEqual(read.host, "node-7")
        XCTAssertEqual(read.startedAt?.timeIntervalSince1970 ?? 0, 1_790_000_000.123, accuracy: 1e-6)
        XCTAssertEqual(read.prohibitedFeatures, ["religion"])
        XCTAssertEqual(read.fairnessVerdict, .pass)
        XCTAssertEqual(read.minDisparateImpact, 0.9)
        XCTAssertEqual(try registry.fairness(model: "churn", version: 1), input.fairness)

        var plain = Sample.version()
        plain.fairness = nil
        try registry.register(plain)
        XCTAssertNil(try registry.fairness(model: "churn", version: 2))
        XCTAssertNil(try registry.version(model: "churn", version: 2).fairnessVerdict)

        var backwards = Sample.version()
        backwards.startedAt = Date(timeIntervalSince1970: 10)
        backwards.finishedAt = Date(timeIntervalSince1970: 5)
        var twice = Sample.churn(auc: 0.9)
        twice.fairness?.measures.append(FairnessMeasure(attribute: "region", group: nil, metric: "disparate_impact", value: 1))
        var emptyGroup = Sample.churn(auc: 0.9)
        emptyGroup.fairness?.measures.append(FairnessMeasure(attribute: "region", group: "", metric: "tpr", value: 1))
        for (request, fragment) in [(backwards, "finished"), (twice, "region/*/disparate_impact is given twice"), (emptyGroup, "must not be empty")] {
            XCTAssertThrowsError(try registry.register(request)) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(error)")
            }
        }
    }
}
