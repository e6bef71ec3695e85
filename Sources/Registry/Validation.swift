import Dataset
import Foundation

/// Checks a ``NewVersion`` before anything is written, so that a bad request is
/// refused with a reason instead of an SQLite constraint message.
enum Validation {
    static func check(_ v: NewVersion) throws {
        try modelName(v.model)
        try nonEmpty(v.runID, "run id")
        guard v.trainSeconds.isFinite, v.trainSeconds >= 0 else {
            throw RegistryError.invalid("\(v.model): trainSeconds must be a finite, non-negative number, not \(v.trainSeconds)")
        }
        guard JSON.isValid(v.parameters) else {
            throw RegistryError.invalid("\(v.model): parameters are not valid JSON: \(excerpt(v.parameters))")
        }

        var seenMetrics = Set<String>()
        for metric in v.metrics {
            try nonEmpty(metric.split, "metric split")
            try nonEmpty(metric.name, "metric name")
            guard seenMetrics.insert(metric.split + "\u{0}" + metric.name).inserted else {
                throw RegistryError.invalid("\(v.model): metric \(metric.split)/\(metric.name) is given twice")
            }
        }

        var seenFeatures = Set<String>()
        for item in v.importance {
            try nonEmpty(item.feature, "importance feature")
            guard seenFeatures.insert(item.feature).inserted else {
                throw RegistryError.invalid("\(v.model): importance for feature '\(item.feature)' is given twice")
            }
            guard item.splits >= 0 else {
                throw RegistryError.invalid("\(v.model): feature '\(item.feature)' has a negative split count \(item.splits)")
            }
        }

        if let started = v.startedAt, let finished = v.finishedAt, finished < started {
            throw RegistryError.invalid("\(v.model): training finished (\(StoredDate.encode(finished))) before it started (\(StoredDate.encode(started)))")
        }
        for feature in v.prohibitedFeatures { try nonEmpty(feature, "prohibited feature") }
        if let fairness = v.fairness { try check(fairness, model: v.model) }

        for (name, body) in v.reports {
            try nonEmpty(name, "report name")
            guard JSON.isValid(body) else {
                throw RegistryError.invalid("\(v.model): report '\(name)' is not valid JSON: \(excerpt(body))")
            }
        }
    }

    private static func check(_ fairness: FairnessRecord, model: String) throws {
        guard JSON.isValid(fairness.body) else {
            throw RegistryError.invalid("\(model): the fairness report body is not valid JSON: \(excerpt(fairness.body))")
        }
        var seen = Set<String>()
        for measure in fairness.measures {
            try nonEmpty(measure.attribute, "fairness attribute")
            try nonEmpty(measure.metric, "fairness metric")
            if measure.group == "" {
                throw RegistryError.invalid("\(model): fairness group names must not be empty (use nil for attribute-level \(measure.metric))")
            }
            let key = [measure.attribute, measure.group ?? "", measure.metric].joined(separator: "\u{0}")
            guard seen.insert(key).inserted else {
                throw RegistryError.invalid("\(model): fairness \(measure.attribute)/\(measure.group ?? "*")/\(measure.metric) is given twice")
            }
        }
    }

    /// Model names appear in paths, URLs and `model@version` references.
    static func modelName(_ name: String) throws {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
        guard !name.isEmpty, name.utf8.count <= 128, allowed, name.first != "." else {
            throw RegistryError.invalid("model name '\(name)' must be 1–128 letters, digits, '_', '-' or '.', not starting with '.'")
        }
    }

    static func nonEmpty(_ value: String, _ what: String) throws {
        if value.isEmpty { throw RegistryError.invalid("\(what) must not be empty") }
    }

    private static func excerpt(_ text: String) -> String {
        text.count <= 60 ? "'\(text)'" : "'\(text.prefix(60))…'"
    }
}

/// JSON text helpers for the columns that hold JSON.
enum JSON {
    static func isValid(_ text: String) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
    }

    static func text<T: Encodable>(_ value: T) throws -> String {
        let encoder = EngageJSONEncoder([.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String, column: String) throws -> T {
        do {
            return try EngageJSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw RegistryError.invalid("malformed JSON in \(column): \(text.prefix(60))")
        }
    }
}
