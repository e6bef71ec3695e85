import Foundation
import GRDB
@testable import Registry
import TestSupport
import XCTest

/// The `list --where` bench of issue 5: 10,000 versions, timed (printed, never asserted).
/// Runs with ENGAGE_LONG_TESTS=1 (`make test-long`).
final class RegistryLongTests: XCTestCase {
    func testWhereOverTenThousandVersions() throws {
        guard ProcessInfo.processInfo.environment["ENGAGE_LONG_TESTS"] == "1" else {
            throw XCTSkip("set ENGAGE_LONG_TESTS=1 to run the 10,000-version --where bench")
        }
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        let versions = try fill(registry, models: ["churn", "engagement", "lifetime_value", "anomaly", "ensemble"], perModel: 2_000)
        XCTAssertEqual(try DirectAccess.rowCount("versions", of: registry), 10_000)

        let expression = "auc > 0.85 and created > 2026-11-01"
        let november = StoredDate.decode("2026-11-02T00:00:00.000Z")!
        let expected = versions.filter { $0.auc > 0.85 && $0.created >= november }.map { "\($0.model)@\($0.version)" }.sorted()
        XCTAssertGreaterThan(expected.count, 500)

        let selective = "auc > 0.97 and created > 2026-12-20 and stage != archived"
        let selectiveCount = versions.filter { $0.auc > 0.97 && $0.created >= StoredDate.decode("2026-12-21T00:00:00.000Z")! }.count

        for (name, run) in [
            ("list --where '\(expression)' (\(expected.count) rows)", { try registry.versions(where: expression).count }),
            ("list --where '\(selective)' (\(selectiveCount) rows)", { try registry.versions(where: selective).count }),
            ("list (all 10,000 rows)", { try registry.versions().count }),
        ] as [(String, () throws -> Int)] {
            var timings: [Double] = []
            for _ in 0..<7 {
                let start = ContinuousClock.now
                _ = try run()
                timings.append((ContinuousClock.now - start).milliseconds)
            }
            timings.sort()
            print(String(format: "registry bench: %@: median %.1f ms, best %.1f ms", name, timings[3], timings[0]))
        }

        let selected = try registry.versions(where: expression).map(\.reference).sorted()
        XCTAssertEqual(selected, expected)
        XCTAssertEqual(try registry.versions(where: selective).count, selectiveCount)

        let plan = try registry.pool.read { db in
            let compiled = WhereCompiler.compile(try WhereExpression.parse(expression))
            return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT v.id FROM versions v WHERE " + compiled.sql,
                                    arguments: StatementArguments(compiled.arguments)).map { $0["detail"] as String }
        }
        print("registry bench: plan: " + plan.joined(separator: " | "))
        XCTAssertTrue(plan.contains { $0.contains("metrics_by_name_value") }, "\(plan)")
    }

    private struct Generated {
        var model: String
        var version: Int
        var auc: Double
        var created: Date
    }

    /// Writes versions straight into the tables in one transaction (registering 10,000
    /// artifacts one fsync at a time would measure the disk, not the query).
    private func fill(_ registry: ModelRegistry, models: [String], perModel: Int) throws -> [Generated] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let first = StoredDate.decode("2026-09-01T00:00:00.000Z")!
        var generated: [Generated] = []
        try registry.pool.write { db in
            for model in models {
                try db.execute(sql: "INSERT INTO models (name, created_at) VALUES (?, ?)", arguments: [model, StoredDate.encode(first)])
                for number in 1...perModel {
                    let created = first.addingTimeInterval(Double(number) / Double(perModel) * 120 * 86_400 + uniform() * 3_600)
                    let auc = 0.6 + 0.4 * uniform()
                    generated.append(Generated(model: model, version: number, auc: auc, created: StoredDate.normalized(created)))
                    try db.execute(sql: """
                        INSERT INTO versions (model, version, run_id, kind, created_at, artifact_sha256, artifact_path, artifact_bytes,
                            dataset_sha256, config_sha256, shard_ids, parameters, code_version, worker, train_seconds, objective, host)
                        VALUES (?, ?, ?, 'gbdt', ?, ?, 'artifacts/00/00', 1, 'd', 'c', '["s1","s2"]', '{"max_depth":6}', '0.2.0', 'w1', 1.5, 'binary', 'h1')
                        """, arguments: [model, number, "run-\(number / 10)", StoredDate.encode(created), String(number)])
                    let id = db.lastInsertedRowID
                    for (split, name, value) in [("test", "auc", auc), ("test", "logloss", 0.5 - auc / 4), ("train", "auc", auc + 0.02),
                                                 ("oof", "auc", auc - 0.01), ("test", "accuracy", 0.5 + auc / 3)] {
                        try db.execute(sql: "INSERT INTO metrics (version_id, split, name, value) VALUES (?, ?, ?, ?)",
                                       arguments: [id, split, name, value])
                    }
                    try db.execute(sql: "INSERT INTO fairness_summaries (version_id, verdict, min_disparate_impact, body) VALUES (?, ?, ?, '{}')",
                                   arguments: [id, auc > 0.7 ? "pass" : "fail", 0.5 + auc / 2])
                    try db.execute(sql: "INSERT INTO events (model, version, action, actor, at, to_value, detail) VALUES (?, ?, 'registered', 'bench', ?, 'none', '{}')",
                                   arguments: [model, number, StoredDate.encode(created)])
                }
                try db.execute(sql: "UPDATE versions SET stage = 'production' WHERE model = ? AND version = ?", arguments: [model, perModel / 2])
                try db.execute(sql: "INSERT INTO aliases (model, alias, version, updated_at) VALUES (?, 'champion', ?, ?)",
                               arguments: [model, perModel - 1, StoredDate.encode(first)])
            }
        }
        return generated
    }
}

private extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15 }
}
