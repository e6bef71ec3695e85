import Foundation
import Yams

/// Reads one YAML mapping strictly: every key must be known, every value of the expected type.
///
/// Exists because `Decodable` silently ignores misspelt keys; a misspelt key in a cluster
/// file must be an error that names the file, the line and the key.
struct YAMLNodeReader {
    let file: String
    let path: String
    let node: Node
    private let mapping: Node.Mapping

    init(file: String, path: String, node: Node, allowedKeys: [String]) throws {
        self.file = file
        self.path = path
        self.node = node
        guard let mapping = node.mapping else {
            throw YAMLNodeReader.error(file, node, path, "expected a mapping of keys to values, found \(YAMLNodeReader.describe(node))")
        }
        self.mapping = mapping
        for (key, _) in mapping {
            guard let name = key.string else {
                throw YAMLNodeReader.error(file, key, path, "keys must be strings")
            }
            if !allowedKeys.contains(name) {
                let hint = YAMLNodeReader.closest(to: name, in: allowedKeys).map { " (did you mean '\($0)'?)" } ?? ""
                throw YAMLNodeReader.error(file, key, YAMLNodeReader.join(path, name),
                    "unknown key '\(name)'\(hint); expected one of: \(allowedKeys.joined(separator: ", "))")
            }
        }
    }

    static func root(file: String, text: String, allowedKeys: [String]) throws -> YAMLNodeReader {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(file: file, line: nil, column: nil, keyPath: "", message: "not valid YAML: \(error)")
        }
        guard let node else {
            throw ConfigError(file: file, line: nil, column: nil, keyPath: "", message: "the file is empty")
        }
        return try YAMLNodeReader(file: file, path: "", node: node, allowedKeys: allowedKeys)
    }

    var keys: [String] { mapping.compactMap { $0.key.string } }

    func has(_ key: String) -> Bool { mapping[key] != nil }

    func child(_ key: String) -> Node? {
        guard let value = mapping[key], value.null == nil || value.mapping != nil else { return nil }
        return value
    }

    func keyPath(_ key: String) -> String { YAMLNodeReader.join(path, key) }

    func mapping(_ key: String, allowedKeys: [String]) throws -> YAMLNodeReader? {
        guard let value = child(key) else { return nil }
        return try YAMLNodeReader(file: file, path: keyPath(key), node: value, allowedKeys: allowedKeys)
    }

    func string(_ key: String, oneOf choices: [String]? = nil) throws -> String? {
        guard let value = child(key) else { return nil }
        guard let scalar = value.scalar else { throw wrongType(key, value, "a string") }
        if let choices, !choices.contains(scalar.string) {
            throw fail(key, value, "expected one of \(choices.joined(separator: ", ")), found '\(scalar.string)'")
        }
        return scalar.string
    }

    func int(_ key: String, min: Int? = nil) throws -> Int? {
        guard let value = child(key) else { return nil }
        guard let number = value.int else { throw wrongType(key, value, "an integer") }
        if let min, number < min { throw fail(key, value, "expected an integer ≥ \(min), found \(number)") }
        return number
    }

    func double(_ key: String, range: ClosedRange<Double>? = nil) throws -> Double? {
        guard let value = child(key) else { return nil }
        guard let number = value.float ?? value.int.map(Double.init) else { throw wrongType(key, value, "a number") }
        if let range, !range.contains(number) {
            throw fail(key, value, "expected a number in \(range.lowerBound)...\(range.upperBound), found \(number)")
        }
        return number
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = child(key) else { return nil }
        guard let flag = value.bool else { throw wrongType(key, value, "true or false") }
        return flag
    }

    /// An integer or the word `auto` (returned as 0).
    func intOrAuto(_ key: String) throws -> Int? {
        guard let value = child(key) else { return nil }
        if value.string == "auto" { return 0 }
        guard let number = value.int, number >= 1 else { throw wrongType(key, value, "an integer ≥ 1 or 'auto'") }
        return number
    }

    func sequence(_ key: String) throws -> [Node]? {
        guard let value = child(key) else { return nil }
        guard let items = value.sequence else { throw wrongType(key, value, "a list") }
        return Array(items)
    }

    func doubles(_ key: String, range: ClosedRange<Double>? = nil) throws -> [Double]? {
        guard let items = try sequence(key) else { return nil }
        return try items.map { item in
            guard let number = item.float ?? item.int.map(Double.init) else {
                throw YAMLNodeReader.error(file, item, keyPath(key), "expected a list of numbers, found \(YAMLNodeReader.describe(item))")
            }
            if let range, !range.contains(number) {
                throw YAMLNodeReader.error(file, item, keyPath(key), "expected numbers in \(range.lowerBound)...\(range.upperBound), found \(number)")
            }
            return number
        }
    }

    func ints(_ key: String, min: Int) throws -> [Int]? {
        guard let items = try sequence(key) else { return nil }
        return try items.map { item in
            guard let number = item.int, number >= min else {
                throw YAMLNodeReader.error(file, item, keyPath(key), "expected a list of integers ≥ \(min), found \(YAMLNodeReader.describe(item))")
            }
            return number
        }
    }

    func strings(_ key: String) throws -> [String]? {
        guard let items = try sequence(key) else { return nil }
        return try items.map { item in
            guard let scalar = item.scalar else {
                throw YAMLNodeReader.error(file, item, keyPath(key), "expected a list of strings, found \(YAMLNodeReader.describe(item))")
            }
            return scalar.string
        }
    }

    func fail(_ key: String, _ node: Node, _ message: String) -> ConfigError {
        YAMLNodeReader.error(file, node, keyPath(key), message)
    }

    private func wrongType(_ key: String, _ node: Node, _ expected: String) -> ConfigError {
        fail(key, node, "expected \(expected), found \(YAMLNodeReader.describe(node))")
    }

    static func error(_ file: String, _ node: Node, _ path: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node.mark?.line, column: node.mark?.column, keyPath: path, message: message)
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return "'\(scalar.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The allowed key within edit distance 2, to suggest for a typo.
    static func closest(to word: String, in candidates: [String]) -> String? {
        candidates.map { ($0, editDistance(word, $0)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
