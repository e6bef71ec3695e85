import Foundation
import TestSupport
import XCTest

/// `engage drift` through the real binary: its exit status is the contract schedulers read.
final class DriftCLITests: XCTestCase {
    /// Rows of `a` (bell-shaped), `b` (uniform), `plan` (three levels) from a seeded generator; `shift` moves `b`.
    private func write(_ path: String, rows: Int, seed: UInt64, shift: Double = 0, header: String = "a,b,plan") throws {
        var state = seed
        func draw() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) * 0x1p-53
        }
        var text = header + "\n"
        for _ in 0..<rows {
            let a = draw() + draw() + draw() - 1.5, b = draw() * 10 + shift
            let plan = ["basic", "plus", "pro"][Int(draw() * 3)]
            text += "\(a),\(b),\(plan)\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func testCleanDataExitsZeroShiftedDataExitsOneWithTheShiftedColumnFirst() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("drift")
        try write(directory + "/ref.csv", rows: 3000, seed: 1)
        try write(directory + "/clean.csv", rows: 2000, seed: 2)
        try write(directory + "/shifted.csv", rows: 2000, seed: 3, shift: 1.5)

        let clean = try engage.run(["drift", "--reference", "ref.csv", "--data", "clean.csv"], in: directory)
        XCTAssertEqual(clean.status, 0, clean.output)
        XCTAssertTrue(clean.output.contains("dataset drift: no"), clean.output)

        let shifted = try engage.run(["drift", "--reference", "ref.csv", "--data", "shifted.csv", "--drifted-share", "0.3", "--json"], in: directory)
        XCTAssertEqual(shifted.status, 1, shifted.output)
        XCTAssertFalse(shifted.output.lowercased().contains("nan"), shifted.output)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(shifted.output.utf8)) as? [String: Any], shifted.output)
        let features = try XCTUnwrap(report["features"] as? [[String: Any]])
        XCTAssertEqual(features.map { $0["feature"] as? String }, ["b", "a", "plan"])
        XCTAssertEqual(features.map { $0["drifted"] as? Bool }, [true, false, false])
        XCTAssertEqual(report["drifted"] as? Bool, true)

        try "drift:\n  drifted_share: 0.9\n".write(toFile: directory + "/cluster.yaml", atomically: true, encoding: .utf8)
        let lenient = try engage.run(["drift", "--reference", "ref.csv", "--data", "shifted.csv", "--config", "cluster.yaml"], in: directory)
        XCTAssertEqual(lenient.status, 0, "1 of 3 features < 0.9:\n\(lenient.output)")
        let table = lenient.output.split(separator: "\n").filter { $0.hasPrefix("b ") || $0.hasPrefix("a ") || $0.hasPrefix("plan ") }
        XCTAssertEqual(table.first?.hasPrefix("b "), true, lenient.output)
        let overridden = try engage.run(["drift", "--reference", "ref.csv", "--data", "shifted.csv", "--config", "cluster.yaml",
                                         "--drifted-share", "0.3"], in: directory)
        XCTAssertEqual(overridden.status, 1, "the flag overrides the file:\n\(overridden.output)")
    }

    func testBadInputExitsTwoNamingTheFileAndColumn() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("drift-bad")
        try write(directory + "/ref.csv", rows: 200, seed: 1)
        try write(directory + "/renamed.csv", rows: 200, seed: 2, header: "a,b,tier")
        try "a,b,plan\n1,x,basic\n2,y,pro\n".write(toFile: directory + "/text.csv", atomically: true, encoding: .utf8)

        let missing = try engage.run(["drift", "--reference", "ref.csv", "--data", "renamed.csv"], in: directory)
        XCTAssertEqual(missing.status, 2, missing.output)
        XCTAssertTrue(missing.output.contains("renamed.csv has no column 'plan'"), missing.output)

        let mismatched = try engage.run(["drift", "--reference", "ref.csv", "--data", "text.csv"], in: directory)
        XCTAssertEqual(mismatched.status, 2, mismatched.output)
        XCTAssertTrue(mismatched.output.contains("column 'b' is numeric in ref.csv but text in text.csv"), mismatched.output)

        let usage = try engage.run(["drift", "--reference", "ref.csv"], in: directory)
        XCTAssertEqual(usage.status, 2, usage.output)
        let badFlag = try engage.run(["drift", "--reference", "ref.csv", "--data", "ref.csv", "--correction", "holm"], in: directory)
        XCTAssertEqual(badFlag.status, 2, badFlag.output)
        try "drift:\n  alpha: 2\n".write(toFile: directory + "/cluster.yaml", atomically: true, encoding: .utf8)
        let badConfig = try engage.run(["drift", "--reference", "ref.csv", "--data", "ref.csv", "--config", "cluster.yaml"], in: directory)
        XCTAssertEqual(badConfig.status, 2, badConfig.output)
        XCTAssertTrue(badConfig.output.contains("drift.alpha"), badConfig.output)
    }
}
