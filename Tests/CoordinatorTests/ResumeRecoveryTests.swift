@testable import Coordinator
import Dataset
import Foundation
import Logging
import ModelZoo
import Training
import Registry
import XCTest

/// What a restarted coordinator takes over from the journal: stored predictions that rebuild the
/// ensemble's table exactly, a re-run (never a crash, never a wrong table) for predictions that
/// are gone or damaged, no second version for a job, and refusals for runs it must not resume.
final class ResumeRecoveryTests: XCTestCase {
    private static let models = """
    models:
      engagement: { kind: gbdt, objective: regression, target: engagement_score, trees: 5 }
      churn:      { kind: gbdt, objective: binary, target: churn_30_day, trees: 5 }
      anomaly:    { kind: anomaly, target: is_anomaly }
      ensemble:   { kind: stacking, target: churn_30_day, inputs: [engagement, churn, anomaly], reference: churn }
    """

    private struct Fixture {
        let directory: String
        let config: ClusterConfig
        let data: PreparedData
        let store: ShardStore
        let jobs: [PlannedJob]
        let registry: ModelRegistry
    }

    private func yaml(_ directory: String, rows: Int = 600) -> String {
        """
        data: { source: generate, rows: \(rows), seed: 5, shards: 6, test_fraction: 0.2, folds: 3 }
        registry: { path: \(directory)/registry/engage.sqlite }
        work_dir: \(directory)/work
        \(Self.models)
        """
    }

    private func fixture() throws -> Fixture {
        let directory = NSTemporaryDirectory() + "resume-recovery-\(UUID().uuidString)"
        let config = try ClusterConfig.parse(yaml(directory))
        let store = try ShardStore(directory: directory + "/work/shards")
        let preparer = DataPreparer(config: config, store: store)
        let data = try preparer.prepare(try preparer.loadTables())
        let registry = try ModelRegistry(path: config.registryPath)
        try registry.beginRun(id: "r1", configSHA256: "c", datasetSHA256: data.datasetSHA256, startedAt: Date())
        return Fixture(directory: directory, config: config, data: data, store: store, jobs: try JobPlanner(config: config, data: data).plan(),
                       registry: registry)
    }

