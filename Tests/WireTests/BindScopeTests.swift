import XCTest
@testable import Wire

final class BindScopeTests: XCTestCase {
    func testLoopbackAndHostLocalTransportsAreLocal() {
        for endpoint in ["tcp://127.0.0.1:5555", "tcp://127.0.0.1:*", "tcp://127.8.9.10:1", "tcp://localhost:5555", "tcp://[::1]:5555",
                         "tcp://lo:5555", "ipc:///tmp/engage.sock", "inproc://engage"] {
            XCTAssertEqual(BindScope(endpoint: endpoint), .local, endpoint)
        }
    }

    func testEveryOtherAddressIsANetworkBind() {
        let cases = ["tcp://0.0.0.0:5555": "0.0.0.0", "tcp://*:5555": "*", "tcp://10.0.0.5:5555": "10.0.0.5", "tcp://eth0:5555": "eth0",
                     "tcp://[::]:5555": "::", "tcp://128.0.0.1:5555": "128.0.0.1", "tcp://127.0.0.1.evil:5555": "127.0.0.1.evil",
                     "tcp://1270.0.0.1:1": "1270.0.0.1"]
        for (endpoint, host) in cases {
            XCTAssertEqual(BindScope(endpoint: endpoint), .network(host: host), endpoint)
        }
        XCTAssertFalse(BindScope(endpoint: "pgm://eth0;239.192.1.1:5555").isLocal)
        XCTAssertFalse(BindScope(endpoint: "nonsense").isLocal)
    }
}
