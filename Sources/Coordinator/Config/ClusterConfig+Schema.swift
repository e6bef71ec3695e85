import Dataset
import Training
import Yams

extension ClusterConfig {
    /// `data.schema`: a mapping of column name to role (`ColumnRole`), e.g.
    /// `schema: { customer_id: id, region: categorical, Churn: target }`.
    func readSchema(_ data: YAMLNodeReader) throws -> ColumnPins {
        guard let node = data.child("schema") else { return ColumnPins() }
        guard let mapping = node.mapping else {
            throw data.fail("schema", node, "expected a mapping of column names to roles, found \(YAMLNodeReader.describe(node))")
        }
        let roles = ColumnRole.allCases.map(\.rawValue)
        var pins = ColumnPins()
        for (key, value) in mapping {
            guard let column = key.string, !column.isEmpty else {
                throw YAMLNodeReader.error(file, key, data.keyPath("schema"), "column names must be strings")
            }
            let path = data.keyPath("schema") + ".\(column)"
            guard case .scalar(let scalar) = value, let role = ColumnRole(rawValue: scalar.string) else {
                let hint = value.scalar.flatMap { YAMLNodeReader.closest(to: $0.string, in: roles) }.map { " (did you mean '\($0)'?)" } ?? ""
                throw YAMLNodeReader.error(file, value, path, "expected a role\(hint), one of: \(roles.joined(separator: ", ")); found \(YAMLNodeReader.describe(value))")
            }
            pins.pin(column, role)
        }
        return pins
    }

    /// Everything the data section says about columns, as one set of pins: `data.schema`, then
    /// `categorical`, `ignore` and `sensitive` for the columns the schema leaves free.
    public var columnPins: ColumnPins {
        var pins = data.schema
        pins.pinIfFree(data.categorical, .categorical)
        pins.pinIfFree(data.ignore, .ignore)
        pins.pinIfFree(data.sensitive, .sensitive)
        return pins
    }

    /// The roles of the customers table's columns under this file: what the pipeline excludes
    /// from features and `engage inspect --config` prints.
    public var roleRules: ColumnRoleRules {
        ColumnRoleRules(pins: columnPins, targets: models.compactMap(\.target), sensitive: data.sensitive, ignored: data.ignore)
    }
}
