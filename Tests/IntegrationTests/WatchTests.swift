import Dataset
import Foundation
@testable import Registry
import TestSupport
import XCTest

/// `engage watch` on real processes and small data: a clean batch is only logged, a drifted or
/// concept-drifted one retrains, promotion follows the gates, and a watch killed anywhere
/// finishes every batch exactly once when started again.
final class WatchTests: XCTestCase {
    private let models = """
      engagement: { kind: gbdt, objective: regression, target: engagement_score, trees: 8, leaves: 7, shap_rows: 20, permutation_rows: 100 }
      churn:      { kind: gbdt, objective: binary, target: churn_30_day, trees: 8, leaves: 7, shap_rows: 20, permutation_rows: 100 }
    """

    /// A trained cluster (version 1 of both models) with `watch` as its watch: section.
    private func trainedCluster(_ name: String, watch: String, extra: String = "", trees: Int = 8) throws -> (EngageBinary, String) {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory(name)
        let path = try smallClusterFile(in: directory, rows: 3000, models: models.replacingOccurrences(of: "trees: 8", with: "trees: \(trees)"))
        let text = try String(contentsOfFile: path, encoding: .utf8) + "\nwatch: \(watch)\n" + extra
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let trained = try engage.run(["run", "--config", "cluster.yaml"], in: directory)
        XCTAssertEqual(trained.status, 0, trained.output)
        return (engage, directory)
    }

    /// Generates a batch and puts it into the inbox by the write-then-rename rule.
    private func feed(_ engage: EngageBinary, _ directory: String, name: String, seed: Int, drift: [String] = []) throws {
        let out = "gen-\(name)"
        let generated = try engage.run(["generate", "--rows", "500", "--seed", String(seed), "--out", out] + drift.flatMap { ["--drift", $0] }, in: directory)
        XCTAssertEqual(generated.status, 0, generated.output)
        try FileManager.default.createDirectory(atPath: directory + "/inbox", withIntermediateDirectories: true)
        let temporary = directory + "/inbox/.\(name).tmp"
        try FileManager.default.copyItem(atPath: directory + "/\(out)/customers.csv", toPath: temporary)
        try FileManager.default.moveItem(atPath: temporary, toPath: directory + "/inbox/\(name).csv")
    }

