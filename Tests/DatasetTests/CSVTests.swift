import Foundation
import TestSupport
import XCTest
@testable import Dataset

final class CSVTests: XCTestCase {
    private var directories: [TemporaryDirectory] = []

    private func temporaryDirectory() throws -> String {
        let directory = try TemporaryDirectory("csv")
        directories.append(directory)
        return directory.path
    }

    func testInfersNumericAndCategoricalColumns() throws {
        let table = try CSV.parse("id,score,city\n1,0.5,Oslo\n2,-3e2,Lima\n3,7,Oslo\n")
        XCTAssertEqual(table.names, ["id", "score", "city"])
        XCTAssertEqual(table.rowCount, 3)
        XCTAssertEqual(try table.column("id"), .numeric([1, 2, 3]))
        XCTAssertEqual(try table.column("score"), .numeric([0.5, -300, 7]))
        XCTAssertEqual(try table.column("city"), .categorical(codes: [0, 1, 0], levels: ["Oslo", "Lima"]))
    }

    func testOneNonNumberMakesAColumnCategorical() throws {
        let table = try CSV.parse("a\n1\n2\nx\n")
        XCTAssertEqual(try table.column("a"), .categorical(codes: [0, 1, 2], levels: ["1", "2", "x"]))
    }

    func testMissingMarkersInBothKinds() throws {
        let text = "n,c\n1,a\n,b\nNA,\nnan,NULL\n  null ,na\nNaN,a\n"
        let table = try CSV.parse(text)
        let values = try table.numeric("n")
        XCTAssertEqual(values[0], 1)
        XCTAssertTrue(values[1...].allSatisfy(\.isNaN), "\(values)")
        XCTAssertEqual(try table.column("c"), .categorical(codes: [0, 1, -1, -1, -1, 0], levels: ["a", "b"]))
    }

    func testAllMissingColumnIsNumeric() throws {
        let table = try CSV.parse("a,b\n,1\nNA,2\n")
        guard case .numeric(let values) = try table.column("a") else { return XCTFail("expected numeric") }
        XCTAssertTrue(values.allSatisfy(\.isNaN))
    }

    func testQuotedFieldsWithCommasQuotesAndNewlines() throws {
        let text = "name,note\n\"Smith, J\",\"said \"\"hi\"\"\"\n\"multi\nline\",plain\n\"\",\"x\"\n"
        let table = try CSV.parse(text)
        XCTAssertEqual(table.rowCount, 3)
        XCTAssertEqual(try table.column("name"), .categorical(codes: [0, 1, -1], levels: ["Smith, J", "multi\nline"]))
        XCTAssertEqual(try table.column("note"), .categorical(codes: [0, 1, 2], levels: ["said \"hi\"", "plain", "x"]))
    }

    /// Levels are found by bytes, but texts equal as Strings (quoted or not, composed or
    /// decomposed accents) share one level, and many levels keep first-seen order.
    func testCategoricalLevelsFollowStringEquality() throws {
        let composed = "Z\u{00FC}rich", decomposed = "Zu\u{0308}rich"
        let table = try CSV.parse("city\n\(composed)\n\"\(composed)\"\nBern\n\(decomposed)\n\"Be\"\"rn\"\nBern\n")
        XCTAssertEqual(try table.column("city"), .categorical(codes: [0, 0, 1, 0, 2, 1], levels: [composed, "Bern", "Be\"rn"]))
        let many = (0..<5000).map { "level\($0 % 1500)" }
        let wide = try CSV.parse("c\n" + many.joined(separator: "\n") + "\n")
        XCTAssertEqual(try wide.column("c"), .categorical(codes: (0..<5000).map { Int32($0 % 1500) }, levels: (0..<1500).map { "level\($0)" }))
    }

    /// Records are read in chunks; a column that turns out not to be numeric several chunks in
    /// still lists its levels in row order, and errors are the ones a whole-file reader gives.
    func testColumnTypesAndErrorsAcrossChunks() throws {
        let rows = 3 * CSVReader.chunkRows
        let late = 2 * CSVReader.chunkRows + 100
        var lines = ["n,t,q"]
        for r in 0..<rows { lines.append("\(r % 7),\(r == late ? "x" : r % 3 == 0 ? "" : "\(r % 5)"),\"\(r % 2)\"") }
        let table = try CSV.parse(lines.joined(separator: "\n"))
        XCTAssertEqual(try table.column("n"), .numeric((0..<rows).map { Double($0 % 7) }))
        guard case .categorical(let codes, let levels) = try table.column("t") else { return XCTFail("t must be categorical") }
        XCTAssertEqual(levels, ["1", "2", "4", "0", "3", "x"])
        XCTAssertEqual(codes[0], -1)
        XCTAssertEqual(codes[late], 5)
        XCTAssertEqual(levels[Int(codes[rows - 1])], "\((rows - 1) % 5)")
        XCTAssertEqual(try table.column("q"), .numeric((0..<rows).map { Double($0 % 2) }))

        var bad = lines
        bad[late + 1] = "1,oops,0"
        bad[2] = "1,2,zz"
        XCTAssertThrowsError(try CSV.parse(bad.joined(separator: "\n"), numeric: ["t", "q"])) { error in
            XCTAssertEqual("\(error)", "<string>:\(late + 2), column 2 (t): 'oops' is not a number", "the leftmost column's error")
        }
        bad[rows] = "1,2"
        XCTAssertThrowsError(try CSV.parse(bad.joined(separator: "\n"), numeric: ["t", "q"])) { error in
            XCTAssertEqual("\(error)", "<string>:\(rows + 1): row has 2 fields, header has 3", "a malformed record comes first")
        }
    }

