import Dataset
import Foundation

/// The model input: named feature columns, column-major, with NaN as missing.
///
/// Every ModelZoo model trains on and scores a `FeatureMatrix`, so that feature order,
/// missing values and categorical codes mean the same thing everywhere. Categorical
/// columns hold non-negative integer codes as `Double`; NaN or a negative code is missing.
public struct FeatureMatrix: Sendable {
    public let names: [String]
    public let columns: [[Double]]
    public let isCategorical: [Bool]
    public let rowCount: Int

    /// The largest categorical code accepted (codes index category levels).
    public static let maximumCategoryCode = Double(Int32.max)

    public init(names: [String], columns: [[Double]], isCategorical: [Bool]) throws {
        guard names.count == columns.count, names.count == isCategorical.count else {
            throw FeatureMatrixError.shapeMismatch(
                "\(names.count) names, \(columns.count) columns and \(isCategorical.count) categorical flags")
        }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw FeatureMatrixError.duplicateFeature(name)
        }
        let rows = columns.first?.count ?? 0
        for (name, column) in zip(names, columns) where column.count != rows {
            throw FeatureMatrixError.shapeMismatch("feature '\(name)' has \(column.count) rows, expected \(rows)")
        }
        for (index, column) in columns.enumerated() where isCategorical[index] {
            if let row = column.firstIndex(where: { !Self.isValidCategoryValue($0) }) {
                throw FeatureMatrixError.invalidCategoryCode(feature: names[index], row: row, value: column[row])
            }
        }
        self.names = names
        self.columns = columns
        self.isCategorical = isCategorical
        self.rowCount = rows
    }

    /// The named columns of `table`, in the order given; categorical columns become their codes.
    public init(table: Table, features: [String]) throws {
        var columns = [[Double]]()
        var categorical = [Bool]()
        columns.reserveCapacity(features.count)
        for name in features {
            guard let index = table.index(of: name) else {
                throw FeatureMatrixError.missingFeature(name, available: table.names)
            }
            let column = table.columns[index]
            columns.append(column.numericValues)
            categorical.append(column.isCategorical)
        }
        try self.init(names: features, columns: columns, isCategorical: categorical)
    }

    public var columnCount: Int { names.count }

    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    /// The rows at `indices`, in that order.
    public func rows(_ indices: [Int]) -> FeatureMatrix {
        let picked = columns.map { column in indices.map { column[$0] } }
        return FeatureMatrix(validated: names, columns: picked, isCategorical: isCategorical, rowCount: indices.count)
    }

    /// The first `count` rows (all of them when there are fewer).
    public func prefix(_ count: Int) -> FeatureMatrix {
        guard count < rowCount else { return self }
        return FeatureMatrix(validated: names, columns: columns.map { Array($0.prefix(count)) }, isCategorical: isCategorical,
                             rowCount: max(0, count))
    }

    /// For each name, the index of the column with that name; throws naming the first absent one.
    func columnIndices(for wanted: [String]) throws -> [Int] {
        var lookup = [String: Int](minimumCapacity: names.count)
        for (index, name) in names.enumerated() { lookup[name] = index }
        return try wanted.map { name in
            guard let index = lookup[name] else { throw FeatureMatrixError.missingFeature(name, available: names) }
            return index
        }
    }

    private init(validated names: [String], columns: [[Double]], isCategorical: [Bool], rowCount: Int) {
        self.names = names
        self.columns = columns
        self.isCategorical = isCategorical
        self.rowCount = rowCount
    }

    private static func isValidCategoryValue(_ value: Double) -> Bool {
        value.isNaN || value < 0 || (value <= maximumCategoryCode && value.rounded(.towardZero) == value)
    }
}

/// Why a `FeatureMatrix` could not be built or matched to a model.
public enum FeatureMatrixError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case shapeMismatch(String)
    case duplicateFeature(String)
    case missingFeature(String, available: [String])
    case invalidCategoryCode(feature: String, row: Int, value: Double)

    public var description: String {
        switch self {
        case .shapeMismatch(let detail):
            return "feature matrix shape mismatch: \(detail)"
        case .duplicateFeature(let name):
            return "feature '\(name)' appears more than once"
        case .missingFeature(let name, let available):
            let shown = available.prefix(20).joined(separator: ", ")
            let more = available.count > 20 ? ", …" : ""
            return "feature '\(name)' is missing from the input (it has: \(shown)\(more))"
        case .invalidCategoryCode(let feature, let row, let value):
            return "categorical feature '\(feature)' has value \(value) in row \(row); "
                + "codes must be integers in 0...\(Int32.max), with NaN or a negative code for missing"
        }
    }

    public var errorDescription: String? { description }
}
