@testable import Coordinator
import Foundation
import TestSupport
import XCTest

/// The Prometheus series, the loopback-only HTTP endpoint and the `metrics:` section.
final class MetricsTests: XCTestCase {
    func testSeriesFollowTheRunsEventsAndTraffic() {
        let metrics = CoordinatorMetrics()
        metrics.seedVersions(["churn": 4])
        metrics.registeredVersion = { _ in ("churn", 5) }
        metrics.traffic = { CoordinatorMetrics.Traffic(chunkBytesSent: 1000, malformedFrames: 2, refusedHandshakes: 1) }
        let hub = RunEventHub(sinks: [metrics])
        hub.emit(.runStarted("run-1", jobs: 2, alreadyDone: 0))
        hub.emit(.workerJoined("w@h", host: "h", threads: 1))
        hub.emit(.job(.jobStarted, "churn/full", model: "churn", attempt: 1, worker: "w@h"))
        hub.emit(.jobDone("churn/full", model: "churn", attempt: 1, worker: "w@h", seconds: 3, result: "churn@5"))
        hub.tick()
        hub.tick()
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        for line in ["engage_jobs{state=\"done\"} 1.0", "engage_jobs{state=\"waiting\"} 1.0", "engage_workers_alive 1.0",
                     "engage_chunk_bytes_sent_total 1000", "engage_malformed_frames_total 2", "engage_refused_handshakes_total 1",
                     "engage_job_duration_seconds_count{model=\"churn\"} 1", "engage_job_duration_seconds_bucket{model=\"churn\",le=\"5.0\"} 1",
                     "engage_registry_latest_version{model=\"churn\"} 5.0"] {
            XCTAssertTrue(text.contains(line), "missing \(line) in:\n\(text)")
        }
        XCTAssertFalse(text.lowercased().contains("nan"))
    }

    func testTheEndpointServesGETMetricsOnlyAndRefusesOtherHosts() throws {
        let server = try MetricsHTTPServer(bind: "127.0.0.1:0") { Array("engage_up 1\n".utf8) }
        server.start()
        defer { server.stop() }
        XCTAssertTrue(try request(server.boundAddress, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.0 200 OK"))
        XCTAssertTrue(try request(server.boundAddress, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").hasSuffix("\r\n\r\nengage_up 1\n"))
        XCTAssertTrue(try request(server.boundAddress, "GET /other HTTP/1.0\r\n\r\n").hasPrefix("HTTP/1.0 404"))
        XCTAssertTrue(try request(server.boundAddress, "POST /metrics HTTP/1.0\r\n\r\n").hasPrefix("HTTP/1.0 404"))
        XCTAssertTrue(try request(server.boundAddress, "garbage\r\n\r\n").hasPrefix("HTTP/1.0 400"))
        XCTAssertTrue(try request(server.boundAddress, String(repeating: "A", count: 5000) + "\r\n\r\n").hasPrefix("HTTP/1.0 400"))
        for bind in ["0.0.0.0:9464", "10.0.0.5:9464", "*:9464", "127.0.0.1", "localhost:99999"] {
            XCTAssertThrowsError(try MetricsHTTPServer(bind: bind) { [] }, bind)
        }
    }

    func testTheMetricsSectionIsCheckedWhenTheFileIsRead() throws {
        XCTAssertNil(try ClusterConfig.parse("data: { rows: 1000 }").metrics)
        XCTAssertEqual(try ClusterConfig.parse("metrics: { bind: 127.0.0.1:9464 }").metrics, MetricsSettings(bind: "127.0.0.1:9464"))
        XCTAssertThrowsError(try ClusterConfig.parse("metrics: { bind: 0.0.0.0:9464 }")) { error in
            XCTAssertTrue("\(error)".contains("metrics.bind"), "\(error)")
            XCTAssertTrue("\(error)".contains("loopback"), "\(error)")
        }
        XCTAssertThrowsError(try ClusterConfig.parse("metrics: { bind: 127.0.0.1:9464, port: 1 }"))
    }

    private func request(_ address: String, _ text: String) throws -> String {
        try LoopbackHTTP.exchange(port: UInt16(address.split(separator: ":").last!)!, text)
    }
}
