import Foundation

extension Table {
    /// The rows of `tables`, one after another.
    ///
    /// All tables must have the same column names in the same order and the same
    /// kind (numeric or categorical) per column. Categorical levels are merged in
    /// first-seen order (the first table's levels first) and codes remapped, so
    /// shards written with different level lists combine correctly.
    public static func concatenated(_ tables: [Table]) throws -> Table {
        guard let first = tables.first else { return try Table(names: [], columns: []) }
        for (t, table) in tables.enumerated().dropFirst() where table.names != first.names {
            throw TableError.shapeMismatch("cannot concatenate: table \(t + 1) has columns \(table.names), table 1 has \(first.names)")
        }
        let total = tables.reduce(0) { $0 + $1.rowCount }
        var columns: [Column] = []
        columns.reserveCapacity(first.columnCount)
        for (c, name) in first.names.enumerated() {
            switch first.columns[c] {
            case .numeric:
                var values: [Double] = []
                values.reserveCapacity(total)
                for (t, table) in tables.enumerated() {
                    guard case .numeric(let part) = table.columns[c] else {
                        throw TableError.shapeMismatch("cannot concatenate: column '\(name)' is numeric in table 1 but categorical in table \(t + 1)")
                    }
                    values.append(contentsOf: part)
                }
                columns.append(.numeric(values))
            case .categorical:
                columns.append(try mergedCategorical(tables, column: c, name: name, total: total))
            }
        }
        return try Table(names: first.names, columns: columns)
    }

    private static func mergedCategorical(_ tables: [Table], column c: Int, name: String, total: Int) throws -> Column {
        var levels: [String] = []
        var codeOf: [String: Int32] = [:]
        var codes: [Int32] = []
        codes.reserveCapacity(total)
        for (t, table) in tables.enumerated() {
            guard case .categorical(let part, let partLevels) = table.columns[c] else {
                throw TableError.shapeMismatch("cannot concatenate: column '\(name)' is categorical in table 1 but numeric in table \(t + 1)")
            }
            let remap = partLevels.map { level -> Int32 in
                if let code = codeOf[level] { return code }
                let code = Int32(levels.count)
                codeOf[level] = code
                levels.append(level)
                return code
            }
            remap.withUnsafeBufferPointer { map in
                part.withUnsafeBufferPointer { source in
                    for code in source {
                        codes.append(code < 0 ? -1 : map[Int(code)])
                    }
                }
            }
        }
        return .categorical(codes: codes, levels: levels)
    }
}

extension TableError: LocalizedError {
    public var errorDescription: String? { description }
}
