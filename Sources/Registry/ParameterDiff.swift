import Foundation

/// One hyper-parameter that differs between two versions, by its JSON key path
/// (`max_depth`, `objective.alpha`); values are JSON text, nil when absent.
public struct ParameterChange: Codable, Sendable, Equatable {
    public var path: String
    public var base: String?
    public var other: String?

    public init(path: String, base: String?, other: String?) {
        self.path = path
        self.base = base
        self.other = other
    }
}

/// Compares two JSON documents key by key: nested objects are walked, and any
/// other value (numbers, strings, arrays) is compared as canonical JSON text.
enum ParameterDiff {
    static func changes(base: String, other: String) throws -> [ParameterChange] {
        let left = flatten(try parse(base, "base"))
        let right = flatten(try parse(other, "other"))
        return Set(left.keys).union(right.keys).sorted().compactMap { path in
            left[path] == right[path] ? nil : ParameterChange(path: path, base: left[path], other: right[path])
        }
    }

    private static func parse(_ text: String, _ which: String) throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw RegistryError.invalid("the \(which) version's parameters are not valid JSON: \(text.prefix(60))")
        }
    }

    private static func flatten(_ value: Any, prefix: String = "") -> [String: String] {
        guard let object = value as? [String: Any] else { return [prefix.isEmpty ? "$" : prefix: canonical(value)] }
        var result: [String: String] = [:]
        for (key, child) in object {
            let path = prefix.isEmpty ? key : prefix + "." + key
            if let nested = child as? [String: Any], !nested.isEmpty {
                result.merge(flatten(nested, prefix: path)) { a, _ in a }
            } else {
                result[path] = canonical(child)
            }
        }
        return result
    }

    private static func canonical(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]) else {
            return String(describing: value)
        }
        return String(decoding: data, as: UTF8.self)
    }
}
