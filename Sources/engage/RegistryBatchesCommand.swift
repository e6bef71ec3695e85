import ArgumentParser
import Foundation
import Registry

extension RegistryCommand {
    /// `engage registry batches`: every inbox batch `engage watch` has recorded, with its verdict and outcome.
    struct Batches: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the batches engage watch took from its inbox: verdict, trigger, action, retraining run.")
        @OptionGroup var location: Location

        func run() throws {
            try failing {
                let batches = try location.open().batches()
                if location.json { return try location.printJSON(batches) }
                let dates = ISO8601DateFormatter()
                let rows = batches.map { b in
                    [String(b.sha256.prefix(12)), b.file, b.rows.map(String.init) ?? "", dates.string(from: b.claimedAt), b.status.rawValue,
                     b.verdict ?? "", b.trigger ?? "", b.action ?? "", b.runID ?? "", b.error ?? ""]
                }
                print(renderTable(header: ["sha256", "file", "rows", "claimed", "status", "verdict", "trigger", "action", "run", "error"], rows: rows))
            }
        }
    }
}
