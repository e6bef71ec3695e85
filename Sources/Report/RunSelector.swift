import Foundation
import Registry

/// Resolves the RUN argument of `engage report`: `latest` (the most recently started run), a
/// full run id, or an unambiguous beginning of one.
public struct RunSelector {
    static let latest = "latest"

    let runs: [RunRecord]
    let registryPath: String

    public init(runs: [RunRecord], registryPath: String) {
        self.runs = runs
        self.registryPath = registryPath
    }

    public func select(_ argument: String) throws -> RunRecord {
        guard let newest = runs.last else { throw ReportError.noRuns(registry: registryPath) }
        if argument == Self.latest { return newest }
        if let exact = runs.first(where: { $0.id == argument }) { return exact }
        let matches = runs.filter { $0.id.hasPrefix(argument) }
        switch matches.count {
        case 1: return matches[0]
        case 0: throw ReportError.unknownRun(argument, known: runs.map(\.id))
        default: throw ReportError.ambiguousRun(argument, matches: matches.map(\.id))
        }
    }
}
