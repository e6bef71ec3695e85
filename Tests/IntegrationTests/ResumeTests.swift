import Coordinator
import Foundation
import Registry
import TestSupport
import XCTest

/// `engage run --resume` with real processes: the coordinator is killed with SIGKILL mid-run,
/// its local workers notice and leave, and the resumed run finishes the job graph without
/// re-running or re-registering anything the journal holds as done.
final class ResumeTests: XCTestCase {
    private static let models = sixModels(trees: 10, leaves: 7, shapRows: 20, permutationRows: 100, forestTrees: 20,
                                          autoencoderEpochs: 1, factors: 4)

    func testAKilledCoordinatorsRunResumesWithoutRedoingOrReregisteringFinishedJobs() throws {
        let engage = try EngageBinary.locate()
        let (coordinator, directory, runID, total) = try startAndCatchMidRun(engage)
        let registryPath = (directory as NSString).appendingPathComponent("registry/engage.sqlite")
        var workerPIDs: [Int32] = []
        defer {
            coordinator.kill()
            for pid in workerPIDs where ProcessProbe.isRunning(pid) { kill(pid, SIGKILL) }
        }

        // Some, not all, jobs are done in the journal: kill the coordinator outright.
        workerPIDs = ProcessProbe.workerPIDs(in: coordinator.output)
        XCTAssertEqual(workerPIDs.count, 2, coordinator.output)
        coordinator.kill(SIGKILL)
        XCTAssertTrue(coordinator.waitForExit(timeout: 10))

        // Local workers are the coordinator's children: they must notice it is gone and exit.
        let deadline = Date().addingTimeInterval(20)
        while workerPIDs.contains(where: ProcessProbe.isRunning), Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertFalse(workerPIDs.contains(where: ProcessProbe.isRunning), "workers outlived their coordinator: \(workerPIDs)")

        let reader = try ModelRegistry.openReadOnly(path: registryPath)
        XCTAssertEqual(try reader.run(id: runID)?.status, .running, "a killed coordinator leaves its run running")
        let listed = try engage.run(["registry", "runs", "--registry", registryPath], in: directory)
        XCTAssertEqual(listed.status, 0, listed.output)
        XCTAssertTrue(listed.output.contains(runID) && listed.output.contains("interrupted"), "registry runs shows the dead run as interrupted:\n\(listed.output)")
        let before = Dictionary(uniqueKeysWithValues: try reader.jobs(runID: runID).map { ($0.jobID, $0) })
        let doneBefore = before.values.filter { $0.status == .done }
        let versionsBefore = try reader.versions().filter { $0.runID == runID }
        XCTAssertFalse(doneBefore.isEmpty)
        XCTAssertLessThan(doneBefore.count, total)
        XCTAssertTrue(doneBefore.allSatisfy { $0.predictions != nil }, "every done job names its stored predictions")

        let resumed = try engage.run(["run", "--config", "cluster.yaml", "--resume", runID], in: directory)
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertTrue(resumed.output.contains("run \(runID) (resumed): 6 versions in the run, \(6 - versionsBefore.count) new"), resumed.output)
        XCTAssertTrue(resumed.output.contains("\(doneBefore.count) of \(total) jobs resumed from the journal"), resumed.output)

        let versions = try reader.versions()
        XCTAssertEqual(versions.count, 6, "one version per model: nothing registered twice")
        XCTAssertEqual(Set(versions.map(\.model)), ["engagement", "churn", "lifetime_value", "anomaly", "recommender", "ensemble"])
        XCTAssertTrue(versions.allSatisfy { $0.runID == runID && $0.version == 1 })
        for version in versionsBefore {
            XCTAssertEqual(try reader.version(model: version.model, version: version.version), version, "\(version.reference) was touched")
        }
        let after = try reader.jobs(runID: runID)
        XCTAssertEqual(after.count, total)
        XCTAssertTrue(after.allSatisfy { $0.status == .done }, "\(after.map { "\($0.jobID)=\($0.status)" })")
        for job in doneBefore {
            let now = try XCTUnwrap(after.first { $0.jobID == job.jobID })
            XCTAssertEqual(now, job, "\(job.jobID) was done before the kill and must not run again")
            XCTAssertFalse(resumed.output.contains("\(job.jobID) attempt"), "\(job.jobID) was handed out again:\n\(resumed.output)")
        }
        for job in before.values where job.status != .done {
            let now = try XCTUnwrap(after.first { $0.jobID == job.jobID })
            XCTAssertGreaterThan(now.attempt, job.attempt, "\(job.jobID) was \(job.status) at the kill: the resumed run continues its attempt count")
        }
        let ensemble = try reader.version(model: "ensemble", version: 1)
        XCTAssertNotNil(ensemble.metric("auc"))
        XCTAssertNotNil(ensemble.metric("reference_auc"))
        let run = try XCTUnwrap(try reader.run(id: runID))
        XCTAssertEqual(run.status, .succeeded)
        XCTAssertEqual(run.resumes, 1)
        let relisted = try engage.run(["registry", "runs", "--registry", registryPath], in: directory)
        XCTAssertTrue(relisted.output.contains("succeeded") && !relisted.output.contains("interrupted"), relisted.output)

        let again = try engage.run(["run", "--config", "cluster.yaml", "--resume", runID], in: directory)
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.output.contains("cannot resume run \(runID): it already succeeded"), again.output)
        XCTAssertEqual(try reader.versions().count, 6)
    }

    func testResumingAnUnknownRunOrWithAnEditedConfigIsRefusedBeforeAnyWork() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("resume-refused")
        let config = try smallClusterFile(in: directory, rows: 500, workers: 1, models: """
          churn: { kind: gbdt, objective: binary, target: churn_30_day, trees: 3, leaves: 3, shap_rows: 10, permutation_rows: 50 }
        """)
        let registryPath = (directory as NSString).appendingPathComponent("registry/engage.sqlite")
        let missing = try engage.run(["run", "--config", "cluster.yaml", "--resume", "run-nope"], in: directory)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.output.contains("no registry database"), missing.output)

        let registry = try ModelRegistry(path: registryPath)
        try registry.beginRun(id: "run-old", configSHA256: String(repeating: "0", count: 64), datasetSHA256: "d", startedAt: Date())
        let unknown = try engage.run(["run", "--config", "cluster.yaml", "--resume", "run-nope"], in: directory)
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.output.contains("cannot resume run run-nope: the registry has no such run"), unknown.output)
        let edited = try engage.run(["coordinator", "--config", config, "--resume", "run-old"], in: directory)
        XCTAssertNotEqual(edited.status, 0)
        XCTAssertTrue(edited.output.contains("cannot resume run run-old: the config file's SHA-256 is now"), edited.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("work")), "refused before the data was prepared")
        XCTAssertEqual(try registry.run(id: "run-old")?.resumes, 0)
    }

    /// Starts `engage run` and returns it once the journal shows some, not all, jobs done. A run
    /// that succeeds before that is tried again with twice the rows, three tries in all; a run that
    /// fails, stalls or is still too fast fails the test with its output.
    private func startAndCatchMidRun(_ engage: EngageBinary) throws -> (EngageBinary.Child, directory: String, runID: String, total: Int) {
        var finishedEarly: [String] = []
        for rows in [1500, 3000, 6000] {
            let directory = try makeTemporaryDirectory("resume")
            _ = try smallClusterFile(in: directory, rows: rows, workers: 2, models: Self.models)
            let coordinator = try engage.start(["run", "--config", "cluster.yaml"], in: directory, log: "first.log")
            if let found = waitForSomeDoneJobs(registryPath: (directory as NSString).appendingPathComponent("registry/engage.sqlite"),
                                               coordinator: coordinator) {
                return (coordinator, directory, found.runID, found.total)
            }
            coordinator.kill()
            guard coordinator.waitForExit(timeout: 10), coordinator.process.terminationReason == .exit,
                  coordinator.process.terminationStatus == 0 else {
                throw HarnessError("the run of \(rows) rows failed or stalled before it could be interrupted:\n\(coordinator.output)")
            }
            finishedEarly.append("\(rows) rows")
        }
        throw HarnessError("every run finished before it could be interrupted (\(finishedEarly.joined(separator: ", ")))")
    }

    /// Polls the registry read-only until the run's journal has at least one done job and the
    /// ensemble is not done yet; returns the run id and the number of planned jobs, or nil when
    /// the run ended first or nothing got there within 240 s.
    private func waitForSomeDoneJobs(registryPath: String, coordinator: EngageBinary.Child) -> (runID: String, total: Int)? {
        let deadline = Date().addingTimeInterval(240)
        while Date() < deadline, coordinator.process.isRunning {
            if let registry = try? ModelRegistry.openReadOnly(path: registryPath), let run = try? registry.runs().first,
               let jobs = try? registry.jobs(runID: run.id), let total = plannedJobs(coordinator.output) {
                let done = jobs.filter { $0.status == .done }
                if done.count >= 3, !done.contains(where: { $0.model == "ensemble" }) { return (run.id, total) }
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    private func plannedJobs(_ output: String) -> Int? {
        guard let range = output.range(of: #"listening on \S+, [0-9]+ jobs"#, options: .regularExpression) else { return nil }
        return Int(output[range].split(separator: " ").dropLast().last ?? "")
    }
}

/// Process facts a test reads from outside: whether a pid still runs, which workers a coordinator started.
enum ProcessProbe {
    /// A zombie (exited, not yet reaped by whoever inherited it) counts as gone.
    static func isRunning(_ pid: Int32) -> Bool { CoordinatorProcess.isRunning(pid: Int(pid)) }

    static func workerPIDs(in output: String) -> [Int32] {
        output.components(separatedBy: "\n").compactMap { line in
            guard let range = line.range(of: #"started worker local-[0-9]+ \(pid [0-9]+\)"#, options: .regularExpression) else { return nil }
            return Int32(line[range].split(separator: " ").last?.dropLast() ?? "")
        }
    }
}
