import ArgumentParser
import Coordinator
import Dataset
import Foundation
import Training

/// `engage inspect`: the schema engage infers for a CSV, before any training reads it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the schema engage infers for a CSV: each column's type, missing rate, cardinality and role, and proxy warnings.")

    @Argument(help: "The CSV to inspect.") var data: String
    @Flag(help: "Print the inspection as JSON.") var json = false
    @Option(name: .shortAndLong, help: "A cluster file whose data section (schema, categorical, ignore, sensitive) and model targets apply.")
    var config: String?

    func run() throws {
        try failing {
            let rules = try config.map { try ClusterConfig.load(path: $0).roleRules } ?? ColumnRoleRules()
            let table = try rules.pins.read(path: data)
            let absent = rules.pins.absent(from: table)
            if !absent.isEmpty {
                throw CLIFailure(message: "\(config ?? ""): data.schema names column\(absent.count > 1 ? "s" : "") \(absent.joined(separator: ", ")), which \(data) lacks")
            }
            let inspection = try TableInspection(table, source: data, rules: rules)
            if json {
                print(String(decoding: try EngageJSONEncoder([.prettyPrinted, .sortedKeys]).encode(inspection), as: UTF8.self))
            } else {
                print(InspectCommand.render(inspection))
            }
        }
    }

    static func render(_ inspection: TableInspection) -> String {
        let rows = inspection.columns.map { column in
            [column.name, column.type, String(format: "%.1f %%", column.missingRate * 100), String(column.cardinality),
             column.role.rawValue + (column.possibleTarget && column.role != .target ? " (possible target)" : ""),
             column.levels.map { $0.count <= 4 ? $0.joined(separator: ", ") : "" } ?? ""]
        }
        var text = "\(inspection.source): \(inspection.rows) rows × \(inspection.columns.count) columns\n"
        text += renderTable(header: ["column", "type", "missing", "distinct", "role", "values"], rows: rows)
        if inspection.proxies.isEmpty {
            text += "\nno proxy warnings"
        } else {
            text += "\nproxy warnings (a feature that stands in for a sensitive attribute):"
            for proxy in inspection.proxies {
                text += "\n  \(proxy.feature) ~ \(proxy.attribute): \(proxy.measure.rawValue) \(format(proxy.value, digits: 3)) > \(format(proxy.threshold, digits: 2))"
            }
        }
        return text
    }
}
