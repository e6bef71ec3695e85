import Foundation
import GRDB

/// One logged request of `engage serve`: which version answered, when, and the request's
/// features and the outputs as JSON objects of columns (`{"age": [34, null], …}`).
public struct ServedRequestRecord: Codable, Sendable, Equatable {
    public var model: String
    public var version: Int
    public var servedAt: Date
    public var rows: Int
    public var features: String
    public var outputs: String

    public init(model: String, version: Int, servedAt: Date, rows: Int, features: String, outputs: String) {
        self.model = model
        self.version = version
        self.servedAt = servedAt
        self.rows = rows
        self.features = features
        self.outputs = outputs
    }
}

/// The served-requests table (migration v8).
extension ModelRegistry {
    /// Appends logged requests in one transaction.
    public func logServedRequests(_ records: [ServedRequestRecord]) throws {
        try requireWritable()
        guard !records.isEmpty else { return }
        try pool.write { db in
            for record in records {
                guard record.rows >= 1 else { throw RegistryError.invalid("a served request has at least one row") }
                try db.execute(sql: """
                    INSERT INTO served_requests (model, version, served_at, rows, features, outputs) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [record.model, record.version, StoredDate.encode(record.servedAt), record.rows, record.features, record.outputs])
            }
        }
    }

    /// The logged requests of a model (of one version, when given), oldest first: the first
    /// `limit`, or with `newest` the newest `newest` of them.
    public func servedRequests(model: String, version: Int? = nil, limit: Int = 100_000, newest: Int? = nil) throws -> [ServedRequestRecord] {
        try pool.read { db in
            let filter = version == nil ? "model = ?" : "model = ? AND version = ?"
            var arguments: [any DatabaseValueConvertible] = [model]
            if let version { arguments.append(version) }
            arguments.append(newest ?? limit)
            let sql = newest == nil ? "SELECT * FROM served_requests WHERE \(filter) ORDER BY id LIMIT ?"
                : "SELECT * FROM (SELECT * FROM served_requests WHERE \(filter) ORDER BY id DESC LIMIT ?) ORDER BY id"
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                ServedRequestRecord(model: row["model"], version: row["version"], servedAt: try Self.date(row, "served_at"),
                                    rows: row["rows"], features: row["features"], outputs: row["outputs"])
            }
        }
    }
}
