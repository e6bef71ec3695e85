import Dataset
import Foundation
import Registry
import Serving
import ServingHTTP
import TestSupport
import XCTest

/// Served traffic into drift: rows sent through the real HTTP server land in the request log, and
/// `engage drift --served` compares them with the answering version's stored profile.
final class ServedDriftTests: XCTestCase {
    /// 600 customers from the generator the models were trained on, as request records; and the
    /// same customers with every numeric feature shifted.
    private func traffic(in directory: String, engage: EngageBinary) throws -> (clean: [[String: Any]], shifted: [[String: Any]]) {
        let generated = try engage.run(["generate", "--rows", "600", "--seed", "11", "--out", "traffic"], in: directory)
        guard generated.status == 0 else { throw HarnessError("engage generate failed:\n\(generated.output)") }
        let table = try CSV.read(path: (directory as NSString).appendingPathComponent("traffic/customers.csv"))
        var clean: [[String: Any]] = [], shifted: [[String: Any]] = []
        for row in 0..<table.rowCount {
            var plain: [String: Any] = [:], moved: [String: Any] = [:]
            for (name, column) in zip(table.names, table.columns) {
                switch column {
                case .numeric(let values):
                    plain[name] = values[row].isFinite ? values[row] : NSNull()
                    moved[name] = values[row].isFinite ? values[row] * 3 + 50 : NSNull()
                case .categorical(let codes, let levels):
                    let value: Any = codes[row] < 0 ? NSNull() : levels[Int(codes[row])]
                    plain[name] = value
                    moved[name] = value
                }
            }
            clean.append(plain)
            shifted.append(moved)
        }
        return (clean, shifted)
    }

    private func drift(_ reference: String, _ fixture: ServeFixture, _ extra: [String] = []) throws -> (status: Int32, json: [String: Any], output: String) {
        let run = try fixture.engage.run(["drift", "--served", reference, "--registry", fixture.registryPath, "--json"] + extra, in: fixture.directory, timeout: 120)
        let start = run.output.firstIndex(of: "{")
        let json = start.flatMap { try? JSONSerialization.jsonObject(with: Data(run.output[$0...].utf8)) as? [String: Any] } ?? [:]
        return (run.status, json, run.output)
    }

    func testDriftedServedRowsAreReportedAndCleanOnesAreNot() async throws {
        let fixture = try ServeFixture.shared()
        let directory = try makeTemporaryDirectory("served-drift")
        let (clean, shifted) = try traffic(in: directory, engage: fixture.engage)
        let catalog = try ModelCatalog(registry: try fixture.registry(), references: [try VersionReference(parsing: "churn@1")])
        var settings = ServeSettings(bind: try ServeBind(parsing: "127.0.0.1:0"), logSampleRate: 1)
        settings.logFlushInterval = .milliseconds(50)
        let server = try await RunningServer(catalog: catalog, settings: settings)
        for start in stride(from: 0, to: clean.count, by: 20) {
            let cleanReply = try await HTTPClient.send("POST", server.url("/v1/models/churn@1:predict"), json: ["instances": Array(clean[start..<start + 20])])
            XCTAssertEqual(cleanReply.status, 200, cleanReply.text)
            let shiftedReply = try await HTTPClient.send("POST", server.url("/v1/models/churn@2:predict"), json: ["instances": Array(shifted[start..<start + 20])])
            XCTAssertEqual(shiftedReply.status, 200, shiftedReply.text)
        }
        await server.stop()

        let calm = try drift("churn@1", fixture)
        XCTAssertEqual(calm.status, 0, calm.output)
        XCTAssertEqual(calm.json["drifted"] as? Bool, false, calm.output)
        XCTAssertEqual(calm.json["current_rows"] as? Int, clean.count, "every served row of churn@1 was logged and compared")
        XCTAssertTrue((calm.json["data"] as? String)?.contains("requests served by churn@1") ?? false, calm.output)

        let newest = try drift("churn@1", fixture, ["--served-limit", "5"])
        XCTAssertEqual(newest.json["current_rows"] as? Int, 100, "the newest 5 requests of 20 rows: \(newest.output)")

        let moved = try drift("churn@2", fixture)
        XCTAssertEqual(moved.status, 1, moved.output)
        XCTAssertEqual(moved.json["drifted"] as? Bool, true, moved.output)
        XCTAssertEqual(moved.json["current_rows"] as? Int, shifted.count)
        let features = try XCTUnwrap(moved.json["features"] as? [[String: Any]])
        XCTAssertGreaterThan(features.filter { $0["drifted"] as? Bool == true }.count, features.count / 2, moved.output)
        XCTAssertNotNil(moved.json["prediction_drift"], "the version's outputs on the served rows are compared too")

        let none = try drift("engagement@2", fixture)
        XCTAssertEqual(none.status, 2, none.output)
        XCTAssertTrue(none.output.contains("no served requests logged"), none.output)
        let mixed = try fixture.engage.run(["drift", "--served", "churn@1", "--data", "x.csv", "--registry", fixture.registryPath], in: fixture.directory)
        XCTAssertEqual(mixed.status, 2)
        XCTAssertTrue(mixed.output.contains("without --data"), mixed.output)
        let stray = try fixture.engage.run(["drift", "--against", "churn@1", "--data", fixture.customersPath, "--served-limit", "5", "--registry", fixture.registryPath],
                                           in: fixture.directory)
        XCTAssertEqual(stray.status, 2)
        XCTAssertTrue(stray.output.contains("--served-limit"), stray.output)
    }

    /// SIGTERM stops `engage serve` by a graceful shutdown: exit 0, nothing logged at error level.
    func testStoppingServeIsQuiet() async throws {
        let fixture = try ServeFixture.shared()
        let child = try fixture.engage.start(["serve", "--registry", fixture.registryPath, "--model", "churn@1", "--bind", "127.0.0.1:0", "--log-sample", "0"],
                                             in: fixture.directory, log: "serve-quiet.log")
        let deadline = Date().addingTimeInterval(60)
        while !child.output.contains("listening on http://"), child.process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let port = try XCTUnwrap(child.output.split(separator: "\n").first { $0.hasPrefix("listening on http://") }?.split(separator: ":").last.flatMap { Int($0) },
                                 child.output)
        let reply = try await HTTPClient.send("GET", URL(string: "http://127.0.0.1:\(port)/v2/models/churn")!)
        XCTAssertEqual(reply.status, 200, "a keep-alive connection is open when the server stops")
        child.kill(SIGTERM)
        XCTAssertTrue(child.waitForExit(timeout: 20), "engage serve did not stop on SIGTERM")
        XCTAssertEqual(child.process.terminationStatus, 0, child.output)
        XCTAssertFalse(child.output.contains(" error "), child.output)
        XCTAssertFalse(child.output.contains("CancellationError"), child.output)
    }
}
