import Foundation
@testable import Wire
import XCTest

/// The optional `peakRSSBytes` field of HEARTBEAT and RESULT, and the measurement behind it.
final class PeakRSSTests: XCTestCase {
    private func header(_ json: String) -> Envelope { Envelope(command: .heartbeat, header: Data(json.utf8)) }

    func testHeartbeatAndResultCarryThePeakAndOmitItWhenUnknown() throws {
        let beat = Envelope.make(.heartbeat, HeartbeatHeader(workerID: "w1", busyJobs: ["a"], peakRSSBytes: 123_456_789))
        XCTAssertEqual(String(decoding: beat.header, as: UTF8.self), #"{"busyJobs":["a"],"peakRSSBytes":123456789,"workerID":"w1"}"#)
        let decoded = try beat.decodeHeader(HeartbeatHeader.self)
        XCTAssertEqual(decoded.peakRSS.bytes, 123_456_789)
        XCTAssertFalse(decoded.peakRSS.malformed)
        XCTAssertEqual(decoded, HeartbeatHeader(workerID: "w1", busyJobs: ["a"], peakRSSBytes: 123_456_789))

        let result = Envelope.make(.result, ResultHeader(jobID: "j", attempt: 2, seconds: 1.5, report: Data("{}".utf8), peakRSSBytes: 42),
                                   payload: Data())
        let back = try result.decodeHeader(ResultHeader.self)
        XCTAssertEqual(back.peakRSS.bytes, 42)
        XCTAssertEqual(back.report, Data("{}".utf8))
        XCTAssertEqual(back.attempt, 2)

        let unknown = Envelope.make(.heartbeat, HeartbeatHeader(workerID: "w1", busyJobs: []))
        XCTAssertFalse(String(decoding: unknown.header, as: UTF8.self).contains("peakRSSBytes"), "an unknown peak is left out, not sent as null")
    }

    func testAHeaderFromAnOlderWorkerWithoutTheFieldStillDecodes() throws {
        let old = try header(#"{"busyJobs":[],"workerID":"w"}"#).decodeHeader(HeartbeatHeader.self)
        XCTAssertNil(old.peakRSS.bytes)
        XCTAssertFalse(old.peakRSS.malformed)
        let null = try header(#"{"busyJobs":[],"peakRSSBytes":null,"workerID":"w"}"#).decodeHeader(HeartbeatHeader.self)
        XCTAssertNil(null.peakRSS.bytes)
        XCTAssertFalse(null.peakRSS.malformed)
        let result = try Envelope(command: .result, header: Data(#"{"attempt":1,"jobID":"j","seconds":0.5}"#.utf8), payload: Data())
            .decodeHeader(ResultHeader.self)
        XCTAssertNil(result.peakRSS.bytes)
        XCTAssertNil(result.report)
    }

    func testAMalformedValueIsDroppedAloneAndTheRestOfTheHeaderStands() throws {
        for value in [#""lots""#, "-1", "1.5", "[1]", "{}", "true", "1e30"] {
            let beat = try header(#"{"busyJobs":["job-1"],"peakRSSBytes":\#(value),"workerID":"w"}"#).decodeHeader(HeartbeatHeader.self)
            XCTAssertNil(beat.peakRSS.bytes, value)
            XCTAssertTrue(beat.peakRSS.malformed, value)
            XCTAssertEqual(beat.busyJobs, ["job-1"], value)
            let result = try Envelope(command: .result, header: Data(#"{"attempt":3,"jobID":"j","peakRSSBytes":\#(value),"seconds":2}"#.utf8),
                                      payload: Data()).decodeHeader(ResultHeader.self)
            XCTAssertTrue(result.peakRSS.malformed, value)
            XCTAssertEqual(result.attempt, 3, value)
        }
    }

    func testResultCarriesItsCPUAndInputSecondsAndDropsBadOnes() throws {
        let result = Envelope.make(.result, ResultHeader(jobID: "j", attempt: 1, seconds: 2.5, report: nil, cpuSeconds: 2.25, inputSeconds: 0.125),
                                   payload: Data())
        let back = try result.decodeHeader(ResultHeader.self)
        XCTAssertEqual(back.cpuSeconds, 2.25)
        XCTAssertEqual(back.inputSeconds, 0.125)
        XCTAssertNil(ResultHeader(jobID: "j", attempt: 1, seconds: 1, report: nil, cpuSeconds: .nan, inputSeconds: -1).cpuSeconds)
        for value in [#""fast""#, "-0.5", "null", "[1]"] {
            let odd = try Envelope(command: .result, header: Data(#"{"attempt":1,"cpuSeconds":\#(value),"inputSeconds":\#(value),"jobID":"j","seconds":2}"#.utf8),
                                   payload: Data()).decodeHeader(ResultHeader.self)
            XCTAssertNil(odd.cpuSeconds, value)
            XCTAssertNil(odd.inputSeconds, value)
            XCTAssertEqual(odd.seconds, 2, value)
        }
        let old = try Envelope(command: .result, header: Data(#"{"attempt":1,"jobID":"j","seconds":0.5}"#.utf8), payload: Data())
            .decodeHeader(ResultHeader.self)
        XCTAssertNil(old.cpuSeconds)
    }

    func testCPUTimeGrowsWithWork() {
        let process = CPUTime.processSeconds(), thread = CPUTime.threadSeconds()
        var x = 0.0
        for i in 0..<3_000_000 { x += Double(i).squareRoot() }
        XCTAssertGreaterThan(x, 0)
        XCTAssertGreaterThan(CPUTime.threadSeconds(), thread)
        XCTAssertGreaterThanOrEqual(CPUTime.processSeconds() - process, CPUTime.threadSeconds() - thread - 0.01)
    }

    func testAHeaderMissingARequiredFieldIsStillMalformed() {
        XCTAssertThrowsError(try header(#"{"peakRSSBytes":5,"workerID":"w"}"#).decodeHeader(HeartbeatHeader.self)) { error in
            XCTAssertEqual((error as? ProtocolError)?.kind, ProtocolError.malformedHeader("").kind)
        }
    }

    func testHighWaterMarkReadsVmHWMInKilobytes() {
        XCTAssertEqual(PeakRSS.highWaterMark(status: "Name:\tengage\nVmPeak:\t  900 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 1024 kB\n"), 2048 * 1024)
        XCTAssertNil(PeakRSS.highWaterMark(status: "Name:\tengage\nVmRSS:\t 1024 kB\n"))
        XCTAssertEqual(PeakRSS.highWaterMark(status: "VmHWM:\t339864 kB\n"), 339_864 * 1024, "a tab alone after the colon, as Linux writes it")
        XCTAssertNil(PeakRSS.highWaterMark(status: "VmHWM:\t lots kB\n"))
    }

    func testThePeakOfThisProcessGrowsWhenItTouchesMemory() throws {
        func residentNow() throws -> UInt64 {
            let status = try XCTUnwrap(PeakRSS.procStatus())
            let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
            return try XCTUnwrap(UInt64(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1])) * 1024
        }
        let resident = try residentNow()
        let size = 256 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
        defer { block.deallocate() }
        for offset in stride(from: 0, to: size, by: 4096) { block.storeBytes(of: UInt8(offset & 0xff), toByteOffset: offset, as: UInt8.self) }
        let peak = try XCTUnwrap(PeakRSS.currentBytes())
        XCTAssertGreaterThanOrEqual(peak, resident + UInt64(size) * 9 / 10, "256 MiB touched on top of the resident set must show in the peak")
    }
}
