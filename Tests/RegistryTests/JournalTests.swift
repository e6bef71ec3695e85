import Foundation
import Registry
import XCTest

final class JournalTests: XCTestCase {
    func testRunsAreJournaledAndFinished() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        let start = Date(timeIntervalSince1970: 1_710_000_000.123)
        let end = Date(timeIntervalSince1970: 1_710_000_360.5)
        try registry.beginRun(id: "r1", configSHA256: "cfg", datasetSHA256: "data", startedAt: start)
        try registry.beginRun(id: "r2", configSHA256: "cfg", datasetSHA256: "data", startedAt: end)

        XCTAssertEqual(try registry.runs().map(\.status), ["running", "running"])
        try registry.finishRun(id: "r1", status: "succeeded", finishedAt: end)

        let runs = try registry.runs()
        XCTAssertEqual(runs.first, RunRecord(id: "r1", configSHA256: "cfg", datasetSHA256: "data",
                                             startedAt: start, finishedAt: end, status: "succeeded"))
        XCTAssertEqual(runs.last?.finishedAt, nil)
        assertThrows(try registry.finishRun(id: "r9", status: "failed", finishedAt: end)) { error in
            XCTAssertEqual(error as? RegistryError, .notFound("run r9"))
        }
    }

    func testBeginningAnExistingRunResumesItOnlyWithTheSameInputs() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        let start = Date(timeIntervalSince1970: 1_710_000_000)
        try registry.beginRun(id: "r1", configSHA256: "cfg", datasetSHA256: "data", startedAt: start)
        try registry.finishRun(id: "r1", status: "interrupted", finishedAt: start.addingTimeInterval(5))

        try registry.beginRun(id: "r1", configSHA256: "cfg", datasetSHA256: "data", startedAt: start.addingTimeInterval(60))
        XCTAssertEqual(try registry.runs(), [RunRecord(id: "r1", configSHA256: "cfg", datasetSHA256: "data",
                                                       startedAt: start, finishedAt: nil, status: "running")])

        assertThrows(try registry.beginRun(id: "r1", configSHA256: "other", datasetSHA256: "data", startedAt: start)) { error in
            guard case .invalid(let reason) = error as? RegistryError else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(reason.contains("run r1 already exists"), reason)
        }
    }

    func testJobsAreUpsertedInFirstRecordedOrder() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.beginRun(id: "r1", configSHA256: "c", datasetSHA256: "d", startedAt: Date())
        try registry.recordJob(runID: "r1", jobID: "churn/fold-0", model: "churn", status: "queued", attempt: 0,
                               worker: nil, version: nil, error: nil)
        try registry.recordJob(runID: "r1", jobID: "churn/full", model: "churn", status: "queued", attempt: 0,
                               worker: nil, version: nil, error: nil)
        try registry.recordJob(runID: "r1", jobID: "churn/fold-0", model: "churn", status: "failed", attempt: 1,
                               worker: "w2", version: nil, error: "worker w2 died")
        try registry.recordJob(runID: "r1", jobID: "churn/fold-0", model: "churn", status: "done", attempt: 2,
                               worker: "w3", version: 4, error: nil)

        let jobs = try registry.jobs(runID: "r1")
        XCTAssertEqual(jobs.map(\.jobID), ["churn/fold-0", "churn/full"])
        XCTAssertEqual(jobs[0].status, "done")
        XCTAssertEqual(jobs[0].attempt, 2)
        XCTAssertEqual(jobs[0].worker, "w3")
        XCTAssertEqual(jobs[0].version, 4)
        XCTAssertNil(jobs[0].error)
        XCTAssertEqual(jobs[1].status, "queued")
        XCTAssertNil(jobs[1].worker)
        XCTAssertGreaterThanOrEqual(jobs[0].updatedAt, jobs[1].updatedAt)
    }

    func testJobsOfUnknownRunsAreRefused() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        assertThrows(try registry.recordJob(runID: "ghost", jobID: "j", model: "churn", status: "queued", attempt: 0,
                                            worker: nil, version: nil, error: nil)) { error in
            XCTAssertEqual(error as? RegistryError, .notFound("run ghost"))
        }
        assertThrows(try registry.jobs(runID: "ghost")) { error in
            XCTAssertEqual(error as? RegistryError, .notFound("run ghost"))
        }
    }

    func testRegistrationsAreRecordedInTheAuditLog() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath, actor: "coordinator@test")
        let churn = try registry.register(Sample.version(model: "churn", run: "run-7", artifact: "a"))
        try registry.register(Sample.version(model: "anomaly", artifact: "b"))
        try registry.register(Sample.version(model: "churn", artifact: "c"))

        let all = try registry.events()
        XCTAssertEqual(all.map { "\($0.model)@\($0.version ?? 0)" }, ["churn@1", "anomaly@1", "churn@2"])
        XCTAssertEqual(all.map(\.id), all.map(\.id).sorted())
        XCTAssertEqual(Set(all.map(\.action)), ["registered"])
        XCTAssertEqual(Set(all.map(\.actor)), ["coordinator@test"])
        XCTAssertEqual(all[0].at, churn.createdAt)

        let detail = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(all[0].detail.utf8)) as? [String: String])
        XCTAssertEqual(detail["run_id"], "run-7")
        XCTAssertEqual(detail["artifact_sha256"], churn.artifactSHA256)
        XCTAssertEqual(try registry.events(model: "churn").map(\.version), [1, 2])
    }
}
