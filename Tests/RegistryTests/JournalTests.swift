import Foundation
import Registry
import TestSupport
import XCTest

final class JournalTests: XCTestCase {
    func testRunsAreJournaledAndFinished() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        let start = Date(timeIntervalSince1970: 1_710_000_000.123)
        let end = Date(timeIntervalSince1970: 1_710_000_360.5)
        try registry.beginRun(id: "r1", configSHA256: "cfg", datasetSHA256: "data", startedAt: start)
        try registry.beginRun(id: "r2", configSHA256: "cfg", datasetSHA256: "data", startedAt: end)

        XCTAssertEqual(try registry.runs().map(\.status), [.running, .running])
        try registry.finishRun(id: "r1", status: .succeeded, finishedAt: end)

        let runs = try registry.runs()
        XCTAssertEqual(runs.first, RunRecord(id: "r1", configSHA256: "cfg", datasetSHA256: "data",
                                             startedAt: start, finishedAt: end, status: .succeeded))
        XCTAssertEqual(runs.last?.finishedAt, nil)
        assertThrows(try registry.finishRun(id: "r9", status: .failed, finishedAt: end)) { error in
            XCTAssertEqual(error as? RegistryError, .notFound("run r9"))
        }
    }

    func testBeginningAnExistingRunResumesItOnlyWithTheSameInputs() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        let start = Date(timeIntervalSince1970: 1_710_000_000)
        try registry.beginRun(id: "r1", configSHA256: "cfg", datasetSHA256: "data", startedAt: start)
        try registry.finishRun(id: "r1", status: .failed, finishedAt: start.addingTimeInterval(5))

        try registry.beginRun(id: "r1", configSHA256: "cfg", datasetSHA256: "data", startedAt: start.addingTimeInterval(60))
        XCTAssertEqual(try registry.runs(), [RunRecord(id: "r1", configSHA256: "cfg", datasetSHA256: "data",
                                                       startedAt: start, finishedAt: nil, status: .running)])

        assertThrows(try registry.beginRun(id: "r1", configSHA256: "other", datasetSHA256: "data", startedAt: start)) { error in
            guard case .invalid(let reason) = error as? RegistryError else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(reason.contains("run r1 already exists"), reason)
        }
    }

    func testResumingRefusesAnUnknownASucceededOrAChangedRun() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.beginRun(id: "r1", configSHA256: "cfg", datasetSHA256: "data", startedAt: Date())
        func refusal(_ id: String, config: String = "cfg", dataset: String = "data") -> ResumeRefusal? {
            do {
                try registry.resumeRun(id: id, configSHA256: config, datasetSHA256: dataset)
                return nil
            } catch {
                return error as? ResumeRefusal
            }
        }
        XCTAssertEqual(refusal("ghost")?.reason, .unknownRun)
        XCTAssertEqual(refusal("r1", config: "other")?.reason, .configChanged(recorded: "cfg", current: "other"))
        XCTAssertEqual(refusal("r1", dataset: "other")?.reason, .datasetChanged(recorded: "data", current: "other"))
        XCTAssertTrue(try XCTUnwrap(refusal("r1", config: "other")).description.contains("resume it with the same cluster.yaml"))
        XCTAssertEqual(try registry.run(id: "r1")?.resumes, 0, "a refused resume changes nothing")

        try registry.finishRun(id: "r1", status: .succeeded, finishedAt: Date())
        let succeeded = try XCTUnwrap(refusal("r1"))
        guard case .alreadySucceeded = succeeded.reason else { return XCTFail("\(succeeded)") }
        XCTAssertTrue(succeeded.description.contains("cannot resume run r1: it already succeeded"), succeeded.description)
        XCTAssertEqual(try registry.run(id: "r1")?.status, .succeeded)
    }

    func testResumingAFailedOrInterruptedRunCountsTheResumeAndNamesTheNewCoordinator() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        let start = Date(timeIntervalSince1970: 1_710_000_000)
        try registry.beginRun(id: "r1", configSHA256: "cfg", datasetSHA256: "data", startedAt: start, coordinatorHost: "h1", coordinatorPID: 11)
        XCTAssertEqual(try registry.run(id: "r1"), RunRecord(id: "r1", configSHA256: "cfg", datasetSHA256: "data", startedAt: start,
                                                             finishedAt: nil, status: .running, resumes: 0, coordinatorHost: "h1", coordinatorPID: 11))
        let resumed = try registry.resumeRun(id: "r1", configSHA256: "cfg", datasetSHA256: "data", coordinatorHost: "h2", coordinatorPID: 22)
        XCTAssertEqual(resumed, RunRecord(id: "r1", configSHA256: "cfg", datasetSHA256: "data", startedAt: start,
                                          finishedAt: nil, status: .running, resumes: 1, coordinatorHost: "h2", coordinatorPID: 22))
        try registry.finishRun(id: "r1", status: .failed, finishedAt: start.addingTimeInterval(9))
        XCTAssertEqual(try registry.resumeRun(id: "r1", configSHA256: "cfg", datasetSHA256: "data").resumes, 2)
        XCTAssertEqual(try registry.runs().count, 1, "resuming never adds a run")
        XCTAssertNil(try registry.run(id: "r1")?.finishedAt)
    }

    func testARegistrationCompletingAJobJournalsItDoneInTheSameTransaction() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.beginRun(id: "run-1", configSHA256: "c", datasetSHA256: "d", startedAt: Date())
        try registry.recordJob(runID: "run-1", jobID: "churn/full", model: "churn", status: .running, attempt: 1, worker: "w1", version: nil, error: nil)
        let completion = JobCompletion(runID: "run-1", jobID: "churn/full", model: "churn", attempt: 1, worker: "w1", predictions: "p1")
        let version = try registry.register(Sample.version(model: "churn", run: "run-1"), completing: completion)
        var job = try XCTUnwrap(try registry.jobs(runID: "run-1").first)
        XCTAssertEqual(job.status, .done)
        XCTAssertEqual(job.predictions, "p1")
        XCTAssertEqual(job.version, version.version)

        // A later status change keeps the predictions and the version unless it names new ones.
        try registry.recordJob(runID: "run-1", jobID: "churn/full", model: "churn", status: .done, attempt: 1, worker: "w1", version: nil, error: nil)
        job = try XCTUnwrap(try registry.jobs(runID: "run-1").first)
        XCTAssertEqual(job.predictions, "p1")
        XCTAssertEqual(job.version, version.version)

        // A completion for a run that does not exist rolls the registration back with it.
        let orphan = JobCompletion(runID: "ghost", jobID: "churn/full", model: "churn", attempt: 1, worker: "w1", predictions: "p2")
        assertThrows(try registry.register(Sample.version(model: "churn", run: "ghost", artifact: "other"), completing: orphan)) { error in
            XCTAssertEqual(error as? RegistryError, .notFound("run ghost"))
        }
        XCTAssertEqual(try registry.versions(model: "churn").count, 1)
        assertThrows(try registry.register(Sample.version(model: "anomaly", run: "run-1"), completing: completion)) { error in
            guard case .invalid(let reason) = error as? RegistryError else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(reason.contains("is of model churn, not anomaly"), reason)
        }

        try registry.completeJob(JobCompletion(runID: "run-1", jobID: "churn/fold0", model: "churn", attempt: 2, worker: "w2", predictions: "p3"), version: nil)
        let fold = try XCTUnwrap(try registry.jobs(runID: "run-1").last)
        XCTAssertEqual([fold.jobID, fold.status.rawValue, fold.predictions], ["churn/fold0", "done", "p3"])
        XCTAssertNil(fold.version)
        XCTAssertEqual(fold.attempt, 2)
    }

    func testDoneJobsKeepTheirSecondsAndUnitsForTheNextRunsScheduler() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        for (i, run) in ["old", "mid", "new"].enumerated() {
            try registry.beginRun(id: run, configSHA256: "cfg", datasetSHA256: "data", startedAt: Date(timeIntervalSince1970: 1_710_000_000 + Double(i)))
        }
        try registry.completeJob(JobCompletion(runID: "old", jobID: "churn/full", model: "churn", attempt: 1, worker: "w1", predictions: "p0",
                                               seconds: 9, units: 100), version: nil)
        try registry.completeJob(JobCompletion(runID: "new", jobID: "churn/full", model: "churn", attempt: 1, worker: "w1", predictions: "p1",
                                               seconds: 6.5, units: 100), version: nil)
        try registry.completeJob(JobCompletion(runID: "new", jobID: "churn/fold0", model: "churn", attempt: 1, worker: "w2", predictions: "p2",
                                               seconds: 4, units: 80), version: nil)
        try registry.completeJob(JobCompletion(runID: "mid", jobID: "churn/full", model: "churn", attempt: 1, worker: "w1", predictions: "p3"),
                                 version: nil)
        try registry.recordJob(runID: "new", jobID: "ensemble/full", model: "ensemble", status: .running, attempt: 1, worker: "w1",
                               version: nil, error: nil)
        let latest = try registry.timedJobs(runs: 1)
        XCTAssertEqual(latest.map(\.jobID), ["churn/full", "churn/fold0"], "the newest timed run's done jobs; untimed runs do not count")
        XCTAssertEqual(latest.map(\.seconds), [6.5, 4])
        XCTAssertEqual(latest.map(\.units), [100, 80])
        XCTAssertEqual(try registry.timedJobs(runs: 5).map(\.runID), ["new", "new", "old"])
        try registry.recordJob(runID: "new", jobID: "churn/fold0", model: "churn", status: .done, attempt: 1, worker: "w2", version: nil, error: nil)
        XCTAssertEqual(try registry.jobs(runID: "new").first { $0.jobID == "churn/fold0" }?.seconds, 4, "a later status write keeps the timing")
        assertThrows(try registry.completeJob(JobCompletion(runID: "new", jobID: "x", model: "x", attempt: 1, worker: "w", predictions: "p",
                                                            seconds: -1, units: 1), version: nil)) { error in
            guard case .invalid(let reason) = error as? RegistryError else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(reason.contains("seconds"), reason)
        }
    }

    func testJobsAreUpsertedInFirstRecordedOrder() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.beginRun(id: "r1", configSHA256: "c", datasetSHA256: "d", startedAt: Date())
        try registry.recordJob(runID: "r1", jobID: "churn/fold-0", model: "churn", status: .pending, attempt: 0,
                               worker: nil, version: nil, error: nil)
        try registry.recordJob(runID: "r1", jobID: "churn/full", model: "churn", status: .pending, attempt: 0,
                               worker: nil, version: nil, error: nil)
        try registry.recordJob(runID: "r1", jobID: "churn/fold-0", model: "churn", status: .failed, attempt: 1,
                               worker: "w2", version: nil, error: "worker w2 died")
        try registry.recordJob(runID: "r1", jobID: "churn/fold-0", model: "churn", status: .done, attempt: 2,
                               worker: "w3", version: 4, error: nil)

        let jobs = try registry.jobs(runID: "r1")
        XCTAssertEqual(jobs.map(\.jobID), ["churn/fold-0", "churn/full"])
        XCTAssertEqual(jobs[0].status, .done)
        XCTAssertEqual(jobs[0].attempt, 2)
        XCTAssertEqual(jobs[0].worker, "w3")
        XCTAssertEqual(jobs[0].version, 4)
        XCTAssertNil(jobs[0].error)
        XCTAssertEqual(jobs[1].status, .pending)
        XCTAssertNil(jobs[1].worker)
        XCTAssertGreaterThanOrEqual(jobs[0].updatedAt, jobs[1].updatedAt)
    }

    func testJobsOfUnknownRunsAreRefused() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        assertThrows(try registry.recordJob(runID: "ghost", jobID: "j", model: "churn", status: .pending, attempt: 0,
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
