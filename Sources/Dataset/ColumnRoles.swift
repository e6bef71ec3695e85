import Foundation
import Synchronization

/// What a column is for, as the user pins it (`data.schema` in cluster.yaml, `--categorical`,
/// `--ignore`, `--sensitive` on `engage train`) or as `engage inspect` infers it.
public enum ColumnRole: String, Sendable, Equatable, CaseIterable, Codable {
    /// A row identifier: never a feature.
    case id
    /// A feature, of whatever type the reader infers.
    case feature
    /// A feature read as categorical even when its cells look like numbers.
    case categorical
    /// A feature read as numbers; a cell that is not one is an error.
    case numeric
    /// A label some model learns: never a feature.
    case target
    /// A sensitive attribute: never a feature; fairness reports group by it.
    case sensitive
    /// Neither a feature nor anything else.
    case ignore

    /// Whether a column of this role may be a model's input.
    public var isFeature: Bool { [.feature, .categorical, .numeric].contains(self) }
}

/// The roles a user pinned per column, and how every CSV of engage is read under them: one
/// reader and one set of type rules for `engage train`, `engage run` and `engage inspect`.
public struct ColumnPins: Sendable, Equatable {
    /// Pinned columns in the order they were given; a later pin of the same column wins.
    public private(set) var pins: [(column: String, role: ColumnRole)] = []

    public init(_ pins: [(column: String, role: ColumnRole)] = []) {
        for p in pins { pin(p.column, p.role) }
    }

    public static func == (lhs: ColumnPins, rhs: ColumnPins) -> Bool {
        lhs.pins.map(\.column) == rhs.pins.map(\.column) && lhs.pins.map(\.role) == rhs.pins.map(\.role)
    }

    /// Pins `column` to `role`, replacing an earlier pin of it.
    public mutating func pin(_ column: String, _ role: ColumnRole) {
        pins.removeAll { $0.column == column }
        pins.append((column, role))
    }

    /// Pins each of `columns` to `role` unless it is pinned already.
    public mutating func pinIfFree(_ columns: [String], _ role: ColumnRole) {
        for column in columns where self.role(of: column) == nil { pin(column, role) }
    }

    public func role(of column: String) -> ColumnRole? { pins.last { $0.column == column }?.role }

    public func columns(_ role: ColumnRole) -> [String] { pins.filter { $0.role == role }.map(\.column) }

    public var isEmpty: Bool { pins.isEmpty }

    /// Reads the CSV at `path` with the pinned types forced (`CSV.read`'s rules for the rest).
    public func read(path: String) throws -> Table {
        try CSV.read(path: path, categorical: Set(columns(.categorical)), numeric: Set(columns(.numeric)))
    }

    /// Each CSV of `paths` read as `read(path:)` does, side by side on threads of their own
    /// (a training and a test file are read in the time of the larger); the first error in
    /// `paths` order is thrown.
    public func read(paths: [String]) throws -> [Table] {
        let results = Mutex([Result<Table, any Error>?](repeating: nil, count: paths.count))
        DispatchQueue.concurrentPerform(iterations: paths.count) { index in
            let result = Result { try read(path: paths[index]) }
            results.withLock { $0[index] = result }
        }
        return try results.withLock { $0 }.map { try $0!.get() }
    }

    /// The pinned columns `table` lacks, for an error that names them.
    public func absent(from table: Table) -> [String] {
        pins.map(\.column).filter { table.index(of: $0) == nil }
    }
}
