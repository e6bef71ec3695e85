import ArgumentParser
import Foundation
import Registry

extension RegistryCommand {
    /// `engage registry batches`: every inbox batch `engage watch` has recorded, with its verdict and outcome.
    struct Batches: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "batches",
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

    /// `engage registry slots`: every schedule slot `engage watch` has recorded, with its run and outcome.
    struct Slots: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "slots",
            abstract: "List the schedule slots engage watch ran: due time, status, action, retraining run.")
        @OptionGroup var location: Location

        func run() throws {
            try failing {
                let slots = try location.open().scheduleSlots()
                if location.json { return try location.printJSON(slots) }
                let dates = ISO8601DateFormatter()
                let rows = slots.map { s in
                    [dates.string(from: s.dueAt), s.status.rawValue, s.action ?? "", s.runID, s.finishedAt.map(dates.string) ?? "", s.error ?? ""]
                }
                print(renderTable(header: ["due", "status", "action", "run", "finished", "error"], rows: rows))
            }
        }
    }
}
