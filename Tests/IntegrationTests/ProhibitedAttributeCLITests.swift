import Foundation
import TestSupport
import XCTest

/// `engage train` refuses a prohibited attribute as a feature whatever its spelling, and names the column.
final class ProhibitedAttributeCLITests: XCTestCase {
    func testTrainRefusesAProhibitedColumnInAnyCase() throws {
        let engage = try EngageBinary.locate()
        for column in ["Race", "Marital_Status", "religion"] {
            let directory = try makeTemporaryDirectory("prohibited")
            let rows = (0..<20).map { "\($0 % 7),\($0 % 3),\($0 % 2)" }.joined(separator: "\n")
            try "days_since_login,\(column),churn_30_day\n\(rows)\n"
                .write(toFile: (directory as NSString).appendingPathComponent("train.csv"), atomically: true, encoding: .utf8)
            let result = try engage.run(["train", "--objective", "binary", "--target", "churn_30_day", "--train", "train.csv",
                                         "--trees", "2", "--out", "model"], in: directory)
            XCTAssertNotEqual(result.status, 0, result.output)
            XCTAssertTrue(result.output.contains("prohibited attribute \(column) may not be used as features"), result.output)
        }
    }
}
