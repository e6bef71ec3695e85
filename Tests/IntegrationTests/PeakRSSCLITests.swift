import Foundation
import TestSupport
import XCTest

/// `engage run` prints the peak RSS of the coordinator and of each worker process, which each
/// worker measures of itself and reports over the wire.
final class PeakRSSCLITests: XCTestCase {
    /// The JSON summary `engage run --json` prints after its log lines.
    private func summary(_ output: String) throws -> [String: Any] {
        let lines = output.components(separatedBy: "\n")
        let start = try XCTUnwrap(lines.lastIndex(of: "{"), output)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[start...].joined(separator: "\n").utf8)) as? [String: Any])
    }

    func testTheSummaryCarriesThePeakRSSOfTheCoordinatorAndOfEachWorker() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("peak-rss")
        _ = try smallClusterFile(in: directory, rows: 4000, workers: 2, trees: 40, heartbeatMs: 200)

        let run = try engage.run(["run", "--config", "cluster.yaml", "--json"], in: directory)
        XCTAssertEqual(run.status, 0, run.output)
        let body = try summary(run.output)
        let peak = try XCTUnwrap(body["peakRSS"] as? [String: Any], run.output)
        let coordinator = try XCTUnwrap(peak["coordinator"] as? Int, "\(peak)")
        XCTAssertGreaterThan(coordinator, 4 << 20, "a coordinator that generated and sharded 4,000 rows holds more than 4 MiB")
        XCTAssertLessThan(coordinator, 4 << 30)
        let workers = try XCTUnwrap(peak["workers"] as? [String: Int], "\(peak)")
        XCTAssertEqual(workers.count, 2, "both local workers report: \(workers)")
        let jobWorkers = Set((try XCTUnwrap(body["jobs"] as? [[String: Any]])).compactMap { $0["worker"] as? String })
        XCTAssertTrue(jobWorkers.isSubset(of: Set(workers.keys)), "every worker that ran a job reported its peak: \(jobWorkers) vs \(workers.keys)")
        for (name, bytes) in workers {
            XCTAssertTrue(name.hasPrefix("local-"), name)
            XCTAssertGreaterThan(bytes, 2 << 20, name)
            XCTAssertLessThan(bytes, 4 << 30, name)
        }
        XCTAssertEqual(peak["droppedValues"] as? Int, 0)

        let text = try engage.run(["run", "--config", "cluster.yaml"], in: directory)
        XCTAssertEqual(text.status, 0, text.output)
        let line = try XCTUnwrap(text.output.components(separatedBy: "\n").first { $0.hasPrefix("memory: peak RSS coordinator ") }, text.output)
        XCTAssertEqual(line.components(separatedBy: " MiB").count - 1, 3, "coordinator and two workers, each in MiB: \(line)")
        XCTAssertTrue(line.contains("local-1@"), line)
        XCTAssertTrue(line.contains("local-2@"), line)
    }
}
