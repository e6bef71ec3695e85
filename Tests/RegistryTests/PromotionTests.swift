import Foundation
import ModelZoo
import Registry
import TestSupport
import XCTest

final class PromotionTests: XCTestCase {
    private let policy = PromotionPolicy(config: PromotionConfig(
        margin: 0.002, gates: ["churn": [MetricThreshold(split: "test", metric: "auc", comparison: .greaterOrEqual, value: 0.80)]]))

    private func refusal(_ expression: @autoclosure () throws -> PromotionDecision,
                         file: StaticString = #filePath, line: UInt = #line) -> PromotionRefused? {
        do {
            let decision = try expression()
            XCTFail("expected a refusal, got \(decision.outcome)", file: file, line: line)
        } catch let refused as PromotionRefused {
            return refused
        } catch {
            XCTFail("expected PromotionRefused, got \(error)", file: file, line: line)
        }
        return nil
    }

    func testABetterFairModelIsAcceptedAndReplacesProduction() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath, actor: "ana@laptop")
        try registry.register(Sample.churn(auc: 0.85))
        try registry.register(Sample.churn(auc: 0.86))

        let first = try registry.promote(model: "churn", version: 1, to: .production, policy: policy)
        XCTAssertEqual(first.outcome, .accepted)
        XCTAssertNil(first.replaced)
        XCTAssertEqual(first.gates.map(\.gate), ["metric test auc >= 0.8", "fairness", "prohibited-features", "beats-production"])
        XCTAssertTrue(first.gates.allSatisfy(\.passed))

        let second = try registry.promote(model: "churn", version: 2, to: .production, policy: policy)
        XCTAssertEqual(second.outcome, .accepted)
        XCTAssertEqual(second.replaced, 1)
        let beats = try XCTUnwrap(second.gates.first { $0.gate == "beats-production" })
        XCTAssertEqual(beats.detail, "test auc 0.86 beats production churn@1 (0.85) by the margin 0.002 (higher is better; difference 0.01)")

        XCTAssertEqual(try registry.version(reference: "churn@production").version, 2)
        XCTAssertEqual(try registry.versions().map(\.stage), [.none, .production])
        let history = try registry.history(model: "churn")
        XCTAssertEqual(history.map(\.action), ["registered", "registered", "promoted", "promoted"])
        XCTAssertEqual(history.last?.actor, "ana@laptop")
        XCTAssertEqual(history.last?.from, "none")
        XCTAssertEqual(history.last?.to, "production")
        XCTAssertTrue(history.last?.detail.contains(#""replaced":1"#) ?? false, history.last?.detail ?? "")
    }

    func testAWorseModelIsRefusedByTheBeatsProductionGate() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.register(Sample.churn(auc: 0.85))
        try registry.register(Sample.churn(auc: 0.851))
        try registry.promote(model: "churn", version: 1, to: .production, policy: policy)

        let refused = try XCTUnwrap(refusal(try registry.promote(model: "churn", version: 2, to: .production, policy: policy)))
        XCTAssertEqual(refused.decision.outcome, .refused)
        XCTAssertEqual(refused.decision.failedGates.map(\.gate), ["beats-production"])
        let text = "\(refused)"
        XCTAssertTrue(text.contains("refused by gate beats-production"), text)
        XCTAssertTrue(text.contains("test auc 0.851 does not beat production churn@1 (0.85) by the margin 0.002"), text)
        XCTAssertTrue(text.contains("--force --reason"), text)

        XCTAssertEqual(try registry.version(reference: "churn@production").version, 1, "a refusal changes nothing")
        let last = try XCTUnwrap(try registry.history(model: "churn").last)
        XCTAssertEqual(last.action, "refused")
        XCTAssertEqual(last.version, 2)
        XCTAssertEqual(last.to, "production")
        XCTAssertEqual(last.id, refused.decision.eventID)
        XCTAssertTrue(last.reason?.contains("[beats-production]") ?? false, last.reason ?? "")
    }

    func testAnUnfairModelIsRefusedByTheFairnessGateWithTheAttributeAndNumbers() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.register(Sample.churn(auc: 0.95, impact: 0.72))

        let refused = try XCTUnwrap(refusal(try registry.promote(model: "churn", version: 1, to: .production, policy: policy)))
        XCTAssertEqual(refused.decision.failedGates.map(\.gate), ["fairness"])
        XCTAssertEqual(refused.decision.failedGates.first?.detail, "disparate impact 0.72 on gender is below 0.8")
        XCTAssertEqual(try registry.version(model: "churn").stage, Stage.none)
        XCTAssertEqual(try registry.history(model: "churn").map(\.action), ["registered", "refused"])
    }

    func testAModelWithoutAFairnessReportIsRefusedUnlessFairnessIsNotRequired() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        var version = Sample.churn(auc: 0.9)
        version.fairness = nil
        try registry.register(version)

        let refused = try XCTUnwrap(refusal(try registry.promote(model: "churn", version: 1, to: .staging, policy: policy)))
        XCTAssertEqual(refused.decision.failedGates.first?.detail, "churn@1 has no fairness report")

        let lenient = PromotionPolicy(config: PromotionConfig(requireFair: false))
        XCTAssertEqual(try registry.promote(model: "churn", version: 1, to: .staging, policy: lenient).outcome, .accepted)
    }

    func testAModelTrainedWithAProhibitedFeatureIsRefused() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.register(Sample.churn(auc: 0.95, prohibited: ["religion"]))
        try registry.register(Sample.churn(auc: 0.95, features: ["days_since_login", "marital_status"]))

        let declared = try XCTUnwrap(refusal(try registry.promote(model: "churn", version: 1, to: .production, policy: policy)))
        XCTAssertEqual(declared.decision.failedGates.map(\.gate), ["prohibited-features"])
        XCTAssertEqual(declared.decision.failedGates.first?.detail, "trained on data with prohibited attribute religion")

        let used = try XCTUnwrap(refusal(try registry.promote(model: "churn", version: 2, to: .staging, policy: policy)))
        XCTAssertEqual(used.decision.failedGates.first?.detail, "trained on data with prohibited attribute marital_status")
    }

    func testTheGateMatchesProhibitedNamesWhateverTheirCase() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.register(Sample.churn(auc: 0.95, features: ["days_since_login", "Race", "Marital-Status"]))

        let refused = try XCTUnwrap(refusal(try registry.promote(model: "churn", version: 1, to: .staging, policy: policy)))
        XCTAssertEqual(refused.decision.failedGates.map(\.gate), ["prohibited-features"])
        XCTAssertEqual(refused.decision.failedGates.first?.detail, "trained on data with prohibited attributes Race, Marital-Status")
    }

    func testAMetricBelowItsThresholdIsRefusedNamingTheThreshold() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.register(Sample.churn(auc: 0.78, impact: 0.5))

        let refused = try XCTUnwrap(refusal(try registry.promote(model: "churn", version: 1, to: .staging, policy: policy)))
        XCTAssertEqual(refused.decision.failedGates.map(\.gate), ["metric test auc >= 0.8", "fairness"])
        XCTAssertEqual(refused.decision.failedGates.first?.detail, "test auc 0.78 is not >= 0.8")
        XCTAssertTrue("\(refused)".contains("refused by gates metric test auc >= 0.8, fairness"), "\(refused)")
    }

    func testForceOverridesFailedGatesOnlyWithAReasonAndIsLogged() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.register(Sample.churn(auc: 0.9))
        try registry.register(Sample.churn(auc: 0.7))
        try registry.promote(model: "churn", version: 1, to: .production, policy: policy)

        assertThrows(try registry.promote(model: "churn", version: 2, to: .production, policy: policy, force: true, reason: "  ")) { error in
            XCTAssertTrue("\(error)".contains("--force needs --reason"), "\(error)")
        }
        let forced = try registry.promote(model: "churn", version: 2, to: .production, policy: policy, force: true,
                                          reason: "incident 42: v1 scores are stale")
        XCTAssertEqual(forced.outcome, .forced)
        XCTAssertEqual(forced.failedGates.map(\.gate), ["metric test auc >= 0.8", "beats-production"])
        XCTAssertEqual(try registry.version(reference: "churn@production").version, 2)

        let last = try XCTUnwrap(try registry.history(model: "churn").last)
        XCTAssertEqual(last.action, "forced")
        XCTAssertEqual(last.reason, "incident 42: v1 scores are stale")
        XCTAssertTrue(last.detail.contains(#""passed":false"#), last.detail)
    }

    func testEveryDecisionIsInHistoryInOrder() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.register(Sample.churn(auc: 0.85))
        try registry.register(Sample.churn(auc: 0.84))
        try registry.register(Sample.churn(auc: 0.88, impact: 0.6))
        try registry.register(Sample.churn(auc: 0.90))

        try registry.promote(model: "churn", version: 1, to: .production, policy: policy)
        XCTAssertThrowsError(try registry.promote(model: "churn", version: 2, to: .production, policy: policy))
        XCTAssertThrowsError(try registry.promote(model: "churn", version: 3, to: .production, policy: policy))
        try registry.promote(model: "churn", version: 4, to: .staging, policy: policy)
        try registry.promote(model: "churn", version: 4, to: .production, policy: policy)
        try registry.promote(model: "churn", version: 2, to: .production, policy: policy, force: true, reason: "drill")

        let decisions = try registry.history(model: "churn").filter { $0.action != "registered" }
        XCTAssertEqual(decisions.map(\.action), ["promoted", "refused", "refused", "promoted", "promoted", "forced"])
        XCTAssertEqual(decisions.map(\.version), [1, 2, 3, 4, 4, 2])
        XCTAssertEqual(decisions.map(\.from), ["none", "none", "none", "none", "staging", "none"])
        XCTAssertEqual(decisions.map(\.to), ["production", "production", "production", "staging", "production", "production"])
        XCTAssertEqual(try registry.versions().map(\.stage), [.none, .production, .none, .none])
    }

    func testStagingIsNotGatedOnProductionAndEachStageHasOneVersion() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.register(Sample.churn(auc: 0.90))
        try registry.register(Sample.churn(auc: 0.85))
        try registry.register(Sample.churn(auc: 0.86))
        try registry.promote(model: "churn", version: 1, to: .production, policy: policy)

        let staged = try registry.promote(model: "churn", version: 2, to: .staging, policy: policy)
        XCTAssertFalse(staged.gates.contains { $0.gate == "beats-production" })
        XCTAssertEqual(try registry.promote(model: "churn", version: 3, to: .staging, policy: policy).replaced, 2)
        XCTAssertEqual(try registry.versions().map(\.stage), [.production, .none, .staging])
        XCTAssertEqual(try registry.version(reference: "churn@staging").version, 3)
    }

    func testPromotionsThatMakeNoSenseAreInvalidRequests() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.register(Sample.churn(auc: 0.9))
        try registry.register(Sample.churn(auc: 0.95))
        try registry.promote(model: "churn", version: 1, to: .production, policy: policy)
        try registry.archive(model: "churn", version: 2)

        let cases: [(() throws -> Void, String)] = [
            ({ try registry.promote(model: "churn", version: 1, to: .production, policy: self.policy) }, "churn@1 is already in production"),
            ({ try registry.promote(model: "churn", version: 1, to: .staging, policy: self.policy) }, "churn@1 is in production"),
            ({ try registry.promote(model: "churn", version: 2, to: .production, policy: self.policy) }, "churn@2 is archived"),
            ({ try registry.promote(model: "churn", version: 1, to: .archived, policy: self.policy) }, "use archive"),
            ({ try registry.promote(model: "churn", version: 9, to: .staging, policy: self.policy) }, "churn@9"),
        ]
        for (attempt, fragment) in cases {
            XCTAssertThrowsError(try attempt()) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(error) should mention \(fragment)")
            }
        }
        XCTAssertEqual(try registry.history(model: "churn").filter { $0.action == "refused" }, [])
    }

    func testQuantileModelsMustLowerPinballLoss() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        func ltv(_ pinball: Double) -> NewVersion {
            var v = Sample.version(model: "lifetime_value", artifact: "ltv \(pinball)")
            v.objective = .quantile
            v.metrics = [MetricValue(split: "test", name: "pinball_p50", value: pinball), MetricValue(split: "test", name: "r2", value: 0.5)]
            v.fairness = Sample.fairness(genderImpact: 0.9)
            return v
        }
        try registry.register(ltv(10.0))
        try registry.register(ltv(10.5))
        try registry.register(ltv(9.0))
        try registry.promote(model: "lifetime_value", version: 1, to: .production, policy: policy)

        let worse = try XCTUnwrap(refusal(try registry.promote(model: "lifetime_value", version: 2, to: .production, policy: policy)))
        XCTAssertEqual(worse.decision.failedGates.first?.detail,
                       "test pinball_p50 10.5 does not beat production lifetime_value@1 (10) by the margin 0.002 (lower is better; difference -0.5)")
        XCTAssertEqual(try registry.promote(model: "lifetime_value", version: 3, to: .production, policy: policy).outcome, .accepted)
    }

    func testThresholdsAreReadAsClusterYamlWritesThem() throws {
        XCTAssertEqual(try MetricThreshold(key: "auc", condition: ">= 0.80"),
                       MetricThreshold(split: "test", metric: "auc", comparison: .greaterOrEqual, value: 0.8))
        XCTAssertEqual(try MetricThreshold(key: "train.logloss", condition: "<0.5"),
                       MetricThreshold(split: "train", metric: "logloss", comparison: .less, value: 0.5))
        for (key, condition, fragment) in [("auc", "0.8", "is not a condition"), ("auc", ">= high", "'high' is not a number"),
                                           ("a.b.c", ">= 1", "is not a metric name"), ("auc", "=> 0.8", "is not a condition"),
                                           ("log_loss", "< 0.5", "'log_loss' is not a metric that jobs report")] {
            XCTAssertThrowsError(try MetricThreshold(key: key, condition: condition)) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(error)")
            }
        }
        XCTAssertThrowsError(try PromotionConfig(margin: -1).validate())
        XCTAssertThrowsError(try PromotionConfig(minDisparateImpact: 1.5).validate())
        XCTAssertNoThrow(try PromotionConfig(margin: 0.002).validate())
    }
}
