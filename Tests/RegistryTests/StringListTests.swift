@testable import Registry
import XCTest

final class StringListTests: XCTestCase {
    func testPlainArraysAreScannedDirectly() {
        XCTAssertEqual(StringList.scan("[]"), [])
        XCTAssertEqual(StringList.scan(#" [ "aa11" , "bb22" ] "#), ["aa11", "bb22"])
        XCTAssertEqual(StringList.scan(#"["été","日本"]"#), ["été", "日本"])
        XCTAssertEqual(StringList.scan(#"[""]"#), [""])
    }

    func testAnythingElseIsLeftToTheJSONDecoder() throws {
        for text in [#"["a\"b"]"#, #"["a",]"#, #"["a""#, #"["a"] x"#, "{}", "", #"[1]"#, #"["a" "b"]"#] {
            XCTAssertNil(StringList.scan(text), text)
        }
        XCTAssertEqual(try StringList.decode(#"["a\"b","c\\d"]"#, column: "c"), ["a\"b", "c\\d"])
        XCTAssertThrowsError(try StringList.decode(#"["a"#, column: "versions.shard_ids")) { error in
            XCTAssertTrue("\(error)".contains("versions.shard_ids"), "\(error)")
        }
    }
}
