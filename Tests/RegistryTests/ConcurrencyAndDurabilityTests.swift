import Foundation
import GRDB
@testable import Registry
import TestSupport
import XCTest

final class ConcurrencyAndDurabilityTests: XCTestCase {
    func testEightThreadsGetVersionsOneToEightWithoutGapsOrDuplicates() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        let assigned = LockedList<Int>()
        let failures = LockedList<String>()

        DispatchQueue.concurrentPerform(iterations: 8) { index in
            do {
                assigned.append(try registry.register(Sample.version(artifact: "thread \(index)", worker: "w\(index)")).version)
            } catch {
                failures.append("\(error)")
            }
        }

        XCTAssertEqual(failures.values, [])
        XCTAssertEqual(assigned.values.sorted(), Array(1...8))
        let stored = try registry.versions(model: "churn")
        XCTAssertEqual(stored.map(\.version), Array(1...8))
        XCTAssertEqual(Set(stored.map(\.worker)).count, 8)
        for version in stored {
            XCTAssertEqual(try registry.artifact(model: "churn", version: version.version),
                           Data("thread \(version.worker.dropFirst())".utf8))
        }
    }

    func testTwoRegistryInstancesOnOneFileNeverShareAVersion() throws {
        let dir = try TemporaryDirectory()
        let registries = [try ModelRegistry(path: dir.databasePath), try ModelRegistry(path: dir.databasePath)]
        let assigned = LockedList<Int>()

        DispatchQueue.concurrentPerform(iterations: 8) { index in
            if let version = try? registries[index % 2].register(Sample.version(artifact: "instance \(index)")).version {
                assigned.append(version)
            }
        }

        XCTAssertEqual(assigned.values.sorted(), Array(1...8))
    }

    func testReopenedRegistryFindsEverything() throws {
        let dir = try TemporaryDirectory()
        let started = Date(timeIntervalSince1970: 1_700_000_000.25)
        var written: [ModelVersion] = []
        do {
            let registry = try ModelRegistry(path: dir.databasePath)
            try registry.beginRun(id: "run-1", configSHA256: "c", datasetSHA256: "d", startedAt: started)
            written.append(try registry.register(Sample.version(model: "churn", artifact: "a")))
            written.append(try registry.register(Sample.version(model: "anomaly", artifact: "b")))
            try registry.recordJob(runID: "run-1", jobID: "churn/full", model: "churn", status: .done,
                                   attempt: 1, worker: "w1", version: 1, error: nil)
        }

        let reopened = try ModelRegistry(path: dir.databasePath)
        XCTAssertEqual(try reopened.versions(), written.sorted { $0.model < $1.model })
        XCTAssertEqual(try reopened.importance(model: "churn", version: 1), Sample.version().importance)
        XCTAssertEqual(try reopened.reports(model: "anomaly", version: 1), Sample.version().reports)
        XCTAssertEqual(try reopened.artifact(model: "anomaly", version: 1), Data("b".utf8))
        XCTAssertEqual(try reopened.events().map(\.model), ["churn", "anomaly"])
        XCTAssertEqual(try reopened.runs().map(\.startedAt), [started])
        XCTAssertEqual(try reopened.jobs(runID: "run-1").map(\.version), [1])
        XCTAssertEqual(try reopened.register(Sample.version(model: "churn", artifact: "c")).version, 2)
    }

    func testReadOnlyOpenOfAMissingFileSaysSo() throws {
        let dir = try TemporaryDirectory()
        let missing = dir.path + "/nowhere/registry.sqlite"
        assertThrows(try ModelRegistry.openReadOnly(path: missing)) { error in
            XCTAssertEqual(error as? RegistryError, .databaseMissing(missing))
            XCTAssertTrue(error.localizedDescription.contains("no registry database at \(missing)"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing))
    }

    func testReadOnlyRegistryReadsButRefusesWrites() throws {
        let dir = try TemporaryDirectory()
        let writer = try ModelRegistry(path: dir.databasePath)
        try writer.register(Sample.version())

        let reader = try ModelRegistry.openReadOnly(path: dir.databasePath)
        XCTAssertTrue(reader.isReadOnly)
        XCTAssertEqual(try reader.version(model: "churn"), try writer.version(model: "churn"))
        XCTAssertEqual(try reader.artifact(model: "churn", version: 1), Sample.version().artifact)
        assertThrows(try reader.register(Sample.version())) { error in
            guard case .invalid(let reason) = error as? RegistryError else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(reason.contains("read-only"), reason)
        }
        assertThrows(try reader.beginRun(id: "r", configSHA256: "c", datasetSHA256: "d", startedAt: Date())) { error in
            guard case .invalid = error as? RegistryError else { return XCTFail("unexpected \(error)") }
        }
        XCTAssertEqual(try writer.versions().count, 1)
    }

    func testReadersReadWhileAWriterHoldsAWriteTransaction() throws {
        let dir = try TemporaryDirectory()
        let writer = try ModelRegistry(path: dir.databasePath)
        let v1 = try writer.register(Sample.version())
        let cli = try ModelRegistry.openReadOnly(path: dir.databasePath)
        let otherProcess = try ModelRegistry(path: dir.databasePath)

        try writer.pool.write { db in
            try db.execute(sql: """
                INSERT INTO versions (model, version, run_id, kind, created_at, artifact_sha256, artifact_path, artifact_bytes,
                    dataset_sha256, config_sha256, shard_ids, parameters, code_version, worker, train_seconds)
                SELECT model, 2, run_id, kind, created_at, artifact_sha256, artifact_path, artifact_bytes,
                    dataset_sha256, config_sha256, shard_ids, parameters, code_version, worker, train_seconds
                FROM versions WHERE version = 1
                """)
            XCTAssertTrue(db.isInsideTransaction)
            XCTAssertEqual(try cli.versions(), [v1])
            XCTAssertEqual(try otherProcess.version(model: "churn"), v1)
            XCTAssertEqual(try cli.artifact(model: "churn", version: 1), Sample.version().artifact)
        }

        XCTAssertEqual(try cli.versions().map(\.version), [1, 2])
        let journalMode = try cli.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        XCTAssertEqual(journalMode?.lowercased(), "wal")
    }
}
