import Foundation
@testable import Registry
import XCTest

final class StoredDateTests: XCTestCase {
    func testEncodingIsFixedWidthUTCWithMilliseconds() {
        XCTAssertEqual(StoredDate.encode(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(StoredDate.encode(Date(timeIntervalSince1970: 1_700_000_000.1234)), "2023-11-14T22:13:20.123Z")
        XCTAssertEqual(StoredDate.encode(Date(timeIntervalSince1970: -0.5)), "1969-12-31T23:59:59.500Z")
    }

    func testDecodingInvertsEncodingOfNormalizedDates() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<1000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let seconds = Double(state >> 11) / Double(1 << 53) * 4_000_000_000 - 1_000_000_000
            let date = StoredDate.normalized(Date(timeIntervalSince1970: seconds))
            XCTAssertEqual(StoredDate.decode(StoredDate.encode(date)), date, "\(seconds)")
            XCTAssertEqual(StoredDate.normalized(date), date)
        }
    }

    func testMalformedTextIsRejected() {
        for text in ["", "2023-11-14 22:13:20.123", "2023-11-14T22:13:20.123", "2023-1x-14T22:13:20.123Z"] {
            XCTAssertNil(StoredDate.decode(text), text)
        }
    }
}
