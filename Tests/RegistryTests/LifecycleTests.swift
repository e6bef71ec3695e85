import Foundation
import Registry
import TestSupport
import XCTest

final class LifecycleTests: XCTestCase {
    private let policy = PromotionPolicy(config: PromotionConfig())
    /// Kept for the length of the test: the directory is removed when released.
    private var directory: TemporaryDirectory?

    private func registryWithFour() throws -> ModelRegistry {
        let dir = try TemporaryDirectory()
        directory = dir
        let registry = try ModelRegistry(path: dir.databasePath)
        for auc in [0.80, 0.82, 0.84, 0.86] { try registry.register(Sample.churn(auc: auc)) }
        return registry
    }

    func testRollbackUndoesPromotionsOneAtATime() throws {
        let registry = try registryWithFour()
        for version in 1...3 { try registry.promote(model: "churn", version: version, to: .production, policy: policy) }

        let first = try registry.rollback(model: "churn", reason: "v3 drifts")
        XCTAssertEqual([first.from, first.to], [3, 2])
        XCTAssertEqual(try registry.version(reference: "churn@production").version, 2)
        let second = try registry.rollback(model: "churn")
        XCTAssertEqual([second.from, second.to], [2, 1])
        XCTAssertThrowsError(try registry.rollback(model: "churn")) { error in
            XCTAssertTrue("\(error)".contains("churn@1 has no earlier production version"), "\(error)")
        }

        try registry.promote(model: "churn", version: 4, to: .production, policy: policy)
        XCTAssertEqual(try registry.rollback(model: "churn").to, 1, "a rollback after a new promotion returns to the version it replaced")
        XCTAssertEqual(try registry.versions().map(\.stage), [.production, .none, .none, .none])

        let rollbacks = try registry.history(model: "churn").filter { $0.action == "rollback" }
        XCTAssertEqual(rollbacks.map { [$0.from, $0.to] }, [["3", "2"], ["2", "1"], ["4", "1"]])
        XCTAssertEqual(rollbacks.first?.reason, "v3 drifts")
        XCTAssertEqual(rollbacks.map(\.version), [2, 1, 1])
    }

    func testRollbackNeedsAProductionVersionAndAnUnarchivedTarget() throws {
        let registry = try registryWithFour()
        XCTAssertThrowsError(try registry.rollback(model: "churn")) { error in
            XCTAssertTrue("\(error)".contains("churn has no version in production"), "\(error)")
        }
        XCTAssertThrowsError(try registry.rollback(model: "nobody")) { error in
            XCTAssertEqual(error as? RegistryError, .notFound("nobody"))
        }
        try registry.promote(model: "churn", version: 1, to: .production, policy: policy)
        try registry.promote(model: "churn", version: 2, to: .production, policy: policy)
        try registry.archive(model: "churn", version: 1, reason: "superseded")
        XCTAssertThrowsError(try registry.rollback(model: "churn")) { error in
            XCTAssertTrue("\(error)".contains("cannot roll back to churn@1: it has been archived"), "\(error)")
        }
        XCTAssertEqual(try registry.version(reference: "churn@production").version, 2)
    }

