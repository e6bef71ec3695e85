import Foundation
import ModelZoo

/// What a promotion gate looks at: the candidate with its importance and fairness,
/// the stage it is headed for, and the version now in production.
public struct PromotionContext: Sendable {
    public var candidate: ModelVersion
    public var importance: [ImportanceRecord]
    public var fairness: FairnessRecord?
    public var production: ModelVersion?
    public var target: Stage

    public init(candidate: ModelVersion, importance: [ImportanceRecord], fairness: FairnessRecord?,
                production: ModelVersion?, target: Stage) {
        self.candidate = candidate
        self.importance = importance
        self.fairness = fairness
        self.production = production
        self.target = target
    }
}

/// One gate's verdict, with the numbers that decided it.
public struct GateResult: Codable, Sendable, Equatable {
    /// The gate's name: `metric test.auc >= 0.8`, `fairness`, `prohibited-features`, `beats-production`.
    public var gate: String
    public var passed: Bool
    public var detail: String

    public init(gate: String, passed: Bool, detail: String) {
        self.gate = gate
        self.passed = passed
        self.detail = detail
    }
}

/// One condition a version must meet before it is promoted.
///
/// A protocol because each kind of gate reads different facts (metrics, the fairness
/// report, the training features, the production version); ``PromotionPolicy`` lists
/// which gates apply to a model and stage.
public protocol PromotionGate: Sendable {
    var name: String { get }
    func evaluate(_ context: PromotionContext) -> GateResult
}

/// A metric of the candidate must meet a threshold from `promotion.gates`.
public struct MetricThresholdGate: PromotionGate {
    public let threshold: MetricThreshold

    public init(threshold: MetricThreshold) { self.threshold = threshold }

    public var name: String { "metric \(threshold)" }

    public func evaluate(_ context: PromotionContext) -> GateResult {
        let t = threshold
        guard let value = context.candidate.metric(t.metric, split: t.split), !value.isNaN else {
            return GateResult(gate: name, passed: false,
                              detail: "\(context.candidate.reference) has no \(t.split) \(t.metric) to compare with \(t.comparison.rawValue) \(Format.number(t.value))")
        }
        let passed = t.comparison.holds(value, t.value)
        return GateResult(gate: name, passed: passed,
                          detail: "\(t.split) \(t.metric) \(Format.number(value)) \(passed ? "is" : "is not") \(t.comparison.rawValue) \(Format.number(t.value))")
    }
}

/// The stored fairness report must pass: every sensitive attribute's disparate
/// impact at least `minDisparateImpact` (the four-fifths rule at 0.8).
public struct FairnessGate: PromotionGate {
    public let minDisparateImpact: Double

    public init(minDisparateImpact: Double) { self.minDisparateImpact = minDisparateImpact }

    public var name: String { "fairness" }

    public func evaluate(_ context: PromotionContext) -> GateResult {
        guard let report = context.fairness else {
            return GateResult(gate: name, passed: false, detail: "\(context.candidate.reference) has no fairness report")
        }
        let impacts = report.disparateImpact.sorted { $0.key < $1.key }
        let undefined = impacts.filter { $0.value.isNaN }.map(\.key)
        let below = impacts.filter { !$0.value.isNaN && $0.value < minDisparateImpact }
        if !below.isEmpty || !undefined.isEmpty {
            let parts = below.map { "disparate impact \(Format.number($0.value)) on \($0.key) is below \(Format.number(minDisparateImpact))" }
                + undefined.map { "disparate impact on \($0) is undefined" }
            return GateResult(gate: name, passed: false, detail: parts.joined(separator: "; "))
        }
        if report.verdict == .fail {
            return GateResult(gate: name, passed: false, detail: "the fairness report's verdict is fail")
        }
        let worst = impacts.min { $0.value < $1.value }
        return GateResult(gate: name, passed: true, detail: worst.map {
            "lowest disparate impact \(Format.number($0.value)) (\($0.key)) ≥ \(Format.number(minDisparateImpact))"
        } ?? "verdict pass")
    }
}

/// The candidate must not have been trained on data with a prohibited attribute,
/// whether the registration said so or one of its features is one (as ``ProhibitedAttributes``
/// matches names: `Race` and `marital-status` count).
public struct ProhibitedFeatureGate: PromotionGate {
    public init() {}

    public var name: String { "prohibited-features" }

    public func evaluate(_ context: PromotionContext) -> GateResult {
        var found = context.candidate.prohibitedFeatures
        for (column, _) in ProhibitedAttributes.matches(in: context.importance.map(\.feature)) where !found.contains(column) {
            found.append(column)
        }
        guard found.isEmpty else {
            return GateResult(gate: name, passed: false,
                              detail: "trained on data with prohibited attribute\(found.count == 1 ? "" : "s") \(found.joined(separator: ", "))")
        }
        return GateResult(gate: name, passed: true, detail: "no prohibited attribute in the training data")
    }
}

/// Going to production, the candidate must beat the current production version on
/// the primary test metric by `margin` (in the metric's better direction).
public struct BeatsProductionGate: PromotionGate {
    public let margin: Double

    public init(margin: Double) { self.margin = margin }

    public var name: String { "beats-production" }

    public func evaluate(_ context: PromotionContext) -> GateResult {
        guard let production = context.production else {
            return GateResult(gate: name, passed: true, detail: "no version is in production yet")
        }
        guard let primary = PrimaryMetric.of(context.candidate) else {
            return GateResult(gate: name, passed: false, detail: "\(context.candidate.reference) has no primary test metric (auc, r2 or pinball_p50)")
        }
        guard let candidate = context.candidate.metric(primary.name, split: primary.split), !candidate.isNaN else {
            return GateResult(gate: name, passed: false, detail: "\(context.candidate.reference) has no \(primary.split) \(primary.name)")
        }
        guard let current = production.metric(primary.name, split: primary.split), !current.isNaN else {
            return GateResult(gate: name, passed: true, detail: "production \(production.reference) has no \(primary.split) \(primary.name) to beat")
        }
        let gain = primary.direction.improvement(from: current, to: candidate)
        let passed = gain >= margin
        let verb = passed ? "beats" : "does not beat"
        return GateResult(gate: name, passed: passed, detail: "\(primary.split) \(primary.name) \(Format.number(candidate)) \(verb) production "
            + "\(production.reference) (\(Format.number(current))) by the margin \(Format.number(margin)) (\(primary.direction == .higherIsBetter ? "higher" : "lower") is better; difference \(Format.number(gain)))")
    }
}

/// Numbers in gate messages: enough digits to see why a gate failed.
enum Format {
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }
}
