import Foundation
import Registry
import Yams

/// Reads `promotion:` (and `fairness.min_disparate_impact`) into ``PromotionConfig``, with
/// errors that name the file, line, column and key; without the section the defaults apply
/// (fairness required at 0.8, margin 0, no thresholds).
extension ClusterConfig {
    static func readPromotion(_ root: Node.Mapping, file: String) throws -> PromotionConfig {
        var config = PromotionConfig()
        if let fairness = root["fairness"]?.mapping, let node = fairness["min_disparate_impact"] {
            config.minDisparateImpact = try number(node, file, "fairness.min_disparate_impact")
            try check(config, node, file, "fairness.min_disparate_impact")
        }
        guard let section = root["promotion"], section.null == nil else { return config }
        guard let promotion = section.mapping else {
            throw YAMLNodeReader.error(file, section, "promotion", "expected a mapping such as { margin: 0.002, gates: { churn: { auc: \">= 0.80\" } } }")
        }
        let allowed = ["margin", "gates", "require_fair", "min_disparate_impact"]
        for (key, value) in promotion {
            let name = key.string ?? ""
            let keyPath = "promotion." + name
            switch name {
            case "margin":
                config.margin = try number(value, file, keyPath)
                try check(config, value, file, keyPath)
            case "require_fair":
                guard let flag = value.bool else { throw YAMLNodeReader.error(file, value, keyPath, "expected true or false") }
                config.requireFair = flag
            case "min_disparate_impact":
                config.minDisparateImpact = try number(value, file, keyPath)
                try check(config, value, file, keyPath)
            case "gates":
                guard let models = value.mapping else { throw YAMLNodeReader.error(file, value, keyPath, "expected a mapping of model names to metric conditions") }
                for (modelKey, rules) in models {
                    let model = modelKey.string ?? ""
                    guard let rules = rules.mapping else {
                        throw YAMLNodeReader.error(file, rules, "\(keyPath).\(model)", "expected a mapping such as { auc: \">= 0.80\" }")
                    }
                    config.gates[model] = try rules.map { metricKey, condition in
                        let metric = metricKey.string ?? ""
                        do {
                            return try MetricThreshold(key: metric, condition: condition.string ?? "")
                        } catch let problem as PromotionConfigError {
                            throw YAMLNodeReader.error(file, condition, "\(keyPath).\(model).\(metric)", problem.message)
                        }
                    }
                }
            default:
                throw YAMLNodeReader.error(file, key, keyPath, "unknown key '\(name)'; expected one of: \(allowed.joined(separator: ", "))")
            }
        }
        return config
    }

    /// Validates the numbers read so far, blaming `node` for a bad one.
    private static func check(_ config: PromotionConfig, _ node: Node, _ file: String, _ keyPath: String) throws {
        do {
            try config.validate()
        } catch let problem as PromotionConfigError {
            throw YAMLNodeReader.error(file, node, keyPath, problem.message)
        }
    }

    private static func number(_ node: Node, _ file: String, _ keyPath: String) throws -> Double {
        guard let value = node.float ?? node.int.map(Double.init) else {
            throw YAMLNodeReader.error(file, node, keyPath, "expected a number, found '\(node.string ?? "a collection")'")
        }
        return value
    }
}
