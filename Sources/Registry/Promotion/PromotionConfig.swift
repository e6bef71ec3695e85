import Foundation
import ModelZoo

/// The promotion gates of `cluster.yaml`'s `promotion:` section:
///
/// ```yaml
/// promotion:
///   margin: 0.002              # beat production's primary test metric by this much
///   require_fair: true         # a fairness report with disparate impact ≥ min_disparate_impact
///   min_disparate_impact: 0.8
///   gates:
///     churn: { auc: ">= 0.80", train.logloss: "< 0.5" }
///     engagement: { r2: ">= 0.75" }
/// ```
///
/// Exists as plain data so that the coordinator's YAML reader fills it and the
/// registry's ``PromotionPolicy`` turns it into gates; neither knows the other.
public struct PromotionConfig: Sendable, Equatable {
    /// How much better than production the candidate's primary metric must be (direction-aware).
    public var margin: Double
    /// Metric thresholds per model.
    public var gates: [String: [MetricThreshold]]
    /// Whether a fairness report that passes is required.
    public var requireFair: Bool
    /// The four-fifths line: every sensitive attribute's disparate impact must reach it.
    public var minDisparateImpact: Double

    public init(margin: Double = 0, gates: [String: [MetricThreshold]] = [:], requireFair: Bool = true,
                minDisparateImpact: Double = 0.8) {
        self.margin = margin
        self.gates = gates
        self.requireFair = requireFair
        self.minDisparateImpact = minDisparateImpact
    }

    /// Checks the numbers; the YAML reader adds the file, line and key to the message.
    public func validate() throws {
        guard margin.isFinite, margin >= 0 else { throw PromotionConfigError("margin must be a finite number ≥ 0, not \(margin)") }
        guard minDisparateImpact.isFinite, (0...1).contains(minDisparateImpact) else {
            throw PromotionConfigError("min_disparate_impact must be between 0 and 1, not \(minDisparateImpact)")
        }
    }
}

/// One metric threshold of a promotion gate, such as `auc >= 0.80` on the test split.
public struct MetricThreshold: Sendable, Equatable, CustomStringConvertible {
    public enum Comparison: String, Sendable, CaseIterable {
        case greaterOrEqual = ">=", greater = ">", lessOrEqual = "<=", less = "<"

        public func holds(_ value: Double, _ threshold: Double) -> Bool {
            switch self {
            case .greaterOrEqual: return value >= threshold
            case .greater: return value > threshold
            case .lessOrEqual: return value <= threshold
            case .less: return value < threshold
            }
        }
    }

    public var split: String
    public var metric: String
    public var comparison: Comparison
    public var value: Double

    public init(split: String = "test", metric: String, comparison: Comparison, value: Double) {
        self.split = split
        self.metric = metric
        self.comparison = comparison
        self.value = value
    }

    /// Reads a gate as `cluster.yaml` writes it: the key `auc` or `train.auc`, the condition `">= 0.80"`.
    public init(key: String, condition: String) throws {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw PromotionConfigError("'\(key)' is not a metric name; write auc or train.auc")
        }
        (split, metric) = parts.count == 2 ? (parts[0], parts[1]) : ("test", parts[0])
        guard MetricDefinition.of(metric) != nil else {
            throw PromotionConfigError(MetricDefinition.unknown(metric))
        }
        let trimmed = condition.trimmingCharacters(in: .whitespaces)
        guard let found = Comparison.allCases.first(where: { trimmed.hasPrefix($0.rawValue) }) else {
            throw PromotionConfigError("'\(condition)' for \(key) is not a condition; write a comparison and a number such as \">= 0.80\"")
        }
        let number = trimmed.dropFirst(found.rawValue.count).trimmingCharacters(in: .whitespaces)
        guard let value = Double(number), value.isFinite else {
            throw PromotionConfigError("'\(condition)' for \(key): '\(number)' is not a number")
        }
        comparison = found
        self.value = value
    }

    public var description: String { "\(split) \(metric) \(comparison.rawValue) \(value)" }
}

/// A `promotion:` setting that cannot be used.
public struct PromotionConfigError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
