import Foundation

/// Any JSON value, as a request body holds it before it is checked field by field.
///
/// Exists because the protocol's tensors mix numbers, strings, booleans and nulls in nested
/// arrays, and a clear error has to name the field that is wrong rather than report a
/// decoding path.
indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses a request body; anything but a JSON object is an error.
    static func object(from body: Data) throws -> [String: JSONValue] {
        guard case .object(let object) = try JSONParser.parse(body) else { throw RequestError("the body must be a JSON object") }
        return object
    }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A malformed request body: the message names the field (400).
struct RequestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Strict reading of one JSON object: every key must be known, and each accessor names the
/// field it could not read.
struct JSONFields {
    let object: [String: JSONValue]
    let context: String

    init(_ object: [String: JSONValue], context: String, allowed: Set<String>) throws {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw RequestError("\(context): unknown field '\(unknown)'; allowed: \(allowed.sorted().joined(separator: ", "))")
        }
        self.object = object
        self.context = context
    }

    func string(_ key: String) throws -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard case .string(let text) = value else { throw RequestError("\(context).\(key) must be a string, not \(value.typeName)") }
        return text
    }

    func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw RequestError("\(context).\(key) is required") }
        return text
    }

    func array(_ key: String) throws -> [JSONValue]? {
        guard let value = object[key], value != .null else { return nil }
        guard case .array(let items) = value else { throw RequestError("\(context).\(key) must be an array, not \(value.typeName)") }
        return items
    }

    func objectField(_ key: String) throws -> [String: JSONValue]? {
        guard let value = object[key], value != .null else { return nil }
        guard case .object(let fields) = value else { throw RequestError("\(context).\(key) must be an object, not \(value.typeName)") }
        return fields
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = object[key], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw RequestError("\(context).\(key) must be true or false, not \(value.typeName)") }
        return flag
    }

    func integer(_ key: String) throws -> Int? {
        guard let value = object[key], value != .null else { return nil }
        guard case .number(let number) = value, number == number.rounded(), abs(number) < 1e9 else {
            throw RequestError("\(context).\(key) must be an integer, not \(value.typeName)")
        }
        return Int(number)
    }
}
