import GRDB
@testable import Registry

/// Direct access to a registry's database, to simulate failures and inspect rows.
enum DirectAccess {
    /// Makes every insert into `table` abort, as a crash half-way through a write would.
    static func failInserts(into table: String, of registry: ModelRegistry) throws {
        try registry.pool.write { db in
            try db.execute(sql: """
                CREATE TRIGGER injected_failure BEFORE INSERT ON \(table)
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """)
        }
    }

    static func heal(_ registry: ModelRegistry) throws {
        try registry.pool.write { db in try db.execute(sql: "DROP TRIGGER injected_failure") }
    }

    /// Runs SQL the public API has no call for yet (aliases are set by a later promotion API).
    static func execute(_ sql: String, on registry: ModelRegistry) throws {
        try registry.pool.write { db in try db.execute(sql: sql) }
    }

    static func rowCount(_ table: String, of registry: ModelRegistry) throws -> Int {
        try registry.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }
}
