import Foundation
import TestSupport
import XCTest

/// `engage train --test` explains on samples whose size the flags set, and `--no-explanations` skips them.
final class TrainExplanationsCLITests: XCTestCase {
    private struct Importance: Decodable {
        let feature: String
        let permutation: Double
        let meanAbsSHAP: Double
    }

    private func train(_ flags: [String]) throws -> [String: Importance] {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("explanations")
        func write(_ name: String, rows: Range<Int>) throws {
            let lines = rows.map { i -> String in
                let signal = Double((i * 37) % 100) / 100
                return "\(signal),\((i * 11) % 7),\(signal + Double(i % 5) / 20 > 0.6 ? 1 : 0)"
            }
            try ("signal,noise,label\n" + lines.joined(separator: "\n") + "\n")
                .write(toFile: (directory as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try write("train.csv", rows: 0..<400)
        try write("test.csv", rows: 400..<600)
        let result = try engage.run(["train", "--objective", "binary", "--target", "label", "--train", "train.csv", "--test", "test.csv",
                                     "--trees", "20", "--min-data-in-leaf", "5", "--out", "model"] + flags, in: directory)
        XCTAssertEqual(result.status, 0, result.output)
        let data = try Data(contentsOf: URL(fileURLWithPath: (directory as NSString).appendingPathComponent("model/importance.json")))
        return Dictionary(uniqueKeysWithValues: try JSONDecoder().decode([Importance].self, from: data).map { ($0.feature, $0) })
    }

    func testExplanationFlags() throws {
        let full = try train(["--shap-rows", "100"])
        XCTAssertGreaterThan(try XCTUnwrap(full["signal"]).permutation, 0)
        XCTAssertGreaterThan(try XCTUnwrap(full["signal"]).meanAbsSHAP, 0)
        let byDefault = try train([])
        XCTAssertGreaterThan(try XCTUnwrap(byDefault["signal"]).permutation, 0)
        XCTAssertEqual(try XCTUnwrap(byDefault["signal"]).meanAbsSHAP, 0, "TreeSHAP is opt-in for engage train")
        let noSHAP = try train(["--shap-rows", "0", "--permutation-rows", "50"])
        XCTAssertGreaterThan(try XCTUnwrap(noSHAP["signal"]).permutation, 0)
        XCTAssertEqual(try XCTUnwrap(noSHAP["signal"]).meanAbsSHAP, 0)
        let none = try train(["--no-explanations"])
        XCTAssertEqual(none.values.map(\.permutation), [0, 0])
        XCTAssertEqual(none.values.map(\.meanAbsSHAP), [0, 0])
    }
}