    func testCRLFLineEndingsByteOrderMarkAndBlankLines() throws {
        let text = "\u{FEFF}a,b\r\n1,x\r\n\r\n2,\"y\r\nz\"\r\n3,w"
        let table = try CSV.parse(text)
        XCTAssertEqual(table.names, ["a", "b"])
        XCTAssertEqual(try table.column("a"), .numeric([1, 2, 3]))
        XCTAssertEqual(try table.column("b"), .categorical(codes: [0, 1, 2], levels: ["x", "y\r\nz", "w"]))
    }

    func testNumberGrammar() throws {
        func parse(_ text: String) -> Double? {
            var text = text
            return text.withUTF8 { CSVCell.parseDouble($0) }
        }
        XCTAssertEqual(parse("42"), 42)
        XCTAssertEqual(parse(" -0.25 "), -0.25)
        XCTAssertEqual(parse("+.5"), 0.5)
        XCTAssertEqual(parse("5."), 5)
        XCTAssertEqual(parse("1E-3"), 0.001)
        XCTAssertEqual(parse("inf"), .infinity)
        XCTAssertEqual(parse("-Infinity"), -.infinity)
        XCTAssertEqual(parse("0.1"), 0.1)
        XCTAssertEqual(parse("123456789012345678901234"), 123456789012345678901234.0)
        XCTAssertEqual(parse("2.2250738585072014e-308"), 2.2250738585072014e-308)
        XCTAssertEqual(parse("0.30000000000000004"), 0.30000000000000004)
        XCTAssertEqual(parse("9007199254740993"), 9007199254740992)
        XCTAssertEqual(parse("1e400"), .infinity)
        for bad in ["", "-", ".", "e5", "1e", "1e+", "1.2.3", "0x10", "1,5", "12a", "--1", "infinit", "nan"] {
            XCTAssertNil(parse(bad), "'\(bad)' should not parse")
        }
    }

    func testNumbersMatchSwiftParsing() {
        var random = SeededRandom(seed: 7)
        for _ in 0..<2_000 {
            let value = random.normal() * Foundation.pow(10, Double(random.index(below: 40)) - 20)
            for text in [value.description, String(format: "%.6g", value), String(format: "%.3f", value)] {
                var copy = text
                let parsed = copy.withUTF8 { CSVCell.parseDouble($0) }
                XCTAssertEqual(parsed, Double(text), text)
            }
        }
    }

    func testRoundTripKeepsEveryDoubleExactly() throws {
        var random = SeededRandom(seed: 3)
        let values = (0..<500).map { i -> Double in
            switch i % 5 {
            case 0: return random.normal() * 1e6
            case 1: return random.uniform() / 3
            case 2: return Double(random.index(below: 1_000_000)) - 500_000
            case 3: return i % 10 == 3 ? .nan : random.logNormal(mu: 0, sigma: 20)
            default: return [0.1, -0.0, 1e-300, .leastNonzeroMagnitude, .infinity, -.infinity, .greatestFiniteMagnitude, 9007199254740994][i % 8]
            }
        }
        let table = try Table(names: ["x", "label, quoted", "id"], columns: [
            .numeric(values),
            .categorical(codes: (0..<500).map { Int32($0 % 4) - 1 }, levels: ["plain", "with \"quotes\"", "multi\nline, comma"]),
            .numeric((0..<500).map(Double.init)),
        ])
        let back = try CSV.parse(CSV.render(table))
        XCTAssertEqual(back, table)
        guard case .numeric(let parsed) = try back.column("x") else { return XCTFail("x should be numeric") }
        for (a, b) in zip(values, parsed) where !a.isNaN {
            XCTAssertEqual(a.bitPattern, b.bitPattern, "\(a) came back as \(b)")
        }
    }

    func testRenderFormatsNumbersCompactly() throws {
        let table = try Table(names: ["v"], columns: [.numeric([1, -2, 0.1, 1e-7, .nan, 2.5e20])])
        XCTAssertEqual(CSV.render(table), "v\n1\n-2\n0.1\n1e-07\n\"\"\n2.5e+20\n")
    }

    func testSingleColumnWithMissingValuesRoundTrips() throws {
        let table = try Table(names: ["v"], columns: [.numeric([1, .nan, 3])])
        XCTAssertEqual(try CSV.parse(CSV.render(table)), table)
        let categorical = try Table(names: ["c"], columns: [.categorical(codes: [0, -1, 0], levels: ["a"])])
        XCTAssertEqual(try CSV.parse(CSV.render(categorical)), categorical)
    }

