import Foundation
import GRDB
@testable import Registry
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A process killed with SIGKILL while it registers versions leaves no half-written
/// version: this test runs its own test binary as a child that registers in a loop,
/// kills it at random moments, and checks every version the database then holds.
final class KillDuringRegistrationTests: XCTestCase {
    private static let childDatabase = "ENGAGE_REGISTRY_KILL_CHILD_DB"
    private static let features = 1_000
    private static let artifactBytes = 131_072

    /// The child's side: registers versions until it is killed (or, orphaned, for at most 60 s).
    func testChildRegistersUntilKilled() throws {
        guard let path = ProcessInfo.processInfo.environment[Self.childDatabase] else {
            throw XCTSkip("runs only as the child process of testSIGKILLDuringRegistrationLeavesNoHalfWrittenVersion")
        }
        let registry = try ModelRegistry(path: path)
        // Everything is prepared once, so that the loop's time goes to writing the artifact and the rows.
        var random = SystemRandomNumberGenerator()
        let words = (0..<Self.artifactBytes / 8).map { _ in random.next() as UInt64 }
        var version = Sample.churn(auc: 0.8)
        version.artifact = words.withUnsafeBytes { Data($0) }
        version.importance = (0..<Self.features).map {
            ImportanceRecord(feature: "f\($0)", gain: Double($0), splits: $0, permutation: .nan, meanAbsSHAP: 0.5)
        }
        var stamp = random.next() as UInt64
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            stamp &+= 1
            withUnsafeBytes(of: stamp) { version.artifact.replaceSubrange(0..<8, with: $0) }
            try registry.register(version)
        }
    }

    func testSIGKILLDuringRegistrationLeavesNoHalfWrittenVersion() throws {
        #if os(Linux)
        let dir = try TemporaryDirectory()
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var generator = SystemRandomNumberGenerator()
        var kills = 0

        for round in 1...4 {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: executable)
            child.arguments = ["RegistryTests.KillDuringRegistrationTests/testChildRegistersUntilKilled"]
            child.environment = ProcessInfo.processInfo.environment.merging([Self.childDatabase: dir.databasePath]) { _, new in new }
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()

            // Wait for two more commits, timing the second, then kill at a random point of the next registration.
            let start = try committedVersions(dir.databasePath)
            var lastCount = start, lastChange = Date(), interval = 0.0
            let waitUntil = Date().addingTimeInterval(30)
            while lastCount < start + 2 {
                guard child.isRunning, Date() < waitUntil else {
                    child.terminate()
                    return XCTFail("round \(round): the child stopped or stalled before registering two versions")
                }
                usleep(1_000)
                let count = try committedVersions(dir.databasePath)
                if count != lastCount {
                    interval = Date().timeIntervalSince(lastChange)
                    (lastCount, lastChange) = (count, Date())
                }
            }
            usleep(UInt32(Double.random(in: 0..<1, using: &generator) * interval * 1_000_000))
            XCTAssertEqual(kill(child.processIdentifier, SIGKILL), 0)
            child.waitUntilExit()
            XCTAssertEqual(child.terminationReason, .uncaughtSignal, "round \(round)")
            XCTAssertEqual(child.terminationStatus, SIGKILL, "round \(round)")
            kills += 1

            try checkEveryVersionIsWhole(dir.databasePath, round: round)
        }
        XCTAssertEqual(kills, 4)
        #else
        throw XCTSkip("the child process is started through /proc/self/exe, which only Linux has")
        #endif
    }

    private func committedVersions(_ path: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: path),
              let registry = try? ModelRegistry.openReadOnly(path: path) else { return 0 }
        return try registry.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM versions") ?? 0 }
    }

    /// Opens the registry as the next coordinator would (recovering the WAL) and checks each version.
    private func checkEveryVersionIsWhole(_ path: String, round: Int) throws {
        let registry = try ModelRegistry(path: path)
        let integrity = try registry.pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        XCTAssertEqual(integrity, ["ok"], "round \(round)")
        let foreignKeys = try registry.pool.read { db in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") }
        XCTAssertEqual(foreignKeys.count, 0, "round \(round)")

        let versions = try registry.versions(model: "churn")
        guard versions.count >= round * 2 else { return XCTFail("round \(round): only \(versions.count) versions survived") }
        XCTAssertEqual(versions.map(\.version), Array(1...versions.count), "round \(round): gap-free")
        let registered = try registry.history(model: "churn").filter { $0.action == "registered" }.compactMap(\.version)
        XCTAssertEqual(registered, versions.map(\.version), "round \(round): one registered event per version")

        let referenced = Set(versions.map { ($0.artifactPath as NSString).lastPathComponent })
        let files = FileManager.default.enumerator(atPath: registry.directory + "/artifacts")?.compactMap { $0 as? String } ?? []
        let leftovers = files.map { ($0 as NSString).lastPathComponent }.filter { $0.count > 8 && !referenced.contains($0) }
        print("round \(round): \(versions.count) whole versions; left behind by the kill: \(leftovers.filter { $0.hasPrefix(".tmp-") }.count) temp file(s), "
            + "\(leftovers.filter { !$0.hasPrefix(".tmp-") }.count) unreferenced artifact(s)")

        for version in versions {
            let label = "round \(round) \(version.reference)"
            XCTAssertEqual(version.metrics.count, 3, label)
            XCTAssertEqual(try registry.importance(model: "churn", version: version.version).count, Self.features, label)
            XCTAssertEqual(try registry.reports(model: "churn", version: version.version).count, 2, label)
            XCTAssertEqual(try registry.fairness(model: "churn", version: version.version)?.measures.count, 4, label)
            // artifact(model:version:) re-hashes the file and throws unless it matches the registered SHA-256
            XCTAssertEqual(try registry.artifact(model: "churn", version: version.version).count, Self.artifactBytes, label)
        }
    }
}
