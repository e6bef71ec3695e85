import Dataset

/// One sensitive attribute over the rows being audited: its name, and each row's group.
///
/// Exists so that every fairness computation partitions rows the same way. Groups are the
/// levels of a categorical column that occur, in level order; a numeric column's distinct
/// values become groups in ascending order, named by their shortest text (`1`, not `1.0`).
/// Rows whose value is missing form one more group, `FairnessGroups.missingLabel`, so that
/// people with an unrecorded attribute are audited too (Fairlearn refuses such input instead).
public struct SensitiveAttribute: Sendable, Equatable {
    public let name: String
    /// Group names, in report order.
    public let groups: [String]
    /// Each row's index into `groups`.
    public let rowGroups: [Int32]

    public var rowCount: Int { rowGroups.count }

    /// The attribute `name` as held in `column`.
    public init(name: String, column: Column) {
        self.name = name
        switch column {
        case .categorical(let codes, let levels):
            (groups, rowGroups) = SensitiveAttribute.partition(codes: codes, levels: levels)
        case .numeric(let values):
            (groups, rowGroups) = SensitiveAttribute.partition(values: values)
        }
    }

    /// The attribute `name` given as one group name per row (an empty name is a missing value).
    public init(name: String, values: [String]) {
        var levels: [String] = []
        var index: [String: Int32] = [:]
        let codes: [Int32] = values.map { value in
            if value.isEmpty { return -1 }
            if let code = index[value] { return code }
            let code = Int32(levels.count)
            index[value] = code
            levels.append(value)
            return code
        }
        self.init(name: name, column: .categorical(codes: codes, levels: levels))
    }

    /// Row indices of each group, in `groups` order.
    public func rowsByGroup() -> [[Int]] {
        var rows = Array(repeating: [Int](), count: groups.count)
        rowGroups.withUnsafeBufferPointer { g in
            for row in 0..<g.count { rows[Int(g[row])].append(row) }
        }
        return rows
    }

    private static func partition(codes: [Int32], levels: [String]) -> ([String], [Int32]) {
        var present = Array(repeating: false, count: levels.count)
        var missing = false
        for code in codes {
            if code < 0 || Int(code) >= levels.count { missing = true } else { present[Int(code)] = true }
        }
        var remap = Array(repeating: Int32(-1), count: levels.count)
        var groups: [String] = []
        for (level, name) in levels.enumerated() where present[level] {
            remap[level] = Int32(groups.count)
            groups.append(name)
        }
        let missingGroup = Int32(groups.count)
        if missing { groups.append(FairnessGroups.missingLabel) }
        let rowGroups = codes.map { code in code < 0 || Int(code) >= levels.count ? missingGroup : remap[Int(code)] }
        return (groups, rowGroups)
    }

    private static func partition(values: [Double]) -> ([String], [Int32]) {
        let distinct = Array(Set(values.filter { !$0.isNaN })).sorted()
        var index: [Double: Int32] = [:]
        for (i, value) in distinct.enumerated() { index[value] = Int32(i) }
        var groups = distinct.map(FairnessGroups.label(of:))
        let missingGroup = Int32(groups.count)
        if values.contains(where: \.isNaN) { groups.append(FairnessGroups.missingLabel) }
        return (groups, values.map { $0.isNaN ? missingGroup : index[$0]! })
    }
}

/// Names shared by every fairness report.
public enum FairnessGroups {
    /// The group of rows whose sensitive attribute is missing.
    public static let missingLabel = "(missing)"

    /// The name of a numeric group value: integers without a fraction, others in shortest form.
    public static func label(of value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