    func testWriteAndReadAFile() throws {
        let directory = try temporaryDirectory()
        let path = (directory as NSString).appendingPathComponent("t.csv")
        let table = try Table(names: ["a", "b"], columns: [.numeric([1.5, .nan]), .categorical(codes: [1, 0], levels: ["x", "y"])])
        try CSV.write(table, to: path)
        let back = try CSV.read(path: path)
        // Levels come back in first-seen order.
        XCTAssertEqual(try back.column("b"), .categorical(codes: [0, 1], levels: ["y", "x"]))
        XCTAssertEqual(try back.column("a"), .numeric([1.5, .nan]))
    }

    func testForcingColumnTypes() throws {
        let text = "zip,amount\n01234,3\n98765,4\n"
        let table = try CSV.parse(text, categorical: ["zip"])
        XCTAssertEqual(try table.column("zip"), .categorical(codes: [0, 1], levels: ["01234", "98765"]))
        XCTAssertEqual(try CSV.parse(text, numeric: ["amount"]).column("amount"), .numeric([3, 4]))
        XCTAssertThrowsError(try CSV.parse(text, categorical: ["zip"], numeric: ["zip"])) { error in
            XCTAssertTrue("\(error)".contains("both"), "\(error)")
        }
    }

    func testForcedNumericColumnNamesLineColumnAndValue() throws {
        let text = "id,name,age\n1,a,30\n2,\"b\nc\",31\n3,d,abc\n"
        XCTAssertThrowsError(try CSV.parse(text, source: "customers.csv", numeric: ["age"])) { error in
            guard let error = error as? CSVError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.line, 5)
            XCTAssertEqual(error.column, 3)
            XCTAssertEqual(error.columnName, "age")
            XCTAssertEqual(error.description, "customers.csv:5, column 3 (age): 'abc' is not a number")
            XCTAssertEqual(error.errorDescription, error.description)
        }
    }

    func testForcedNumericErrorInsideAMultiLineRecord() throws {
        let text = "a,b\n\"x\ny\",oops\n"
        XCTAssertThrowsError(try CSV.parse(text, numeric: ["b"])) { error in
            XCTAssertEqual((error as? CSVError)?.line, 3, "\(error)")
        }
    }

    func testRaggedRowNamesLineAndCounts() throws {
        let text = "a,b,c\n1,2,3\n4,5\n"
        XCTAssertThrowsError(try CSV.parse(text, source: "customers.csv")) { error in
            guard let error = error as? CSVError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.line, 3)
            XCTAssertEqual(error.description, "customers.csv:3: row has 2 fields, header has 3")
        }
        XCTAssertThrowsError(try CSV.parse("a\n1\n2,3\n")) { error in
            XCTAssertEqual("\(error)", "<string>:3: row has 2 fields, header has 1")
        }
    }

    func testUnterminatedQuoteNamesTheLineWhereItOpened() throws {
        let text = "a,b\n1,2\n3,\"never closed\n4,5\n6,7\n"
        XCTAssertThrowsError(try CSV.parse(text, source: "f.csv")) { error in
            guard let error = error as? CSVError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.line, 3)
            XCTAssertTrue(error.description.hasPrefix("f.csv:3: unterminated quoted field"), error.description)
        }
    }

    func testTextAfterClosingQuoteIsRefused() throws {
        XCTAssertThrowsError(try CSV.parse("a,b\n1,\"x\"y\n")) { error in
            guard let error = error as? CSVError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.line, 2)
            XCTAssertEqual(error.column, 2)
        }
    }

    func testEmptyInputAndDuplicateHeaders() throws {
        for empty in ["", "\n\n", "\u{FEFF}"] {
            XCTAssertThrowsError(try CSV.parse(empty, source: "e.csv")) { error in
                XCTAssertTrue("\(error)".contains("empty"), "\(error)")
            }
        }
        XCTAssertThrowsError(try CSV.parse("a,b,a\n1,2,3\n")) { error in
            guard let error = error as? CSVError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.line, 1)
            XCTAssertEqual(error.column, 3)
            XCTAssertEqual(error.columnName, "a")
            XCTAssertTrue(error.message.contains("duplicate"), error.message)
        }
    }

    func testHeaderOnlyGivesEmptyTable() throws {
        let table = try CSV.parse("a,b\n")
        XCTAssertEqual(table.names, ["a", "b"])
        XCTAssertEqual(table.rowCount, 0)
    }

    func testMissingFileIsAClearError() {
        XCTAssertThrowsError(try CSV.read(path: "/nonexistent/engage/x.csv")) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/engage/x.csv: cannot read the file"), "\(error)")
        }
    }

    func testTrailingCommaMeansAnEmptyLastField() throws {
        let table = try CSV.parse("a,b\n1,\n2,3\n")
        XCTAssertEqual(try table.column("b"), .numeric([.nan, 3]))
    }
}
