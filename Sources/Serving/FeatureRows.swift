import Dataset
import Foundation
import ModelZoo

/// One feature value as a request spells it.
public enum FeatureValue: Sendable, Equatable {
    case number(Double)
    case text(String)
    /// JSON `null` or an absent key: a missing value, which the trees route as in training.
    case missing
}

/// The rows of one request, column by column, as the client sent them (feature name → one value
/// per row), before they meet a model's schema.
///
/// Exists so that the V2 tensors and the V1 records reach the model through one conversion to a
/// `Table`, the type `engage predict` builds from a CSV: a model scores a served row exactly as
/// it scores the same row in a file.
public struct FeatureRows: Sendable, Equatable {
    public let rowCount: Int
    public private(set) var columns: [String: [FeatureValue]]

    public init(rowCount: Int, columns: [String: [FeatureValue]]) throws {
        for (name, values) in columns where values.count != rowCount {
            throw ServingError.badRequest("input '\(name)': \(values.count) values for \(rowCount) rows")
        }
        self.rowCount = rowCount
        self.columns = columns
    }

    /// Rows given as records (`{"feature": value, …}`); a key absent from a record is a missing value.
    public init(records: [[String: FeatureValue]]) throws {
        var names = Set<String>()
        for record in records { names.formUnion(record.keys) }
        var columns: [String: [FeatureValue]] = [:]
        for name in names { columns[name] = records.map { $0[name] ?? .missing } }
        try self.init(rowCount: records.count, columns: columns)
    }

    /// Several requests' rows stacked in order, for one batched scoring call.
    public static func concatenating(_ parts: [FeatureRows]) throws -> FeatureRows {
        var names = Set<String>()
        for part in parts { names.formUnion(part.columns.keys) }
        var columns: [String: [FeatureValue]] = [:]
        for name in names {
            columns[name] = parts.flatMap { $0.columns[name] ?? Array(repeating: .missing, count: $0.rowCount) }
        }
        return try FeatureRows(rowCount: parts.reduce(0) { $0 + $1.rowCount }, columns: columns)
    }

    /// The rows as a table with the columns `features` name: numbers for a numeric feature, text
    /// levels for a categorical one (a number given for a category is read as its text, "3").
    /// A feature the request lacks entirely, or a text where a number belongs, is an error that
    /// names the field.
    public func table(for features: [FeatureSchema.Feature]) throws -> Table {
        let absent = features.map(\.name).filter { columns[$0] == nil }
        guard absent.isEmpty else {
            throw ServingError.badRequest("missing feature\(absent.count == 1 ? "" : "s") \(absent.map { "'\($0)'" }.joined(separator: ", ")); the model reads \(features.map(\.name).joined(separator: ", "))")
        }
        var table = try Table(names: [], columns: [])
        for feature in features {
            let values = columns[feature.name]!
            try table.set(feature.name, feature.categorical ? try Self.categorical(values) : try Self.numeric(values, name: feature.name))
        }
        return table
    }

    /// One text column (`user_id`) as an identifier column; nil when the request lacks it.
    public func identifiers(_ name: String) -> [String?]? {
        columns[name].map { values in
            values.map {
                switch $0 {
                case .text(let text): return text
                case .number(let number): return Self.text(of: number)
                case .missing: return nil
                }
            }
        }
    }

    private static func numeric(_ values: [FeatureValue], name: String) throws -> Column {
        .numeric(try values.enumerated().map { row, value in
            switch value {
            case .number(let number): return number
            case .missing: return .nan
            case .text(let text):
                guard let number = Double(text.trimmingCharacters(in: .whitespaces)) else {
                    throw ServingError.badRequest("feature '\(name)' (row \(row)): expected a number, got \"\(text)\"")
                }
                return number
            }
        })
    }

    private static func categorical(_ values: [FeatureValue]) throws -> Column {
        var levels: [String] = []
        var index: [String: Int32] = [:]
        let codes: [Int32] = values.map { value in
            let text: String
            switch value {
            case .text(let t): text = t
            case .number(let number): text = Self.text(of: number)
            case .missing: return -1
            }
            if let code = index[text] { return code }
            let code = Int32(levels.count)
            levels.append(text)
            index[text] = code
            return code
        }
        return .categorical(codes: codes, levels: levels)
    }

    /// How a CSV spells a number that stands for a category ("3", not "3.0").
    static func text(of value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
