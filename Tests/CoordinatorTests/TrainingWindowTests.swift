@testable import Coordinator
import Dataset
import Foundation
import XCTest

/// The rows a watch retraining reads: the window's cut of the original data and the batches, one
/// row per customer (the latest), and a batch missing a training column refused by name.
final class TrainingWindowTests: XCTestCase {
    private func write(_ csv: String, _ name: String, in directory: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func window(_ window: WatchConfig.Window, directory: String) throws -> TrainingWindow {
        var config = try ClusterConfig.parse("work_dir: w\n")
        config.data.source = .csv
        config.data.path = try write("user_id,x,region\n1,1.0,north\n2,2.0,south\n3,3.0,north\n4,4.0,east\n", "original.csv", in: directory)
        return TrainingWindow(config: config, window: window)
    }

    func testWindowsCutTheOriginalAndTheBatchesAndKeepTheLatestRowPerID() throws {
        let directory = NSTemporaryDirectory() + "training-window-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let first = try write("region,user_id,x,extra\nwest,5,5.0,a\nnorth,2,20.0,b\n", "b1.csv", in: directory)
        let second = try write("user_id,x,region\n6,6.0,south\n", "b2.csv", in: directory)

        let all = try window(.all, directory: directory).table(batches: [first, second])
        XCTAssertEqual(all.names, ["user_id", "x", "region"])
        XCTAssertEqual(try all.numeric("user_id"), [1, 3, 4, 5, 2, 6])
        XCTAssertEqual(try all.numeric("x"), [1, 3, 4, 5, 20, 6])

        let lastBatch = try window(.lastBatches(1), directory: directory)
        XCTAssertEqual(lastBatch.selected([first, second]), [second])
        XCTAssertEqual(try lastBatch.table(batches: lastBatch.selected([first, second])).rowCount, 5)

        let lastRows = try window(.lastRows(2), directory: directory).table(batches: [second])
        XCTAssertEqual(try lastRows.numeric("user_id"), [3, 4, 6])

        let missing = try write("user_id,x\n7,7.0\n", "b3.csv", in: directory)
        XCTAssertThrowsError(try window(.all, directory: directory).table(batches: [missing])) { error in
            XCTAssertTrue("\(error)".contains("b3.csv lacks column region"), "\(error)")
        }
    }
}
