import Coordinator
import Registry
import Wire
import XCTest

final class ClusterConfigTests: XCTestCase {
    func testTheShippedClusterFileParses() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("cluster.yaml")
        let config = try ClusterConfig.load(path: url.path)
        XCTAssertEqual(config.data.rows, 100_000)
        XCTAssertEqual(config.models.map(\.name), ["engagement", "churn", "lifetime_value", "anomaly", "recommender", "ensemble"])
        XCTAssertEqual(config.models[3].kind, .anomaly)
        XCTAssertEqual(config.models[3].anomaly.forest.sampleSize, 256)
        XCTAssertEqual(config.models[1].objective, .binary)
        XCTAssertEqual(config.models[2].quantiles, [0.1, 0.5, 0.9])
        XCTAssertEqual(config.localWorkers.count, 2)
        XCTAssertEqual(config.promotion.margin, 0.002)
        XCTAssertTrue(config.promotion.requireFair)
        XCTAssertEqual(config.promotion.gates["churn"], [MetricThreshold(split: "test", metric: "auc", comparison: .greaterOrEqual, value: 0.8)])
    }

    func testThePromotionSectionIsStrictAndNamesFileLineAndKey() throws {
        let config = try ClusterConfig.parse("""
        fairness: { min_disparate_impact: 0.7 }
        promotion: { margin: 0.01, require_fair: false, gates: { churn: { train.logloss: "< 0.5" } } }
        """)
        XCTAssertEqual(config.promotion, PromotionConfig(margin: 0.01, gates: ["churn": [MetricThreshold(split: "train", metric: "logloss", comparison: .less, value: 0.5)]],
                                                         requireFair: false, minDisparateImpact: 0.7))
        XCTAssertEqual(try ClusterConfig.parse("data: { rows: 1000 }").promotion, PromotionConfig())
        let cases: [(String, Int, String, String)] = [
            ("promotion:\n  margin: -1\n", 2, "promotion.margin", "margin must be a finite number"),
            ("promotion:\n  marjin: 0.1\n", 2, "promotion.marjin", "unknown key 'marjin'"),
            ("promotion:\n  gates:\n    churn: { auc: \"about 0.8\" }\n", 3, "promotion.gates.churn.auc", "auc"),
        ]
        for (text, line, keyPath, fragment) in cases {
            XCTAssertThrowsError(try ClusterConfig.parse(text, file: "c.yaml"), text) { error in
                guard let e = error as? ConfigError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.line, line, e.description)
                XCTAssertEqual(e.keyPath, keyPath, e.description)
                XCTAssertTrue(e.description.hasPrefix("c.yaml:\(line):"), e.description)
                XCTAssertTrue(e.description.contains(fragment), e.description)
            }
        }
    }

    func testValuesAreRead() throws {
        let config = try ClusterConfig.parse("""
        cluster:
          coordinator: { bind: "tcp://127.0.0.1:6000", heartbeat_ms: 250, liveness: 3 }
          hosts:
            - { host: localhost, workers: 3, threads: 4 }
        data: { rows: 5000, seed: 7, shards: 4, folds: 2 }
        models:
          churn: { kind: gbdt, objective: binary, target: churn_30_day, trees: 20, leaves: 7 }
          recommender: { kind: ncf, epochs: 3, epoch_steps: 0 }
        """)
        XCTAssertEqual(config.models.last?.recommender.parameters.epochs, 3)
        XCTAssertEqual(config.models.last?.recommender.parameters.epochSteps, 0)
        XCTAssertEqual(config.coordinator.bind, "tcp://127.0.0.1:6000")
        XCTAssertEqual(config.coordinator.heartbeatMs, 250)
        XCTAssertEqual(config.localWorkers.count, 3)
        XCTAssertEqual(config.localWorkers.threads, 4)
        XCTAssertEqual(ClusterConfig.threadsPerLocalWorker(requested: 4, workers: 3, cores: 16), 4)
        XCTAssertEqual(ClusterConfig.threadsPerLocalWorker(requested: 0, workers: 2, cores: 16), 8, "auto shares the cores")
        XCTAssertEqual(ClusterConfig.threadsPerLocalWorker(requested: 0, workers: 3, cores: 2), 1, "never below one thread")
        XCTAssertEqual(config.data.rows, 5000)
        XCTAssertEqual(config.data.seed, 7)
        XCTAssertEqual(config.models.first?.gbdt.trees, 20)
        XCTAssertEqual(config.models.first?.gbdt.leaves, 7)
    }

    func testAMisspeltKeyNamesFileLineKeyAndSuggestion() {
        let text = """
        data:
          rows: 1000
          sead: 4
        """
        XCTAssertThrowsError(try ClusterConfig.parse(text, file: "my.yaml")) { error in
            let e = error as! ConfigError
            XCTAssertEqual(e.file, "my.yaml")
            XCTAssertEqual(e.line, 3)
            XCTAssertEqual(e.keyPath, "data.sead")
            XCTAssertTrue(e.description.contains("unknown key 'sead'"), e.description)
            XCTAssertTrue(e.description.contains("did you mean 'seed'"), e.description)
            XCTAssertTrue(e.description.hasPrefix("my.yaml:3:"), e.description)
        }
    }

    func testAWrongTypeNamesTheKeyAndWhatWasExpected() {
        let text = """
        cluster:
          coordinator:
            heartbeat_ms: soon
        """
        XCTAssertThrowsError(try ClusterConfig.parse(text, file: "c.yaml")) { error in
            let e = error as! ConfigError
            XCTAssertEqual(e.keyPath, "cluster.coordinator.heartbeat_ms")
            XCTAssertEqual(e.line, 3)
            XCTAssertTrue(e.description.contains("expected an integer"), e.description)
            XCTAssertTrue(e.description.contains("'soon'"), e.description)
        }
    }

    /// `curve: true` loads; the key folder is checked when the coordinator starts, naming the missing path.
    func testCurveSecurityNeedsTheKeyFolder() throws {
        let keys = NSTemporaryDirectory() + "engage-config-keys-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let config = try ClusterConfig.parse("""
        cluster:
          security:
            keys: \(keys)
            curve: true
        """, file: "c.yaml")
        XCTAssertTrue(config.security.curve)
        XCTAssertThrowsError(try config.security.coordinatorKeys(file: "c.yaml")) { error in
            let e = error as! ConfigError
            XCTAssertEqual(e.keyPath, "cluster.security.keys")
            XCTAssertTrue(e.description.contains("\(keys) does not exist"), e.description)
            XCTAssertTrue(e.description.contains("engage keys generate"), e.description)
        }
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        XCTAssertThrowsError(try config.security.coordinatorKeys(file: "c.yaml")) { error in
            XCTAssertTrue(String(describing: error).contains("coordinator.key_secret does not exist"), String(describing: error))
        }
        try CurveKeyDirectory(path: keys).generate(workers: ["worker-1"])
        XCTAssertEqual(try config.security.coordinatorKeys(file: "c.yaml")?.path, keys)
        XCTAssertNil(try ClusterConfig.parse("cluster: { security: { curve: false } }").security.coordinatorKeys(file: "c.yaml"))
    }

    func testModelSectionsAreStrict() {
        XCTAssertThrowsError(try ClusterConfig.parse("models:\n  churn: { kind: gbdt, objective: binary, target: y, treez: 5 }\n")) { error in
            XCTAssertEqual((error as! ConfigError).keyPath, "models.churn.treez")
        }
        XCTAssertThrowsError(try ClusterConfig.parse("models:\n  churn: { kind: gbdt, objective: logistic, target: y }\n")) { error in
            XCTAssertTrue(String(describing: error).contains("expected one of regression, binary, quantile"))
        }
        XCTAssertThrowsError(try ClusterConfig.parse("models:\n  churn: { kind: gbdt, objective: binary }\n")) { error in
            XCTAssertEqual((error as! ConfigError).keyPath, "models.churn.target")
        }
        XCTAssertThrowsError(try ClusterConfig.parse("data: { source: csv }\n")) { error in
            XCTAssertEqual((error as! ConfigError).keyPath, "data.path")
        }
    }

    func testInvalidYAMLAndEmptyFilesAreReported() {
        XCTAssertThrowsError(try ClusterConfig.parse("data: [1, 2\n", file: "bad.yaml")) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("bad.yaml"), String(describing: error))
        }
        XCTAssertThrowsError(try ClusterConfig.parse("", file: "empty.yaml"))
        XCTAssertThrowsError(try ClusterConfig.load(path: "/nonexistent/cluster.yaml")) { error in
            XCTAssertTrue(String(describing: error).contains("/nonexistent/cluster.yaml"))
        }
    }
}
