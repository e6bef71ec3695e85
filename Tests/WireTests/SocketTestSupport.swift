import Foundation
import XCTest
@testable import Wire

/// Generous wait for a message that must arrive; tests never depend on it being short.
let arrivalTimeoutMs: Int32 = 5000
/// How long to watch for a message that must not arrive.
let silenceTimeoutMs: Int32 = 300

/// Binds a socket to a loopback port chosen by the system and returns its endpoint.
func bindLoopback(_ socket: ZMQSocket, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    try socket.bind("tcp://127.0.0.1:*")
    let endpoint = try XCTUnwrap(socket.lastEndpoint, file: file, line: line)
    XCTAssertTrue(endpoint.hasPrefix("tcp://127.0.0.1:"), endpoint, file: file, line: line)
    XCTAssertFalse(endpoint.hasSuffix(":*"), endpoint, file: file, line: line)
    return endpoint
}

/// Bytes 0, 1, …, 255, 0, … so that a shifted or truncated copy never compares equal.
func patternedData(count: Int, seed: UInt8 = 0) -> Data {
    var data = Data(count: count)
    data.withUnsafeMutableBytes { raw in
        let bytes = raw.bindMemory(to: UInt8.self)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index) &+ seed }
    }
    return data
}
