import Dataset
import Foundation

/// One delivery's events as read from its CSV: the table to score and, per row, the event id and
/// the customer, with the SHA-256 of the content that identifies the delivery.
///
/// A delivery is a CSV with a header: `event_id`, the customer id column (`user_id`) and the
/// features the model reads (extra columns are ignored). Both id columns are read as text.
public struct EventBatch: Sendable {
    public static let eventColumn = "event_id"
    public static let customerColumn = CustomerSchema.idColumn

    public var table: Table
    public var eventIDs: [String]
    public var customers: [String]
    public var sha256: String
    /// Where it came from, for errors and the predictions' `delivery` column: a file name or `zmq:BATCH_ID`.
    public var source: String

    public var count: Int { eventIDs.count }

    /// Parses `data`; every error names `source`, and a missing id the row's line and column.
    public static func parse(_ data: Data, source: String, categorical: Set<String>) throws -> EventBatch {
        let text = String(decoding: data, as: UTF8.self)
        let table = try CSV.parse(text, source: source, categorical: categorical.union([eventColumn, customerColumn]))
        let events = try ids(table, eventColumn, source: source)
        let customers = try ids(table, customerColumn, source: source)
        return EventBatch(table: table, eventIDs: events, customers: customers, sha256: SHA256.hex(data), source: source)
    }

    private static func ids(_ table: Table, _ name: String, source: String) throws -> [String] {
        guard let index = table.index(of: name) else {
            throw StreamError("\(source): no column '\(name)' (a stream event has \(eventColumn), \(customerColumn) and the model's features)")
        }
        guard case .categorical(let codes, let levels) = table.columns[index] else {
            throw StreamError("\(source): column '\(name)' is not read as text")
        }
        return try codes.enumerated().map { row, code in
            guard code >= 0, Int(code) < levels.count, !levels[Int(code)].isEmpty else {
                throw CSVError(file: source, line: row + 2, column: index + 1, columnName: name, message: "empty \(name); every event needs one")
            }
            return levels[Int(code)]
        }
    }

    /// Rows `range` of this batch.
    public func slice(_ range: Range<Int>) -> EventBatch {
        if range == 0..<count { return self }
        return EventBatch(table: table.rows(Array(range)), eventIDs: Array(eventIDs[range]), customers: Array(customers[range]),
                          sha256: sha256, source: source)
    }
}