    private func decisions(_ output: String) throws -> [[String: Any]] {
        try output.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// Runs `engage watch --once --json` and returns its first decision with everything it printed.
    private func watchOnce(_ engage: EngageBinary, _ directory: String) throws -> (decision: [String: Any], output: String) {
        let watched = try engage.run(["watch", "--config", "cluster.yaml", "--once", "--json"], in: directory)
        XCTAssertEqual(watched.status, 0, watched.output)
        return (try XCTUnwrap(try decisions(watched.output).first, watched.output), watched.output)
    }

    private func registry(_ directory: String) throws -> ModelRegistry {
        try ModelRegistry.openReadOnly(path: directory + "/registry/engage.sqlite")
    }

    func testCleanBatchIsLoggedAsNoDriftWithoutRetraining() throws {
        let (engage, directory) = try trainedCluster("watch-clean", watch: "{ inbox: inbox }")
        try feed(engage, directory, name: "001-clean", seed: 9)
        let watched = try engage.run(["watch", "--config", "cluster.yaml", "--once"], in: directory)
        XCTAssertEqual(watched.status, 0, watched.output)
        XCTAssertTrue(watched.output.contains("001-clean.csv"), watched.output)
        XCTAssertTrue(watched.output.contains("no drift → none"), watched.output)
        let store = try registry(directory)
        XCTAssertEqual(try store.versions().count, 2)
        let batch = try XCTUnwrap(try store.batches().first)
        XCTAssertEqual(batch.status, .done)
        XCTAssertEqual(batch.verdict, "no drift")
        XCTAssertEqual(batch.action, "none")
        XCTAssertNil(batch.runID)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/inbox/done/001-clean.csv"))
        XCTAssertTrue(try store.history(model: "churn").contains { $0.action == "watch" })
        let listed = try engage.run(["registry", "batches", "--json"], in: directory)
        XCTAssertEqual(listed.status, 0, listed.output)
        XCTAssertTrue(listed.output.contains("\"no drift\""), listed.output)
    }

    func testCovariateDriftRetrainsWithLineageAndKeepsTheCandidate() throws {
        let (engage, directory) = try trainedCluster("watch-covariate", watch: "{ inbox: inbox }")
        try feed(engage, directory, name: "001-shifted", seed: 10, drift: ["covariate:*=+1sd"])
        let (decision, _) = try watchOnce(engage, directory)
        XCTAssertEqual(decision["trigger"] as? String, "drift")
        XCTAssertEqual(decision["action"] as? String, "retrained")
        XCTAssertEqual(Set(decision["versions"] as? [String] ?? []), ["churn@2", "engagement@2"])

        let store = try registry(directory)
        let batch = try XCTUnwrap(try store.batches().first)
        for model in ["churn", "engagement"] {
            let version = try store.version(model: model, version: 2)
            XCTAssertEqual(version.runID, batch.runID)
            XCTAssertEqual(version.stage, Stage.none)
            let lineage = try XCTUnwrap(try store.reports(model: model, version: 2)["trigger"])
            let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lineage.utf8)) as? [String: Any])
            XCTAssertEqual(document["trigger"] as? String, "drift")
            XCTAssertEqual(document["batches"] as? [String], [batch.sha256])
            XCTAssertEqual(document["batch_files"] as? [String], ["001-shifted.csv"])
        }
        XCTAssertTrue(try store.history(model: "churn").contains { $0.action == "watch" && $0.version == 2 })

        // The retraining run's report shows the batch's drift: drifted features first, with
        // reference-against-new histograms of the worst ones.
        let drift = try XCTUnwrap(try store.reports(model: "churn", version: 2)[DriftReport.registryName])
        let report = try EngageJSONDecoder().decode(DriftReport.self, from: Data(drift.utf8))
        XCTAssertTrue(report.drifted)
        let flags = report.features.map(\.drifted)
        XCTAssertEqual(flags, flags.sorted { $0 && !$1 }, "drifted features come first")
        let worst = try XCTUnwrap(report.features.filter(\.drifted).max { ($0.psi ?? 0) < ($1.psi ?? 0) })
        let histogram = try XCTUnwrap(worst.histogram)
        XCTAssertEqual(histogram.reference.reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertEqual(histogram.current.reduce(0, +), 1, accuracy: 1e-9)
        let page = try engage.run(["report", try XCTUnwrap(batch.runID), "--config", "cluster.yaml", "--out", "r.html"], in: directory)
        XCTAssertEqual(page.status, 0, page.output)
        let html = try String(contentsOfFile: directory + "/r.html", encoding: .utf8)
        let section = try ReportPageReader.slice(html, from: "<section id=\"drift\">", to: "</section>")
        XCTAssertTrue(section.contains("\(worst.feature): reference against new"), "the worst feature's histogram is drawn")
    }

    func testConceptDriftedLabelledBatchTriggersOnThePerformanceDrop() throws {
        let (engage, directory) = try trainedCluster("watch-concept", watch: "{ inbox: inbox, performance_drop: 0.05 }")
        try feed(engage, directory, name: "001-concept", seed: 12, drift: ["concept"])
        let (decision, output) = try watchOnce(engage, directory)
        XCTAssertEqual(decision["trigger"] as? String, "performance_drop", output)
        XCTAssertEqual(decision["action"] as? String, "retrained")
        let churn = try XCTUnwrap((decision["models"] as? [[String: Any]])?.first { $0["model"] as? String == "churn" })
        XCTAssertEqual(churn["drifted"] as? Bool, false, output)
        XCTAssertEqual(churn["performance_dropped"] as? Bool, true)
        XCTAssertEqual(try registry(directory).versions(model: "churn").count, 2)
    }

    func testAutoPromotionWhenTheGatesPassAndACandidateKeptWhenOneRefuses() throws {
        let (engage, directory) = try trainedCluster("watch-promote", watch: "{ inbox: inbox, promote: { auto: true, margin: 0 } }",
                                                     extra: "promotion: { require_fair: false }\n")
        try feed(engage, directory, name: "001-shifted", seed: 10, drift: ["covariate:*=+1sd"])
        let first = try watchOnce(engage, directory)
        XCTAssertEqual(first.decision["action"] as? String, "promoted", first.output)
        let store = try registry(directory)
        XCTAssertEqual(try store.version(model: "churn", version: 2).stage, .production)
        XCTAssertEqual(try store.version(model: "engagement", version: 2).stage, .production)

        // With production in place the candidate is scored against it on the same test rows.
        try feed(engage, directory, name: "002-shifted", seed: 13, drift: ["covariate:*=-1sd"])
        let (decision, output) = try watchOnce(engage, directory)
        XCTAssertTrue((decision["why"] as? String ?? "").contains("test rows"), output)
        let promoted = decision["action"] as? String == "promoted"
        XCTAssertEqual(try store.versions(model: "churn").filter { $0.stage == .production }.count, 1)
        if !promoted { XCTAssertEqual(try store.version(model: "churn", version: 2).stage, .production) }

        let (gated, refusing) = try trainedCluster("watch-refuse", watch: "{ inbox: inbox, promote: { auto: true } }",
                                                   extra: "promotion: { require_fair: false, gates: { churn: { auc: \">= 0.999\" }, engagement: { r2: \">= 0.999\" } } }\n")
        try feed(gated, refusing, name: "001-shifted", seed: 10, drift: ["covariate:*=+1sd"])
        let (kept, refusedOutput) = try watchOnce(gated, refusing)
        XCTAssertEqual(kept["action"] as? String, "kept")
        XCTAssertTrue((kept["why"] as? String ?? "").contains("auc"), refusedOutput)
        let refusedStore = try registry(refusing)
        XCTAssertEqual(try refusedStore.version(model: "churn", version: 2).stage, Stage.none)
        XCTAssertTrue(try refusedStore.history(model: "churn").contains { $0.action == "refused" })
    }

    func testWatchKilledDuringRetrainingResumesTheRunAndMakesOneVersionPerModel() throws {
        let (engage, directory) = try trainedCluster("watch-kill-run", watch: "{ inbox: inbox }", trees: 60)
        try feed(engage, directory, name: "001-shifted", seed: 10, drift: ["covariate:*=+1sd"])
        let watch = try engage.start(["watch", "--config", "cluster.yaml", "--once"], in: directory, log: "watch-1.log")
        let deadline = Date().addingTimeInterval(120)
        var killedDuringRun = false
        while Date() < deadline, watch.process.isRunning {
            if let store = try? registry(directory), let runID = try? store.batches().first?.runID,
               let run = try? store.run(id: runID), run.status == .running {
                watch.kill(SIGKILL)
                killedDuringRun = true
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertTrue(watch.waitForExit(timeout: 10))
        XCTAssertTrue(killedDuringRun, "the retraining finished before the kill:\n\(watch.output)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/inbox/processing/001-shifted.csv"))

        let again = try engage.run(["watch", "--config", "cluster.yaml", "--once"], in: directory)
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertTrue(again.output.contains("resuming retraining run"), again.output)
        let store = try registry(directory)
        let batch = try XCTUnwrap(try store.batches().first)
        XCTAssertEqual(try store.batches().count, 1)
        XCTAssertEqual(batch.status, .done)
        XCTAssertEqual(batch.action, "retrained")
        XCTAssertEqual(try store.run(id: batch.runID!)?.status, .succeeded)
        XCTAssertEqual(try store.versions(model: "churn").count, 2)
        XCTAssertEqual(try store.versions(model: "engagement").count, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/inbox/done/001-shifted.csv"))

        let third = try engage.run(["watch", "--config", "cluster.yaml", "--once"], in: directory)
        XCTAssertEqual(third.status, 0, third.output)
        XCTAssertEqual(try store.versions().count, 4)
    }

    /// With an empty inbox the schedule retrains on its own timer; a watch killed with SIGKILL
    /// during a slot's retraining and started again resumes that slot's run, so every slot makes
    /// one version per model; `--once` runs a slot that is due.
    func testScheduleRetrainsOnItsOwnTimerAndASlotKilledMidRunMakesOneVersionPerModel() throws {
        let every = 4.0
        let (engage, directory) = try trainedCluster("watch-schedule", watch: "{ inbox: inbox, schedule: every \(Int(every))s }", trees: 30)
        // --poll 600: while the inbox stays empty only the schedule's timer starts a run.
        let arguments = ["watch", "--config", "cluster.yaml", "--poll", "600", "--json"]
        let first = try engage.start(arguments, in: directory, log: "watch-1.log")
        var killed: ScheduleSlot?
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, first.process.isRunning {
            if let store = try? registry(directory), let slot = try? store.scheduleSlots().first,
               let run = try? store.run(id: slot.runID), run.status == .running {
                first.kill(SIGKILL)
                killed = slot
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertTrue(first.waitForExit(timeout: 10))
        let cut = try XCTUnwrap(killed, "no schedule run was caught running:\n\(first.output)")
        XCTAssertEqual(cut.status, .claimed)
        XCTAssertTrue(cut.runID.hasPrefix("watch-schedule-"), cut.runID)

        let second = try engage.start(arguments, in: directory, log: "watch-2.log")
        defer { second.kill(SIGKILL) }
        let until = Date().addingTimeInterval(300)
        while Date() < until, second.process.isRunning, (try? registry(directory).scheduleSlots().filter { $0.status == .done }.count) ?? 0 < 2 {
            Thread.sleep(forTimeInterval: 0.1)
        }
        second.kill(SIGTERM)
        XCTAssertTrue(second.waitForExit(timeout: 180), second.output)
        XCTAssertEqual(second.process.terminationStatus, 0, second.output)
        XCTAssertTrue(second.output.contains("resuming retraining run \(cut.runID)"), second.output)

        let store = try registry(directory)
        let slots = try store.scheduleSlots()
        XCTAssertGreaterThanOrEqual(slots.count, 2, second.output)
        XCTAssertEqual(slots.first?.runID, cut.runID, "the killed slot kept its identity")
        XCTAssertEqual(Set(slots.map(\.runID)).count, slots.count)
        XCTAssertTrue(try store.batches().isEmpty)
        for (earlier, later) in zip(slots, slots.dropFirst()) {
            // The timer fired the next slot `every` seconds after the previous one finished, not earlier.
            let finished = try XCTUnwrap(earlier.finishedAt).timeIntervalSince1970
            XCTAssertEqual(later.dueAt.timeIntervalSince1970, (finished + every).rounded(.up))
        }
        for slot in slots {
            XCTAssertEqual(slot.status, .done, "\(slot)")
            XCTAssertEqual(slot.action, "retrained")
            XCTAssertEqual(try store.run(id: slot.runID)?.status, .succeeded)
            for model in ["churn", "engagement"] {
                let made = try store.versions(model: model).filter { $0.runID == slot.runID }
                XCTAssertEqual(made.count, 1, "\(model) versions of \(slot.runID): \(made.map(\.reference))")
                let lineage = try XCTUnwrap(try store.reports(model: model, version: try XCTUnwrap(made.first).version)["trigger"])
                let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lineage.utf8)) as? [String: Any])
                XCTAssertEqual(document["trigger"] as? String, "schedule")
                XCTAssertNotNil(document["slot"] as? String)
                XCTAssertNil(document["batch"])
            }
        }
        XCTAssertEqual(try store.versions(model: "churn").count, 1 + slots.count, "no slot made a second version")
        let printed = try decisions(first.output + second.output)
        XCTAssertEqual(printed.filter { $0["trigger"] as? String == "schedule" && $0["slot"] != nil }.count, slots.count, second.output)
        XCTAssertTrue(try store.history(model: "churn").contains { $0.action == "watch" && $0.detail.contains(cut.runID) })
        let listed = try engage.run(["registry", "slots", "--json"], in: directory)
        XCTAssertEqual(listed.status, 0, listed.output)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]], listed.output)
        XCTAssertEqual(rows.compactMap { $0["run_id"] as? String }, slots.map(\.runID))

        // --once runs the slot that is due (and waits for none that is not).
        let last = try XCTUnwrap(try store.scheduleSlots().last?.finishedAt)
        Thread.sleep(until: last.addingTimeInterval(every + 1))
        let once = try engage.run(["watch", "--config", "cluster.yaml", "--once", "--json"], in: directory)
        XCTAssertEqual(once.status, 0, once.output)
        let slotDecision = try XCTUnwrap(try decisions(once.output).first, once.output)
        XCTAssertEqual(slotDecision["trigger"] as? String, "schedule")
        XCTAssertEqual(try store.scheduleSlots().count, slots.count + 1)
        XCTAssertEqual(try store.versions(model: "churn").count, 2 + slots.count)
    }

    func testWatchKilledBetweenBatchesLosesNoneAndRepeatsNone() throws {
        let (engage, directory) = try trainedCluster("watch-kill-between", watch: "{ inbox: inbox }")
        for (index, seed) in [21, 22, 23].enumerated() { try feed(engage, directory, name: "00\(index + 1)-clean", seed: seed) }
        let watch = try engage.start(["watch", "--config", "cluster.yaml", "--once"], in: directory, log: "watch-1.log")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, watch.process.isRunning {
            if let store = try? registry(directory), let done = try? store.batches().filter({ $0.status == .done }).count, done >= 1 { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        watch.kill(SIGKILL)
        XCTAssertTrue(watch.waitForExit(timeout: 10))

        let again = try engage.run(["watch", "--config", "cluster.yaml", "--once"], in: directory)
        XCTAssertEqual(again.status, 0, again.output)
        let store = try registry(directory)
        let batches = try store.batches()
        XCTAssertEqual(batches.count, 3, again.output)
        XCTAssertTrue(batches.allSatisfy { $0.status == .done && $0.action == "none" })
        let done = try FileManager.default.contentsOfDirectory(atPath: directory + "/inbox/done").sorted()
        XCTAssertEqual(done, ["001-clean.csv", "002-clean.csv", "003-clean.csv"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/inbox/processing"), [])

        // The same content under another name is recognised by its SHA-256 and not processed again.
        try FileManager.default.copyItem(atPath: directory + "/inbox/done/001-clean.csv", toPath: directory + "/inbox/.again.tmp")
        try FileManager.default.moveItem(atPath: directory + "/inbox/.again.tmp", toPath: directory + "/inbox/004-again.csv")
        let repeated = try engage.run(["watch", "--config", "cluster.yaml", "--once"], in: directory)
        XCTAssertTrue(repeated.output.contains("not processed again"), repeated.output)
        XCTAssertEqual(try store.batches().count, 3)
    }

    func testLongRunningWatchPollsTheInboxAndStopsOnSIGTERM() throws {
        let (engage, directory) = try trainedCluster("watch-loop", watch: "{ inbox: inbox }")
        let watch = try engage.start(["watch", "--config", "cluster.yaml", "--poll", "0.2"], in: directory, log: "watch.log")
        try feed(engage, directory, name: "001-clean", seed: 9)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !FileManager.default.fileExists(atPath: directory + "/inbox/done/001-clean.csv") { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/inbox/done/001-clean.csv"), watch.output)
        watch.kill(SIGTERM)
        XCTAssertTrue(watch.waitForExit(timeout: 10), watch.output)
        XCTAssertEqual(watch.process.terminationStatus, 0, watch.output)
        XCTAssertTrue(watch.output.contains("no drift → none"), watch.output)
    }

    func testWatchWithoutATrainedModelFailsAndLeavesTheBatchWaiting() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("watch-untrained")
        let path = try smallClusterFile(in: directory, rows: 3000, models: models)
        try (try String(contentsOfFile: path, encoding: .utf8) + "\nwatch: { inbox: inbox }\n").write(toFile: path, atomically: true, encoding: .utf8)
        try feed(engage, directory, name: "001-clean", seed: 9)
        let watched = try engage.run(["watch", "--config", "cluster.yaml", "--once"], in: directory)
        XCTAssertEqual(watched.status, 1, watched.output)
        XCTAssertTrue(watched.output.contains("train once with engage run first"), watched.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/inbox/001-clean.csv"))
    }

    func testARunThatSucceededBeforeItsDecisionWasRecordedContinuesAtPromotion() throws {
        let (engage, directory) = try trainedCluster("watch-after-run", watch: "{ inbox: inbox }")
        try feed(engage, directory, name: "001-shifted", seed: 10, drift: ["covariate:*=+1sd"])
        XCTAssertEqual(try engage.run(["watch", "--config", "cluster.yaml", "--once"], in: directory).status, 0)
        // Back to the state of a watch killed after its run succeeded: decision unrecorded, batch in processing/.
        let writable = try ModelRegistry.openExisting(path: directory + "/registry/engage.sqlite")
        try writable.pool.write { db in try db.execute(sql: "UPDATE batches SET status = 'claimed', action = NULL, finished_at = NULL") }
        try FileManager.default.moveItem(atPath: directory + "/inbox/done/001-shifted.csv", toPath: directory + "/inbox/processing/001-shifted.csv")

        let again = try watchOnce(engage, directory)
        XCTAssertEqual(again.decision["action"] as? String, "retrained", again.output)
        XCTAssertFalse(again.output.contains("retraining run"), again.output)
        let store = try registry(directory)
        XCTAssertEqual(try store.versions().count, 4)
        XCTAssertEqual(try store.batches().first?.status, .done)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/inbox/done/001-shifted.csv"))
    }

    /// A free loopback TCP port: bound to port 0, read back, released.
    private func freeLoopbackPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw HarnessError("no free loopback port") }
        return UInt16(bigEndian: address.sin_port)
    }

    func testHandStartedWorkerServesTwoRetrainingRunsWithoutRestarting() throws {
        let (engage, directory) = try trainedCluster("watch-outlive", watch: "{ inbox: inbox }")
        let port = try freeLoopbackPort()
        let path = directory + "/cluster.yaml"
        let remoteOnly = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "{ host: localhost, workers: 2, threads: 1 }", with: "{ host: localhost, workers: 0, threads: 1 }")
        try remoteOnly.write(toFile: path, atomically: true, encoding: .utf8)
        let refused = try engage.run(["watch", "--config", "cluster.yaml", "--once"], in: directory)
        XCTAssertEqual(refused.status, 1, refused.output)
        XCTAssertTrue(refused.output.contains("ephemeral port"), refused.output)
        try remoteOnly.replacingOccurrences(of: "tcp://127.0.0.1:*", with: "tcp://127.0.0.1:\(port)").write(toFile: path, atomically: true, encoding: .utf8)

        let worker = try engage.start(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--id", "hand-1", "--threads", "1",
                                       "--cache", "hand-cache", "--heartbeat-ms", "500"], in: directory, log: "hand-1.log")
        let pid = worker.process.processIdentifier
        let watch = try engage.start(["watch", "--config", "cluster.yaml", "--poll", "0.2", "--json"], in: directory, log: "watch.log")
        defer {
            watch.kill(SIGKILL)
            worker.kill(SIGKILL)
        }
        func waitForDone(_ count: Int) -> Bool {
            let deadline = Date().addingTimeInterval(240)
            while Date() < deadline, watch.process.isRunning {
                if let done = try? registry(directory).batches().filter({ $0.status == .done }).count, done >= count { return true }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return false
        }
        try feed(engage, directory, name: "001-shifted", seed: 10, drift: ["covariate:*=+1sd"])
        XCTAssertTrue(waitForDone(1), watch.output + worker.output)
        XCTAssertTrue(worker.process.isRunning, worker.output)
        try feed(engage, directory, name: "002-shifted", seed: 13, drift: ["covariate:*=-1sd"])
        XCTAssertTrue(waitForDone(2), watch.output + worker.output)
        Thread.sleep(forTimeInterval: 1)
        XCTAssertTrue(worker.process.isRunning, worker.output)
        XCTAssertEqual(worker.process.processIdentifier, pid)

        let store = try registry(directory)
        let batches = try store.batches()
        XCTAssertEqual(batches.count, 2)
        let runs = Set(batches.compactMap(\.runID))
        XCTAssertEqual(runs.count, 2, "\(batches)")
        for batch in batches {
            XCTAssertEqual(batch.action, "retrained", watch.output)
            XCTAssertEqual(try store.run(id: batch.runID ?? "")?.status, .succeeded)
        }
        for model in ["churn", "engagement"] {
            let retrained = try store.versions(model: model).filter { runs.contains($0.runID) }
            XCTAssertEqual(Set(retrained.map(\.runID)), runs, model)
            XCTAssertTrue(retrained.allSatisfy { $0.worker.hasPrefix("hand-1@") }, "\(retrained.map(\.worker))")
        }
        XCTAssertTrue(worker.output.contains("waiting for the next run"), worker.output)

        watch.kill(SIGTERM)
        XCTAssertTrue(watch.waitForExit(timeout: 10), watch.output)
        XCTAssertTrue(worker.process.isRunning, "the worker left with the watch:\n\(worker.output)")
        worker.kill(SIGTERM)
        if !worker.waitForExit(timeout: 5) { worker.kill(SIGKILL) }
        XCTAssertTrue(worker.waitForExit(timeout: 5))
    }
}
