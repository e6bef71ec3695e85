import Foundation
import TestSupport
import XCTest

/// A real small run with `metrics:` and `--events`: the metrics endpoint is scraped while it
/// runs, and the events file and the plain log are read afterwards.
final class LiveProgressTests: XCTestCase {
    func testMetricsEventsAndPlainLogOfARealRun() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("live")
        let config = try smallClusterFile(in: directory, rows: 4000, trees: 40)
        try (try String(contentsOfFile: config, encoding: .utf8) + "\nmetrics: { bind: 127.0.0.1:0 }\n").write(toFile: config, atomically: true, encoding: .utf8)

        let run = try engage.start(["run", "--config", "cluster.yaml", "--events", "events.jsonl"], in: directory, log: "run.log")
        var port: UInt16?
        var scrapes: [String] = []
        let deadline = Date().addingTimeInterval(300)
        while run.process.isRunning, Date() < deadline {
            if port == nil, let range = run.output.range(of: #"metrics on http://127\.0\.0\.1:[0-9]+/metrics"#, options: .regularExpression) {
                port = UInt16(run.output[range].split(separator: ":").last!.split(separator: "/").first!)
            }
            if let port, let body = try? LoopbackHTTP.get(port: port, "/metrics") { scrapes.append(body) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertTrue(run.waitForExit(timeout: 5), run.output)
        XCTAssertEqual(run.process.terminationStatus, 0, run.output)
        let last = try XCTUnwrap(scrapes.last, "no scrape succeeded:\n\(run.output)")

        let events = try String(contentsOfFile: (directory as NSString).appendingPathComponent("events.jsonl"), encoding: .utf8)
        XCTAssertFalse(events.lowercased().contains("nan"))
        let objects = try events.split(separator: "\n").map { try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertTrue(objects.allSatisfy { $0["time"] is String && $0["type"] is String })
        let types = objects.compactMap { $0["type"] as? String }
        let total = try XCTUnwrap(objects.first?["jobs"] as? Int)
        XCTAssertEqual(types.first, "run_started")
        XCTAssertEqual(types.last, "run_finished")
        XCTAssertEqual(types.filter { $0 == "job_done" }.count, total)
        XCTAssertEqual(types.filter { $0 == "job_started" }.count, total)
        XCTAssertEqual(types.filter { $0 == "worker_joined" }.count, 2)
        XCTAssertGreaterThan(types.filter { $0 == "job_progress" }.count, 0)

        func value(_ series: String, in body: String) -> Double? {
            body.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
        }
        XCTAssertEqual(scrapes.compactMap { value("engage_jobs{state=\"done\"}", in: $0) }.max(), Double(total), last)
        XCTAssertEqual(scrapes.compactMap { value("engage_workers_alive", in: $0) }.max(), 2, last)
        XCTAssertEqual(value("engage_jobs{state=\"failed\"}", in: last), 0, last)
        XCTAssertGreaterThan(try XCTUnwrap(value("engage_chunk_bytes_sent_total", in: last), last), 10_000)
        XCTAssertEqual(value("engage_malformed_frames_total", in: last), 0, last)
        XCTAssertEqual(value("engage_refused_handshakes_total", in: last), 0, last)
        XCTAssertEqual(value("engage_registry_latest_version{model=\"churn\"}", in: last), 1, last)
        let churnJobs = objects.filter { $0["type"] as? String == "job_done" && $0["model"] as? String == "churn" }.count
        XCTAssertEqual(value("engage_job_duration_seconds_count{model=\"churn\"}", in: last), Double(churnJobs), last)

        // Off a terminal: one plain line per event, progress at most every 10% per job.
        let output = run.output
        XCTAssertTrue(output.contains("started: \(total) jobs"), output)
        XCTAssertEqual(output.components(separatedBy: " done on ").count - 1, total, output)
        for job in Set(objects.compactMap { $0["job"] as? String }) {
            let progressLines = output.split(separator: "\n").filter { $0.contains(" \(job) ") && $0.contains("% on ") }
            XCTAssertLessThanOrEqual(progressLines.count, 9, progressLines.joined(separator: "\n"))
        }
        XCTAssertTrue(output.contains("new versions"), output)
    }
}
