import Foundation
import Registry
import TestSupport
import XCTest

final class ArtifactTests: XCTestCase {
    func testArtifactRoundTripsByteForByte() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        var input = Sample.version()
        input.artifact = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let stored = try registry.register(input)

        XCTAssertEqual(stored.artifactBytes, 70_000)
        XCTAssertEqual(try registry.artifact(model: "churn", version: 1), input.artifact)
        XCTAssertEqual(try Data(contentsOf: registry.artifactURL(of: stored)), input.artifact)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: registry.directory + "/artifacts/" + stored.artifactSHA256.prefix(2))
        XCTAssertFalse(leftovers.contains { $0.hasPrefix(".tmp-") }, "\(leftovers)")
    }

    func testCorruptArtifactIsDetected() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        let stored = try registry.register(Sample.version(artifact: "pristine model bytes"))
        let path = registry.artifactURL(of: stored).path

        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 3)
        try handle.write(contentsOf: Data("X".utf8))
        try handle.close()

        assertThrows(try registry.artifact(model: "churn", version: 1)) { error in
            guard case .artifactCorrupt(let reported, let expected, let actual) = error as? RegistryError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(reported, path)
            XCTAssertEqual(expected, stored.artifactSHA256)
            XCTAssertNotEqual(actual, expected)
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains(expected) && "\(error)".contains(actual))
        }
    }

    func testMissingArtifactIsReported() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        let stored = try registry.register(Sample.version())
        try FileManager.default.removeItem(at: registry.artifactURL(of: stored))

        assertThrows(try registry.artifact(model: "churn", version: 1)) { error in
            XCTAssertEqual(error as? RegistryError, .artifactMissing(registry.artifactURL(of: stored).path))
        }
    }

    func testTruncatedArtifactIsRewrittenByTheNextRegistration() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        let stored = try registry.register(Sample.version(artifact: "complete artifact"))
        try Data("comp".utf8).write(to: registry.artifactURL(of: stored))

        try registry.register(Sample.version(artifact: "complete artifact"))
        XCTAssertEqual(try registry.artifact(model: "churn", version: 1), Data("complete artifact".utf8))
    }
}
