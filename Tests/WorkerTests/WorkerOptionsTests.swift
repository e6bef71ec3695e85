import Foundation
import XCTest
@testable import Worker

final class WorkerOptionsTests: XCTestCase {
    /// A grant from the coordinator raises a job's threads, never above the host's cores, and a
    /// grant below the worker's own or a nonsense one is ignored.
    func testAJobUsesTheCoordinatorsGrantUpToTheHostsCores() {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let options = WorkerOptions(endpoint: "tcp://127.0.0.1:1", workerID: "w", threads: 1, cacheDirectory: "/tmp")
        XCTAssertEqual(options.threads(grantedByCoordinator: nil), 1)
        XCTAssertEqual(options.threads(grantedByCoordinator: 0), 1)
        XCTAssertEqual(options.threads(grantedByCoordinator: -3), 1)
        XCTAssertEqual(options.threads(grantedByCoordinator: 2), min(2, max(1, cores)))
        XCTAssertEqual(options.threads(grantedByCoordinator: cores + 7), max(1, cores))
    }
}