    /// A different marker per job and row, so that a value taken from the wrong job or row shows.
    private func predictions(_ job: PlannedJob) -> [Double] {
        let rows = (job.spec.evalShards + job.spec.scoreShards).reduce(0) { $0 + $1.rows }
        let base: Double
        if case .fold(let k) = job.spec.role { base = Double(k + 1) / 10 } else { base = 0.9 }
        let salt = Double(job.id.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xFFFF }) / 1e7
        return (0..<rows).map { base - Double($0 % 7) / 100 + salt }
    }

    private func finish(_ jobs: [PlannedJob], in sink: RegistrySink) throws {
        for job in jobs {
            let report = JobReport(model: job.spec.model, metrics: [MetricValue(split: "test", name: "auc", value: 0.8)], importance: [],
                                    features: [], parameters: "{}", trainRows: 1, evalRows: 1, trainSeconds: 0, trees: 0)
            _ = try sink.accept(job: job, attempt: 1, worker: "w@h", report: report, result: ResultPayload(artifact: Data(job.id.utf8), predictions: predictions(job)))
        }
    }

    private func recover(_ f: Fixture) throws -> RecoveredRun {
        try RecoveredRun.recover(registry: f.registry, runID: "r1", jobs: f.jobs, predictions: PredictionStore(store: f.store))
    }

    func testStoredPredictionsRebuildTheEnsembleTableExactly() throws {
        let f = try fixture()
        let base = f.jobs.filter { $0.spec.kind != .stacking }
        let first = RegistrySink(registry: f.registry, runID: "r1", data: f.data, configSHA256: "c", store: f.store)
        try finish(base, in: first)
        let ensemble = try XCTUnwrap(f.jobs.first { $0.id == "ensemble/full" })
        let expected = try first.materialize(ensemble).spec.stackingShards

        let recovered = try recover(f)
        XCTAssertEqual(recovered.done, Set(base.map(\.id)))
        XCTAssertTrue(recovered.reruns.isEmpty, "\(recovered.reruns)")
        XCTAssertEqual(Set(recovered.versions.keys), ["engagement/full", "churn/full", "anomaly/full"])
        XCTAssertEqual(recovered.attempts["churn/fold1"], 1)
        let second = RegistrySink(registry: f.registry, runID: "r1", data: f.data, configSHA256: "c", store: f.store, recovered: recovered)
        XCTAssertEqual(try second.materialize(ensemble).spec.stackingShards, expected,
                       "the table built from stored predictions is byte for byte the one built from the results in memory")
    }

    /// A journal write that fails is counted and named, so the run fails instead of leaving a journal `--resume` trusts.
    func testAFailedJournalWriteIsReportedWithTheFirstError() throws {
        let f = try fixture()
        let readOnly = try ModelRegistry.openReadOnly(path: f.config.registryPath)
        let sink = RegistrySink(registry: readOnly, runID: "r1", data: f.data, configSHA256: "c", store: f.store)
        XCTAssertNil(sink.journalFailure)
        for job in f.jobs.prefix(2) { sink.jobChanged(job: job, status: .running, attempt: 1, worker: "w@h", error: nil) }
        XCTAssertEqual(sink.journalFailures, 2)
        let failure = try XCTUnwrap(sink.journalFailure)
        XCTAssertTrue(failure.hasPrefix("2 journal write(s) failed"), failure)
        XCTAssertTrue(failure.contains(try XCTUnwrap(sink.firstJournalError)), failure)
        XCTAssertTrue(try f.registry.jobs(runID: "r1").isEmpty, "nothing reached the journal")
    }

    func testMissingOrCorruptPredictionsRerunTheirJobWithoutASecondVersion() throws {
        let f = try fixture()
        let base = f.jobs.filter { $0.spec.kind != .stacking }
        try finish(base, in: RegistrySink(registry: f.registry, runID: "r1", data: f.data, configSHA256: "c", store: f.store))
        let journal = Dictionary(uniqueKeysWithValues: try f.registry.jobs(runID: "r1").map { ($0.jobID, $0) })

        // Damage one fold job's file (a flipped byte) and delete the churn model's.
        let foldFile = f.store.path(for: try XCTUnwrap(journal["engagement/fold1"]?.predictions))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: foldFile))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: foldFile))
        try FileManager.default.removeItem(atPath: f.store.path(for: try XCTUnwrap(journal["churn/full"]?.predictions)))

        let recovered = try recover(f)
        XCTAssertEqual(Set(recovered.reruns.map(\.job)), ["engagement/fold1", "churn/full"])
        let reasons = Dictionary(uniqueKeysWithValues: recovered.reruns.map { ($0.job, $0.reason) })
        XCTAssertTrue(try XCTUnwrap(reasons["engagement/fold1"]).contains("corrupt"), "\(reasons)")
        XCTAssertTrue(try XCTUnwrap(reasons["churn/full"]).contains("is missing"), "\(reasons)")
        XCTAssertFalse(recovered.done.contains("engagement/fold1"))
        XCTAssertFalse(recovered.done.contains("churn/full"))
        XCTAssertEqual(recovered.done.count, base.count - 2)

        // The ensemble is not materialized from incomplete inputs: it fails clearly until the re-runs are in.
        let ensemble = try XCTUnwrap(f.jobs.first { $0.id == "ensemble/full" })
        let sink = RegistrySink(registry: f.registry, runID: "r1", data: f.data, configSHA256: "c", store: f.store, recovered: recovered)
        XCTAssertThrowsError(try sink.materialize(ensemble)) { error in
            XCTAssertTrue("\(error)".contains("no prediction of"), "\(error)")
        }
        let churnBefore = try f.registry.version(model: "churn", version: 1)
        try finish(f.jobs.filter { ["engagement/fold1", "churn/full"].contains($0.id) }, in: sink)
        XCTAssertEqual(try f.registry.versions(model: "churn").map(\.version), [1], "a re-run keeps the job's version")
        XCTAssertEqual(try f.registry.version(model: "churn", version: 1), churnBefore)
        let churnJob = try XCTUnwrap(try f.registry.jobs(runID: "r1").first { $0.jobID == "churn/full" })
        XCTAssertEqual(churnJob.version, 1)
        XCTAssertNotNil(churnJob.predictions.map { f.store.contains($0) })
        XCTAssertNoThrow(try sink.materialize(ensemble))
    }

    func testAPredictionsFileOfTheWrongLengthIsRefused() throws {
        let f = try fixture()
        let job = try XCTUnwrap(f.jobs.first { $0.id == "churn/fold0" })
        let store = PredictionStore(store: f.store)
        let short = try store.save([0.1, 0.2, 0.3])
        XCTAssertThrowsError(try store.load(short.id, job: job)) { error in
            XCTAssertTrue("\(error)".contains("holds 3 predictions for"), "\(error)")
        }
        XCTAssertThrowsError(try store.load(nil, job: job)) { error in
            XCTAssertTrue("\(error)".contains("names no predictions file"), "\(error)")
        }
        let right = try store.save(predictions(job))
        XCTAssertEqual(try store.load(right.id, job: job)[job.spec.evalShards[0].id].map(Array.init), Array(predictions(job).prefix(job.spec.evalShards[0].rows)))
    }

    func testAResumedJobContinuesItsAttemptsAndGetsItsOwnTries() {
        let spec = TrainingJobSpec(model: "a", kind: .gbdt, objective: .binary, target: "y", excludedColumns: [], quantiles: [],
                                   parameters: GBDTParameters(), role: .full, trainShards: [], evalShards: [])
        var book = JobBook(jobs: [PlannedJob(id: "a", spec: spec, dependsOn: [], estimatedCost: 1),
                                  PlannedJob(id: "b", spec: spec, dependsOn: [], estimatedCost: 1)],
                           maxAttempts: 2, alreadyDone: ["b"], priorAttempts: ["a": 3, "b": 1])
        XCTAssertEqual(book.states["b"], .done(worker: "journal", attempt: 1))
        XCTAssertEqual(book.start("a", worker: "w"), 4)
        XCTAssertEqual(book.requeue("a", attempt: 4, error: "lost"), .retried(attempt: 5))
        XCTAssertEqual(book.start("a", worker: "w"), 5)
        guard case .gaveUp(let message)? = book.requeue("a", attempt: 5, error: "boom") else { return XCTFail() }
        XCTAssertTrue(message.contains("failed 2 times"), message)
    }

    // MARK: refusals

    private func runner(_ f: Fixture, configSHA256: String = "c", runID: String = "r1") throws -> PipelineRunner {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return PipelineRunner(config: f.config, configSHA256: configSHA256, logger: logger, workerExecutable: "/bin/false",
                              localWorkers: 0, workerThreads: 1, runID: runID, resume: true)
    }

    private func refusal(_ body: () throws -> Void) -> ResumeRefusal? {
        do { try body() } catch { return error as? ResumeRefusal }
        return nil
    }

    func testResumeRefusesAnUnknownRunAChangedConfigAChangedDatasetAndASucceededRun() throws {
        let f = try fixture()
        XCTAssertEqual(refusal { _ = try runner(f, runID: "nope").run() }?.reason, .unknownRun)
        XCTAssertEqual(refusal { _ = try runner(f, configSHA256: "edited").run() }?.reason, .configChanged(recorded: "c", current: "edited"))

        // The same config file with other data (rows overridden): refused once the data is prepared, before any job.
        var other = f.config
        other.data.rows = 500
        var changed = try runner(f)
        changed.config = other
        guard case .datasetChanged(let recorded, _)? = refusal({ _ = try changed.run() })?.reason else { return XCTFail("not refused") }
        XCTAssertEqual(recorded, f.data.datasetSHA256)
        XCTAssertEqual(try f.registry.run(id: "r1")?.resumes, 0)
        XCTAssertTrue(try f.registry.jobs(runID: "r1").isEmpty)

        try f.registry.finishRun(id: "r1", status: .succeeded, finishedAt: Date())
        guard case .alreadySucceeded? = refusal({ _ = try runner(f).run() })?.reason else { return XCTFail("not refused") }
    }

    func testResumeRefusesARunWhoseCoordinatorStillLives() throws {
        let f = try fixture()
        let parent = Int(getppid())
        try f.registry.beginRun(id: "live", configSHA256: "c", datasetSHA256: f.data.datasetSHA256, startedAt: Date(),
                                coordinatorHost: ProcessInfo.processInfo.hostName, coordinatorPID: parent)
        XCTAssertEqual(refusal { _ = try runner(f, runID: "live").run() }?.reason, .stillRunning(host: ProcessInfo.processInfo.hostName, pid: parent))
        XCTAssertFalse(CoordinatorProcess(host: "elsewhere", pid: parent).isAliveElsewhere, "a coordinator on another host cannot be checked")
        XCTAssertFalse(CoordinatorProcess.current.isAliveElsewhere)
        XCTAssertEqual(CoordinatorProcess.displayStatus(of: try XCTUnwrap(try f.registry.run(id: "live"))), .running)

        // A run whose coordinator is gone reads as interrupted; a finished one as it ended.
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        try f.registry.beginRun(id: "dead", configSHA256: "c", datasetSHA256: "d", startedAt: Date(),
                                coordinatorHost: ProcessInfo.processInfo.hostName, coordinatorPID: Int(gone.processIdentifier))
        XCTAssertEqual(CoordinatorProcess.displayStatus(of: try XCTUnwrap(try f.registry.run(id: "dead"))), .interrupted)
        try f.registry.finishRun(id: "dead", status: .failed, finishedAt: Date())
        XCTAssertEqual(CoordinatorProcess.displayStatus(of: try XCTUnwrap(try f.registry.run(id: "dead"))), .failed)
    }

    func testAResumeWithEverythingDoneFinishesTheRunWithoutWorkers() throws {
        let f = try fixture()
        try finish(f.jobs.filter { $0.spec.kind != .stacking }, in: RegistrySink(registry: f.registry, runID: "r1", data: f.data, configSHA256: "c", store: f.store))
        let sink = RegistrySink(registry: f.registry, runID: "r1", data: f.data, configSHA256: "c", store: f.store, recovered: try recover(f))
        try finish(f.jobs.filter { $0.spec.kind == .stacking }.map { try sink.materialize($0) }, in: sink)

        let summary = try runner(f).run()
        XCTAssertNil(summary.failure)
        XCTAssertEqual(summary.resumedJobs, f.jobs.count)
        XCTAssertEqual(summary.totalJobs, f.jobs.count)
        XCTAssertEqual(summary.rows.map(\.model), ["anomaly", "churn", "engagement", "ensemble"])
        XCTAssertTrue(summary.rows.allSatisfy(\.resumed))
        XCTAssertEqual(try f.registry.run(id: "r1")?.status, .succeeded)
        XCTAssertEqual(try f.registry.versions().count, 4)
    }
}