    func testArchiveRemovesAliasesAndRefusesTheProductionVersion() throws {
        let registry = try registryWithFour()
        try registry.promote(model: "churn", version: 1, to: .production, policy: policy)
        try registry.promote(model: "churn", version: 2, to: .staging, policy: policy)
        try registry.setAlias(model: "churn", alias: "challenger", version: 2)

        XCTAssertThrowsError(try registry.archive(model: "churn", version: 1)) { error in
            XCTAssertTrue("\(error)".contains("churn@1 is in production"), "\(error)")
        }
        try registry.archive(model: "churn", version: 2, reason: "lost the A/B test")
        let archived = try registry.version(model: "churn", version: 2)
        XCTAssertEqual(archived.stage, .archived)
        XCTAssertEqual(archived.status, "archived")
        XCTAssertEqual(archived.aliases, [])
        XCTAssertThrowsError(try registry.version(reference: "churn@challenger"))
        XCTAssertThrowsError(try registry.version(reference: "churn@staging"))
        XCTAssertThrowsError(try registry.archive(model: "churn", version: 2)) { error in
            XCTAssertTrue("\(error)".contains("already archived"), "\(error)")
        }
        XCTAssertThrowsError(try registry.setAlias(model: "churn", alias: "champion", version: 2))

        let event = try XCTUnwrap(try registry.history(model: "churn").last)
        XCTAssertEqual([event.action, event.from, event.to, event.reason], ["archived", "staging", "archived", "lost the A/B test"])
        XCTAssertEqual(event.detail, #"{"removed_aliases":["challenger"]}"#)
    }

    func testAliasesMoveAndEveryMoveIsLogged() throws {
        let registry = try registryWithFour()
        try registry.setAlias(model: "churn", alias: "champion", version: 1)
        try registry.setAlias(model: "churn", alias: "challenger", version: 3)
        try registry.setAlias(model: "churn", alias: "champion", version: 3, reason: "won the A/B test")

        XCTAssertEqual(try registry.version(reference: "churn@champion").version, 3)
        XCTAssertEqual(try registry.version(model: "churn", version: 3).aliases, ["challenger", "champion"])
        XCTAssertEqual(try registry.version(model: "churn", version: 1).aliases, [])
        let moves = try registry.history(model: "churn").filter { $0.action == "alias" }
        XCTAssertEqual(moves.map { [$0.from, $0.to] }, [[nil, "1"], [nil, "3"], ["1", "3"]])
        XCTAssertEqual(moves.map(\.detail), [#"{"alias":"champion"}"#, #"{"alias":"challenger"}"#, #"{"alias":"champion"}"#])
        XCTAssertEqual(moves.last?.reason, "won the A/B test")

        XCTAssertThrowsError(try registry.setAlias(model: "churn", alias: "champion", version: 3)) { error in
            XCTAssertTrue("\(error)".contains("churn@champion already is churn@3"), "\(error)")
        }
        for bad in ["production", "staging", "latest", "42", "has space", ""] {
            XCTAssertThrowsError(try registry.setAlias(model: "churn", alias: bad, version: 1), bad)
        }
        XCTAssertThrowsError(try registry.setAlias(model: "churn", alias: "x", version: 9)) { error in
            XCTAssertEqual(error as? RegistryError, .notFound("churn@9"))
        }
    }

    func testReferencesResolveNumbersStagesAliasesAndLatest() throws {
        let registry = try registryWithFour()
        try registry.promote(model: "churn", version: 2, to: .production, policy: policy)
        try registry.promote(model: "churn", version: 3, to: .staging, policy: policy)
        try registry.setAlias(model: "churn", alias: "champion", version: 1)

        XCTAssertEqual(try registry.version(reference: "churn").version, 4)
        XCTAssertEqual(try registry.version(reference: "churn@latest").version, 4)
        XCTAssertEqual(try registry.version(reference: "churn@3").version, 3)
        XCTAssertEqual(try registry.version(reference: "churn@production").version, 2)
        XCTAssertEqual(try registry.version(reference: "churn@staging").version, 3)
        XCTAssertEqual(try registry.version(reference: "churn@champion").version, 1)

        XCTAssertEqual(try VersionReference(parsing: "churn@champion"), VersionReference(model: "churn", selector: .alias("champion")))
        XCTAssertEqual(try VersionReference(parsing: "churn@production").description, "churn@production")
        XCTAssertThrowsError(try registry.version(reference: "churn@nobody")) { error in
            XCTAssertEqual("\(error)", "not found in the registry: churn@nobody (no alias 'nobody' on churn)")
        }
        XCTAssertThrowsError(try registry.version(reference: "ltv@production")) { error in
            XCTAssertEqual(error as? RegistryError, .notFound("ltv"))
        }
        for bad in ["churn@0", "churn@", "churn@archived", "@3", "ch urn@1"] {
            XCTAssertThrowsError(try VersionReference(parsing: bad), bad)
        }
    }

    func testStagesAreEnforcedByTheDatabaseToo() throws {
        let registry = try registryWithFour()
        try DirectAccess.execute("UPDATE versions SET stage = 'production' WHERE version = 1", on: registry)
        XCTAssertThrowsError(try DirectAccess.execute("UPDATE versions SET stage = 'production' WHERE version = 2", on: registry),
                             "a second production version must violate the unique index")
        XCTAssertThrowsError(try DirectAccess.execute("UPDATE versions SET stage = 'retired' WHERE version = 3", on: registry))
    }

    func testReadOnlyRegistriesRefuseLifecycleChanges() throws {
        _ = try registryWithFour()
        let dir = try XCTUnwrap(directory)
        let reader = try ModelRegistry.openReadOnly(path: dir.databasePath)
        XCTAssertThrowsError(try reader.promote(model: "churn", version: 1, to: .staging, policy: policy))
        XCTAssertThrowsError(try reader.setAlias(model: "churn", alias: "a", version: 1))
        XCTAssertThrowsError(try reader.archive(model: "churn", version: 1))
        XCTAssertThrowsError(try reader.rollback(model: "churn"))
        XCTAssertThrowsError(try ModelRegistry.openExisting(path: dir.path + "/missing.sqlite")) { error in
            XCTAssertEqual(error as? RegistryError, .databaseMissing(dir.path + "/missing.sqlite"))
        }
        XCTAssertEqual(try ModelRegistry.openExisting(path: dir.databasePath).versions().count, 4)
    }
}
