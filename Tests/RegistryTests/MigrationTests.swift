import Foundation
import GRDB
@testable import Registry
import TestSupport
import XCTest

final class MigrationTests: XCTestCase {
    /// A registry file written by the round-1 code (schema v1 only) upgrades in place.
    func testAVersionOneRegistryUpgradesInPlace() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: (dir.databasePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let queue = try DatabaseQueue(path: dir.databasePath)
            try Schema.migrator.migrate(queue, upTo: "v1")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO models (name, created_at) VALUES ('churn', '2025-01-01T00:00:00.000Z');
                    INSERT INTO versions (model, version, run_id, kind, created_at, artifact_sha256, artifact_path, artifact_bytes,
                        dataset_sha256, config_sha256, shard_ids, parameters, code_version, worker, train_seconds, status)
                    VALUES ('churn', 1, 'r', 'gbdt', '2025-01-01T00:00:00.000Z', 'ab', 'artifacts/a/b', 1, 'd', 'c', '[]', '{}', '0.1', 'w', 1, 'registered'),
                           ('churn', 2, 'r', 'gbdt', '2025-01-02T00:00:00.000Z', 'ab', 'artifacts/a/b', 1, 'd', 'c', '[]', '{}', '0.1', 'w', 1, 'archived');
                    INSERT INTO events (model, version, action, actor, at, detail) VALUES ('churn', 1, 'registered', 'a@b', '2025-01-01T00:00:00.000Z', '{}');
                    """)
            }
            XCTAssertThrowsError(try ModelRegistry.openReadOnly(path: dir.databasePath)) { error in
                XCTAssertTrue("\(error)".contains("not an up-to-date engage registry"), "\(error)")
            }
        }

        let registry = try ModelRegistry(path: dir.databasePath)
        let versions = try registry.versions()
        XCTAssertEqual(versions.map(\.stage), [.none, .archived])
        XCTAssertEqual(versions.map(\.prohibitedFeatures), [[], []])
        XCTAssertNil(versions[0].host)
        XCTAssertNil(versions[0].fairnessVerdict)
        let event = try XCTUnwrap(try registry.history(model: "churn").first)
        XCTAssertNil(event.from)
        XCTAssertNil(event.reason)
        XCTAssertEqual(try registry.register(Sample.version()).version, 3)
        let applied = try registry.pool.read { db in try Schema.migrator.appliedIdentifiers(db) }
        XCTAssertEqual(applied, ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8"])
    }

    /// A round-3 registry (schema v3) with a journaled run keeps its journal: done jobs read back
    /// with no predictions file (a resume runs them again if a later job needs them).
    func testAVersionThreeJournalUpgradesWithoutPredictions() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: (dir.databasePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let queue = try DatabaseQueue(path: dir.databasePath)
            try Schema.migrator.migrate(queue, upTo: "v3")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO runs (id, config_sha256, dataset_sha256, started_at, finished_at, status)
                    VALUES ('r', 'c', 'd', '2025-01-01T00:00:00.000Z', NULL, 'running');
                    INSERT INTO jobs (run_id, job_id, model, status, attempt, worker, version, error, updated_at)
                    VALUES ('r', 'churn/fold0', 'churn', 'done', 1, 'w', NULL, NULL, '2025-01-01T00:00:01.000Z');
                    """)
            }
        }
        let registry = try ModelRegistry(path: dir.databasePath)
        let run = try XCTUnwrap(try registry.run(id: "r"))
        XCTAssertEqual(run.resumes, 0)
        XCTAssertNil(run.coordinatorPID)
        let job = try XCTUnwrap(try registry.jobs(runID: "r").first)
        XCTAssertEqual(job.status, .done)
        XCTAssertNil(job.predictions)
        XCTAssertEqual(try registry.resumeRun(id: "r", configSHA256: "c", datasetSHA256: "d", coordinatorHost: "h", coordinatorPID: 7).resumes, 1)
    }
}
