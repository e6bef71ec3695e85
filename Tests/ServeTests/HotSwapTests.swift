import Coordinator
import Dataset
import Foundation
import ModelZoo
import Registry
import Serving
import ServingHTTP
import TestSupport
import XCTest

/// Hot swap under load: concurrent clients keep sending single rows while the production stage
/// moves; no request fails and the answers switch to the new version within 2 s. A version whose
/// artifact does not load is refused and the old one keeps answering.
final class HotSwapTests: XCTestCase {
    private struct Answer {
        let started: Date
        let status: Int
        let version: String?
    }

    private final class Answers: @unchecked Sendable {
        private let lock = NSLock()
        private var answers: [Answer] = []
        func add(_ answer: Answer) { lock.withLock { answers.append(answer) } }
        var all: [Answer] { lock.withLock { answers } }
        var count: Int { lock.withLock { answers.count } }
        private var promoted: Date?
        var promotedAt: Date? {
            get { lock.withLock { promoted } }
            set { lock.withLock { promoted = newValue } }
        }
    }

    func testPromotionUnderLoadSwapsWithinTwoSecondsWithoutAFailedRequest() async throws {
        let fixture = try ServeFixture.shared()
        let registry = try fixture.registry()
        try registry.promote(model: "churn", version: 1, to: .production, policy: PromotionPolicy(), force: true, reason: "hot swap test: start")
        let catalog = try ModelCatalog(registry: registry, references: [try VersionReference(parsing: "churn@production")])
        var settings = ServeSettings(bind: try ServeBind(parsing: "127.0.0.1:0"), pollInterval: .milliseconds(200), logSampleRate: 0)
        settings.batch = FlushPolicy(maxRows: 16, maxWait: .microseconds(500))
        let server = try await RunningServer(catalog: catalog, settings: settings)
        let body = try JSONSerialization.data(withJSONObject: ["instances": [InferenceServerTests.json(try fixture.records(rows: 0..<1)[0])]])
        let answers = Answers()
        let total = 600, clients = 6
        let deadline = Date().addingTimeInterval(120)

        func load(until stop: @escaping @Sendable () -> Bool) async {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<clients {
                    group.addTask {
                        while !stop(), Date() < deadline {
                            let started = Date()
                            do {
                                let reply = try await HTTPClient.send("POST", server.url("/v1/models/churn@production:predict"), body: body)
                                answers.add(Answer(started: started, status: reply.status, version: reply.json["model_version"] as? String))
                            } catch {
                                answers.add(Answer(started: started, status: -1, version: nil))
                            }
                        }
                    }
                }
            }
        }

        let promoter = Task {
            while answers.count < total / 3, Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
            let promoted = Date()
            try registry.promote(model: "churn", version: 2, to: .production, policy: PromotionPolicy(), force: true, reason: "hot swap test: new version")
            answers.promotedAt = promoted
            return promoted
        }
        // At least `total` requests, and the load runs on for 3 s after the promotion.
        await load { answers.count >= total && (answers.promotedAt.map { Date() > $0.addingTimeInterval(3) } ?? false) }
        let promotedAt = try await promoter.value
        let all = answers.all
        XCTAssertGreaterThanOrEqual(all.count, total)
        XCTAssertEqual(all.filter { $0.status != 200 }.count, 0, "failed requests: \(all.filter { $0.status != 200 }.prefix(3).map(\.status))")
        XCTAssertTrue(all.contains { $0.version == "1" }, "version 1 answered before the promotion")
        let late = all.filter { $0.started > promotedAt.addingTimeInterval(2) }
        XCTAssertFalse(late.isEmpty, "the load must run past 2 s after the promotion")
        XCTAssertEqual(late.filter { $0.version != "2" }.count, 0, "requests started 2 s after the promotion must be answered by version 2")
        let firstNew = try XCTUnwrap(all.filter { $0.version == "2" }.map(\.started).min())
        XCTAssertLessThan(firstNew.timeIntervalSince(promotedAt), 2)

