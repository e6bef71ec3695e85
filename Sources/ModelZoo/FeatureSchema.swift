import Dataset
import Foundation

/// The features a model was trained on: names, which are categorical, and each categorical
/// feature's levels in training order.
///
/// Stored in every artifact so that scoring any table, read from any CSV, feeds the model the
/// same columns and the same category codes it learned from.
public struct FeatureSchema: Codable, Sendable, Equatable {
    /// One input feature of a model.
    public struct Feature: Codable, Sendable, Equatable {
        public var name: String
        public var categorical: Bool
        public var levels: [String]

        public init(name: String, categorical: Bool, levels: [String] = []) {
            self.name = name
            self.categorical = categorical
            self.levels = levels
        }
    }

    public var features: [Feature]

    public init(features: [Feature]) { self.features = features }

    /// The schema of the named columns of a training table.
    public init(table: Table, features names: [String]) throws {
        features = try names.map { name in
            switch try table.column(name) {
            case .numeric: return Feature(name: name, categorical: false)
            case .categorical(_, let levels): return Feature(name: name, categorical: true, levels: levels)
            }
        }
    }

    public var names: [String] { features.map(\.name) }

    /// Columns of `table` this schema does not use (reported, never an error).
    public func extraColumns(in table: Table) -> [String] {
        let known = Set(names)
        return table.names.filter { !known.contains($0) }
    }

    /// The model's input matrix from any table: columns matched by name, category strings mapped
    /// to training codes (an unseen category is missing), numbers that do not parse are missing.
    public func matrix(from table: Table) throws -> FeatureMatrix {
        let missing = names.filter { table.index(of: $0) == nil }
        guard missing.isEmpty else {
            throw ModelInputError("missing feature column\(missing.count == 1 ? "" : "s") \(missing.map { "'\($0)'" }.joined(separator: ", ")): the model was trained with \(names.count) features")
        }
        var columns: [[Double]] = []
        columns.reserveCapacity(features.count)
        for feature in features {
            let column = try table.column(feature.name)
            columns.append(feature.categorical ? FeatureSchema.codes(of: column, levels: feature.levels) : FeatureSchema.numbers(of: column))
        }
        return try FeatureMatrix(names: names, columns: columns, isCategorical: features.map(\.categorical))
    }

    static func codes(of column: Column, levels: [String]) -> [Double] {
        let index = Dictionary(levels.enumerated().map { ($0.element, Double($0.offset)) }, uniquingKeysWith: { first, _ in first })
        switch column {
        case .categorical(let codes, let tableLevels):
            let mapped = tableLevels.map { index[$0] ?? .nan }
            return codes.map { $0 < 0 || Int($0) >= mapped.count ? .nan : mapped[Int($0)] }
        case .numeric(let values):
            return values.map { $0.isFinite ? index[FeatureSchema.text(of: $0)] ?? .nan : .nan }
        }
    }

    static func numbers(of column: Column) -> [Double] {
        switch column {
        case .numeric(let values):
            return values
        case .categorical(let codes, let levels):
            let parsed = levels.map { Double($0.trimmingCharacters(in: .whitespaces)) ?? .nan }
            return codes.map { $0 < 0 || Int($0) >= parsed.count ? .nan : parsed[Int($0)] }
        }
    }

    /// How a CSV would spell a number that stands for a category ("3", not "3.0").
    static func text(of value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// Why a table cannot be fed to a model: a missing column, an empty feature set, a mismatched set of parts.
public struct ModelInputError: Error, CustomStringConvertible, LocalizedError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
