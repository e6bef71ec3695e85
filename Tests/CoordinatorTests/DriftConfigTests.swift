import Coordinator
import Dataset
import XCTest

final class DriftConfigTests: XCTestCase {
    func testTheDriftSectionIsReadAndDefaultsOtherwise() throws {
        XCTAssertEqual(try ClusterConfig.parse("work_dir: w\n").drift, DriftThresholds())
        let config = try ClusterConfig.parse("drift:\n  alpha: 0.01\n  psi_threshold: 0.25\n  drifted_share: 0.3\n  correction: bh\n  bins: 20\n")
        XCTAssertEqual(config.drift, DriftThresholds(alpha: 0.01, psiThreshold: 0.25, driftedShare: 0.3, correction: .bh, bins: 20))
    }

    func testTheDriftSectionIsStrict() {
        let cases = [
            ("drift:\n  alpah: 0.01\n", "drift.alpah"),
            ("drift:\n  alpha: 1.5\n", "drift.alpha"),
            ("drift:\n  correction: holm\n", "drift.correction"),
            ("drift:\n  bins: 1\n", "drift.bins"),
            ("drift: 3\n", "drift"),
        ]
        for (text, key) in cases {
            XCTAssertThrowsError(try ClusterConfig.parse(text, file: "c.yaml"), text) { error in
                XCTAssertTrue(String(describing: error).contains(key), "\(error)")
                XCTAssertTrue(String(describing: error).contains("c.yaml"), "\(error)")
            }
        }
    }
}