        // A new version whose artifact is damaged (truncated): refused, version 2 keeps answering.
        let good = try registry.artifact(model: "churn", version: 2)
        let two = try registry.version(model: "churn", version: 2)
        let broken = try registry.register(NewVersion(model: "churn", runID: "broken-artifact", kind: .gbdt, artifact: good.prefix(good.count / 2),
                                                      datasetSHA256: two.datasetSHA256, configSHA256: two.configSHA256, shardIDs: two.shardIDs,
                                                      codeVersion: two.codeVersion, worker: "test", trainSeconds: 0, objective: .binary))
        try registry.promote(model: "churn", version: broken.version, to: .production, policy: PromotionPolicy(), force: true, reason: "hot swap test: broken artifact")
        let brokenDeadline = Date().addingTimeInterval(1.5)
        let before = answers.count
        await load { Date() > brokenDeadline }
        let afterBroken = answers.all.dropFirst(before)
        XCTAssertFalse(afterBroken.isEmpty)
        XCTAssertEqual(afterBroken.filter { $0.status != 200 || $0.version != "2" }.count, 0)
        let metrics = try await HTTPClient.send("GET", server.url("/metrics"))
        XCTAssertTrue(metrics.text.contains(#"engage_serve_swap_failures_total{model="churn"} 1"#), metrics.text)
        XCTAssertTrue(metrics.text.contains(#"engage_serve_swaps_total{model="churn"} 1"#), metrics.text)
        await server.stop()
        try registry.promote(model: "churn", version: 2, to: .production, policy: PromotionPolicy(), force: true, reason: "hot swap test: restore")
    }

    /// Single rows scored in batches answer exactly what each row scored alone answers.
    func testBatchedSingleRowsAnswerAsUnbatched() async throws {
        let fixture = try ServeFixture.shared()
        let registry = try fixture.registry()
        let model = try LoadedModel.load(try registry.version(reference: "engagement@1"), from: registry)
        let batcher = MicroBatcher(policy: FlushPolicy(maxRows: 8, maxWait: .milliseconds(20)))
        let records = try fixture.records(rows: 0..<24)
        var bad = records[3]
        bad[model.inputs.first { !$0.categorical }!.name] = .text("not a number")
        let rows = try records.enumerated().map { try FeatureRows(records: [$0.offset == 3 ? bad : $0.element]) }
        let results = await withTaskGroup(of: (Int, Result<ScoredRows, any Error>).self) { group in
            for (i, row) in rows.enumerated() {
                group.addTask { (i, await Result(catching: { try await batcher.score(row, with: model) })) }
            }
            var out: [Int: Result<ScoredRows, any Error>] = [:]
            for await (i, result) in group { out[i] = result }
            return out
        }
        for (i, row) in rows.enumerated() {
            if i == 3 {
                XCTAssertThrowsError(try results[i]!.get(), "the mistyped row fails alone")
                continue
            }
            XCTAssertEqual(try results[i]!.get(), try model.score(row), "row \(i)")
        }
    }

    func testServeSectionIsReadStrictly() throws {
        let base = "registry: { path: r.sqlite }\n"
        let config = try ClusterConfig.parse(base + """
            serve:
              models: [churn@production]
              bind: 127.0.0.1:9000
              batch: { max_rows: 8, max_wait_ms: 2 }
              poll_ms: 100
              log_sample: 0.5
            """)
        XCTAssertEqual(config.serve?.models, ["churn@production"])
        XCTAssertEqual(config.serve?.batchMaxRows, 8)
        XCTAssertEqual(config.serve?.batchMaxWaitMilliseconds, 2)
        XCTAssertEqual(config.serve?.pollMilliseconds, 100)
        XCTAssertEqual(config.serve?.logSample, 0.5)
        XCTAssertThrowsError(try ClusterConfig.parse(base + "serve: { batch_size: 3 }")) { XCTAssertTrue("\($0)".contains("batch_size"), "\($0)") }
        XCTAssertThrowsError(try ClusterConfig.parse(base + "serve: { poll_ms: 900 }")) { XCTAssertTrue("\($0)".contains("at most 500"), "\($0)") }
        XCTAssertThrowsError(try ClusterConfig.parse(base + "serve: { log_sample: 2 }"))
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
