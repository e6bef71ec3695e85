import Foundation
import XCTest
@testable import Dataset

/// The drift statistics against scipy's and numpy's answers in `Fixtures/drift/` (written by
/// `bench/drift_fixtures.py`, which states the functions and options matched).
final class DriftAgreementTests: XCTestCase {
    private static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/drift")

    func testEveryFixtureAgreesWithScipy() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 24)
        var worst: [String: (difference: Double, fixture: String)] = [:]
        func check(_ name: String, _ actual: Double?, _ expected: Double, tolerance: Double, _ fixture: String) {
            guard let actual else { return XCTFail("\(fixture): \(name) is undefined, scipy says \(expected)") }
            let difference = abs(actual - expected) / max(1, abs(expected))
            if difference > (worst[name]?.difference ?? -1) { worst[name] = (difference, fixture) }
            XCTAssertLessThanOrEqual(difference, tolerance, "\(fixture): \(name) = \(actual), scipy/numpy \(expected)")
        }
        for file in files {
            let fixture = try Fixture(url: Self.directory.appendingPathComponent(file))
            let name = String(file.dropLast(5))
            switch fixture.kind {
            case "numeric":
                let a = try fixture.sample("reference"), b = try fixture.sample("current")
                XCTAssertEqual([a.count, b.count], fixture.sizes, name)
                let ks = try XCTUnwrap(KolmogorovSmirnov.test(a, b), name)
                XCTAssertEqual(ks.method.rawValue, try fixture.expectedText("ks_method"), name)
                check("ks_statistic", ks.statistic, try fixture.expected("ks_statistic"), tolerance: 1e-9, name)
                check("ks_pvalue", ks.pValue, try fixture.expected("ks_pvalue"), tolerance: 1e-9, name)
                let psi = PopulationStabilityIndex.numeric(reference: a, current: b, bins: fixture.bins)
                check("psi", psi?.value, try fixture.expected("psi"), tolerance: 1e-12, name)
            case "categorical":
                let a = try fixture.counts("reference"), b = try fixture.counts("current")
                let chi2 = try XCTUnwrap(ChiSquaredTest.test(reference: a, current: b), name)
                XCTAssertEqual(Double(chi2.degreesOfFreedom), try fixture.expected("chi2_dof"), name)
                check("chi2_statistic", chi2.statistic, try fixture.expected("chi2_statistic"), tolerance: 1e-9, name)
                check("chi2_pvalue", chi2.pValue, try fixture.expected("chi2_pvalue"), tolerance: 1e-9, name)
                check("psi", PopulationStabilityIndex.categorical(reference: a, current: b)?.value, try fixture.expected("psi"), tolerance: 1e-12, name)
            default:
                XCTFail("\(name): unknown kind \(fixture.kind)")
            }
        }
        for (name, entry) in worst.sorted(by: { $0.key < $1.key }) {
            print("drift agreement: \(name) largest difference \(entry.difference) (\(entry.fixture))")
        }
    }
}

/// One fixture file: numbers are decimal strings so that they parse to exactly the doubles scipy saw.
private struct Fixture {
    let object: [String: Any]

    init(url: URL) throws {
        object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], url.lastPathComponent)
    }

    var kind: String { object["kind"] as? String ?? "" }
    var sizes: [Int] { object["sizes"] as? [Int] ?? [] }
    var bins: Int { object["bins"] as? Int ?? 10 }

    func expectedText(_ key: String) throws -> String {
        try XCTUnwrap((object["expected"] as? [String: Any])?[key] as? String, key)
    }

    func expected(_ key: String) throws -> Double {
        let value = try XCTUnwrap((object["expected"] as? [String: Any])?[key], key)
        if let number = value as? Int { return Double(number) }
        return try XCTUnwrap(Double(try XCTUnwrap(value as? String, key)), key)
    }

    func sample(_ side: String) throws -> [Double] {
        let spec = try XCTUnwrap(object[side] as? [String: Any], side)
        if let values = spec["values"] as? [String] { return try values.map { try XCTUnwrap(Double($0), $0) } }
        let generator = try XCTUnwrap(spec["generator"] as? [String: Any], side)
        return try FixtureGenerator(generator).values()
    }

    func counts(_ side: String) throws -> [String: Int] {
        try XCTUnwrap((object[side] as? [String: Any])?["counts"] as? [String: Int], side)
    }
}

/// Replays `bench/drift_fixtures.py`'s splitmix64 samples bit for bit.
private struct FixtureGenerator {
    let seed: UInt64, count: Int, kind: String, scale: Double, shift: Double, levels: Double

    init(_ spec: [String: Any]) throws {
        seed = UInt64(try XCTUnwrap(spec["seed"] as? Int))
        count = try XCTUnwrap(spec["count"] as? Int)
        kind = try XCTUnwrap(spec["kind"] as? String)
        scale = try XCTUnwrap(Double(try XCTUnwrap(spec["scale"] as? String)))
        shift = try XCTUnwrap(Double(try XCTUnwrap(spec["shift"] as? String)))
        levels = Double(spec["levels"] as? Int ?? 0)
    }

    func values() throws -> [Double] {
        var state = seed
        func draw() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Double(z >> 11) * 0x1p-53
        }
        return try (0..<count).map { _ in
            switch kind {
            case "uniform": return draw() * scale + shift
            case "sum4":
                let u1 = draw(), u2 = draw(), u3 = draw(), u4 = draw()
                return (((u1 + u2) + u3) + u4 - 2) * scale + shift
            case "grid": return (draw() * levels).rounded(.down) * scale + shift
            default: throw XCTSkip("unknown generator kind \(kind)")
            }
        }
    }
}
