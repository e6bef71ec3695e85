import Foundation

/// Which gates a promotion must pass, built from ``PromotionConfig``.
///
/// To staging: the model's metric thresholds, the fairness gate (when
/// `requireFair`) and the prohibited-feature gate. To production: those, and
/// beating the current production version by the margin.
public struct PromotionPolicy: Sendable {
    public let config: PromotionConfig
    /// Whether promotion to production compares the registered test metrics with production's
    /// (`beats-production`). `engage watch` turns it off: it has already scored both versions on
    /// the same held-out rows, which registered metrics from different test splits cannot do.
    public var comparesRegisteredMetrics = true

    public init(config: PromotionConfig = PromotionConfig()) {
        self.config = config
    }

    public func gates(model: String, target: Stage) -> [any PromotionGate] {
        var gates: [any PromotionGate] = (config.gates[model] ?? []).map(MetricThresholdGate.init(threshold:))
        if config.requireFair { gates.append(FairnessGate(minDisparateImpact: config.minDisparateImpact)) }
        gates.append(ProhibitedFeatureGate())
        if target == .production, comparesRegisteredMetrics { gates.append(BeatsProductionGate(margin: config.margin)) }
        return gates
    }

    public func evaluate(_ context: PromotionContext) -> [GateResult] {
        gates(model: context.candidate.model, target: context.target).map { $0.evaluate(context) }
    }
}

/// What a promotion did.
public struct PromotionDecision: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        /// Every gate passed.
        case accepted
        /// A gate failed and `--force --reason` overrode it.
        case forced
        /// A gate failed; nothing changed but the audit log.
        case refused
    }

    public var model: String
    public var version: Int
    public var from: Stage
    public var to: Stage
    public var outcome: Outcome
    public var gates: [GateResult]
    /// The version that held the target stage before and went back to `none`.
    public var replaced: Int?
    public var reason: String?
    /// The audit-log entry that records the decision.
    public var eventID: Int64

    public var failedGates: [GateResult] { gates.filter { !$0.passed } }
}

/// A promotion that a gate refused; the refusal is in the audit log.
public struct PromotionRefused: Error, Equatable, CustomStringConvertible, LocalizedError {
    public var decision: PromotionDecision

    public init(decision: PromotionDecision) { self.decision = decision }

    public var description: String {
        let failed = decision.failedGates
        let names = failed.map(\.gate).joined(separator: ", ")
        return "promotion of \(decision.model)@\(decision.version) to \(decision.to.rawValue) refused by gate\(failed.count == 1 ? "" : "s") \(names): "
            + failed.map { "[\($0.gate)] \($0.detail)" }.joined(separator: "; ")
            + " (override with --force --reason TEXT)"
    }

    public var errorDescription: String? { description }
}
