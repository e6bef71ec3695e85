import Dataset
import Foundation
import XCTest
@testable import ModelZoo

final class AnomalyDetectorTests: XCTestCase {
    private static let customers: (FeatureMatrix, [Double]) = {
        let data = CustomerGenerator(rows: 2_000, seed: 17).generate()
        let x = try! FeatureMatrix(table: data.customers, features: CustomerSchema.featureNames)
        return (x, try! data.customers.numeric(CustomerSchema.anomalyLabel))
    }()

    private static func quickParameters(_ combination: ScoreCombination = .robustZMax) -> AnomalyDetectorParameters {
        var p = AnomalyDetectorParameters()
        p.autoencoder.epochs = 3
        p.autoencoder.hidden = [16, 6]
        p.combination = combination
        p.seed = 4
        return p
    }

    private static let detector: AnomalyDetector = try! AnomalyDetectorTrainer(parameters: quickParameters()).fit(customers.0)

    func testScoresFlagsAndContamination() throws {
        let (x, labels) = Self.customers
        let result = try Self.detector.evaluate(x, threads: 2)
        XCTAssertTrue(result.score.allSatisfy { $0 >= 0 && $0 <= 1 })
        let flagged = result.flag.filter { $0 }.count
        XCTAssertEqual(Double(flagged), 0.01 * Double(x.rowCount), accuracy: 2, "the top 1 % of training rows are flagged")
        for (score, flag) in zip(result.score, result.flag) { XCTAssertEqual(flag, score > Self.detector.threshold) }
        let hits = zip(result.flag, labels).filter { $0.0 && $0.1 == 1 }.count
        XCTAssertGreaterThan(Double(hits), 0.6 * Double(flagged), "flagged rows are mostly injected anomalies")
        let combined = Metrics.auc(labels: labels, scores: result.score)
        XCTAssertGreaterThan(Metrics.auc(labels: labels, scores: result.autoencoder), 0.9)
        XCTAssertGreaterThan(combined, 0.95)
        XCTAssertGreaterThanOrEqual(combined, Metrics.auc(labels: labels, scores: result.forest))
        XCTAssertEqual(try Self.detector.score(x), result.score)
    }

    func testThreadCountDoesNotChangeTheModel() throws {
        var p = Self.quickParameters()
        let (x, _) = Self.customers
        let small = x.rows(Array(0..<600))
        p.autoencoder.epochs = 2
        p.threads = 1
        let one = try AnomalyDetectorTrainer(parameters: p).fit(small)
        p.threads = 3
        XCTAssertEqual(try AnomalyDetectorTrainer(parameters: p).fit(small), one)
    }

    func testArtifactRoundTripIsExact() throws {
        let data = Self.detector.encode()
        XCTAssertEqual(Array(data.prefix(4)), Array("ENGA".utf8))
        let decoded = try AnomalyDetector.decode(data)
        XCTAssertEqual(decoded, Self.detector)
        XCTAssertEqual(decoded.encode(), data)
        XCTAssertEqual(try decoded.score(Self.customers.0), try Self.detector.score(Self.customers.0))
    }

    func testDecodingGarbageThrows() throws {
        let data = Self.detector.encode()
        let length = data.count
        for cut in [0, 3, 5, 6, 9, 10, 40, length / 3, length / 2, length - 5, length - 1] {
            XCTAssertThrowsError(try AnomalyDetector.decode(data.prefix(cut)), "prefix of \(cut) bytes")
        }
        var rng = SplitMix64(seed: 2)
        for _ in 0..<20 {
            var bytes = [UInt8](data)
            bytes[6 + Int(rng.next() % UInt64(length - 10))] ^= UInt8(1 << (rng.next() % 8))
            XCTAssertThrowsError(try AnomalyDetector.decode(Data(bytes)))
        }
        XCTAssertThrowsError(try AnomalyDetector.decode(Data((0..<500).map { _ in UInt8(rng.next() & 0xFF) })))
        XCTAssertThrowsError(try AnomalyDetector.decode(ModelEnvelope.anomaly.seal(ModelEnvelope.anomaly.writer()))) { error in
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
        var wrongMagic = [UInt8](data)
        wrongMagic[3] = UInt8(ascii: "M")
        XCTAssertThrowsError(try AnomalyDetector.decode(Data(wrongMagic))) { error in
            XCTAssertEqual(error as? ModelEnvelopeError, .badMagic(expected: "ENGA", found: Array("ENGM".utf8)))
        }
        var newer = [UInt8](data)
        newer[4] = 9
        XCTAssertThrowsError(try AnomalyDetector.decode(Data(newer))) { error in
            XCTAssertEqual(error as? ModelEnvelopeError, .unsupportedVersion(magic: "ENGA", found: 9, supported: 1))
        }
        // A well-framed body that lies: a tree whose child points backwards.
        var w = ModelEnvelope.anomaly.writer()
        w.write(0.01)
        w.write(0.99)
        w.write(UInt8(2))
        w.write(strings: ["f"])
        w.write(UInt32(4))
        w.write(UInt32(1))
        w.write(UInt32(3))
        w.write(contentsOf: [Int32(0)])
        w.write(contentsOf: [Int32(0), -1, -1])
        w.write(contentsOf: [0.5, 1.0, 1.0])
        w.write(contentsOf: [Int32(0), 0, 0])
        w.write(contentsOf: [false, false, false])
        XCTAssertThrowsError(try AnomalyDetector.decode(ModelEnvelope.anomaly.seal(w))) { error in
            XCTAssertTrue("\(error)".contains("children outside its tree"), "\(error)")
        }
    }

    func testCalibratorIsIncreasingAndBounded() throws {
        let scores = (0..<1_000).map { Double($0 % 97) + Double($0) * 1e-3 } + Array(repeating: 5.0, count: 300)
        let calibrator = ScoreCalibrator(fitting: scores, scale: 2)
        let probes = stride(from: -50.0, through: 150, by: 0.37).map { $0 }
        let mapped = probes.map { calibrator($0) }
        for (a, b) in zip(mapped, mapped.dropFirst()) { XCTAssertLessThan(a, b) }
        XCTAssertTrue(mapped.allSatisfy { $0 > 0 && $0 < 1 })
        XCTAssertEqual(calibrator(scores.min()!), calibrator.tailShare, accuracy: 1e-12)
        XCTAssertEqual(calibrator(scores.max()!), 1 - calibrator.tailShare, accuracy: 1e-12)
        // A plateau of equal scores maps to the middle of its levels.
        let plateau = calibrator(5)
        let below = scores.filter { $0 < 5 }.count, tied = scores.filter { $0 == 5 }.count
        XCTAssertEqual(plateau, (Double(below) + Double(tied) / 2) / Double(scores.count), accuracy: 0.01)
        XCTAssertEqual(calibrator(.nan), 0.5)
    }

    func testRobustScaleUsesMedianAndMAD() throws {
        let scale = RobustScale(fitting: [1, 2, 3, 4, 100])
        XCTAssertEqual(scale.median, 3)
        XCTAssertEqual(scale.spread, 1.4826 * 1)
        // More than half the scores equal: the standard deviation takes over.
        let flat = RobustScale(fitting: [0, 0, 0, 0, 10])
        XCTAssertEqual(flat.spread, 4, accuracy: 1e-12)
        XCTAssertEqual(RobustScale(fitting: [7, 7, 7]).spread, 1)
    }

    func testCombinationRules() throws {
        let f = try RobustScale(median: 0.4, spread: 0.1), a = try RobustScale(median: 2, spread: 4)
        let cf = ScoreCalibrator(fitting: [0.3, 0.4, 0.5], scale: 0.1), ca = ScoreCalibrator(fitting: [1, 2, 3], scale: 1)
        func combine(_ rule: ScoreCombination) -> Double {
            AnomalyDetector.combine(rule, forest: 0.7, autoencoder: 10, forestScale: f, autoencoderScale: a,
                                    forestCalibrator: cf, autoencoderCalibrator: ca)
        }
        XCTAssertEqual(combine(.robustZMax), 3, accuracy: 1e-12)
        XCTAssertEqual(combine(.robustZSum), 5, accuracy: 1e-12)
        XCTAssertEqual(combine(.rankAverage), (cf(0.7) + ca(10)) / 2, accuracy: 1e-12)
        XCTAssertEqual(combine(.autoencoderOnly), 2, accuracy: 1e-12)
        XCTAssertEqual(combine(.forestOnly), 3, accuracy: 1e-12)
    }

    func testAutoencoderFindsRowsOffTheLearnedManifold() throws {
        // Six features driven by two latent factors; the last ten rows break the relation
        // without any single value being extreme.
        var rng = SplitMix64(seed: 8)
        let n = 1_500
        var columns = [[Double]](repeating: [], count: 6)
        for row in 0..<n {
            let s = rng.nextUnit() * 2 - 1, t = rng.nextUnit() * 2 - 1
            var values = [s, t, s + t, s - t, 0.5 * s, -t]
            if row >= n - 10 { values[2] += s + t > 0 ? -1 : 1 }
            for c in 0..<6 { columns[c].append(values[c] + 0.01 * (rng.nextUnit() - 0.5)) }
        }
        let x = try FeatureMatrix(names: (0..<6).map { "x\($0)" }, columns: columns, isCategorical: Array(repeating: false, count: 6))
        var p = AutoencoderParameters()
        p.hidden = [8, 2]
        p.epochs = 12
        p.logTransform = false
        p.batchSize = 64
        p.adam.learningRate = 0.005
        let model = try AutoencoderTrainer(parameters: p).fit(x)
        XCTAssertLessThan(model.trainingLoss.last!, model.trainingLoss.first!)
        let errors = try model.reconstructionError(x)
        let labels = (0..<n).map { $0 >= n - 10 ? 1.0 : 0 }
        XCTAssertGreaterThan(Metrics.auc(labels: labels, scores: errors), 0.95)
    }

    func testTabularEncoderStandardisesAndOneHotEncodes() throws {
        let x = try FeatureMatrix(names: ["n", "c"], columns: [[1, 2, 3, .nan], [0, 2, 2, -1]], isCategorical: [false, true])
        let encoder = try TabularEncoder(fitting: x, logTransform: false)
        XCTAssertEqual(encoder.width, 3)
        XCTAssertEqual(encoder.features[0], .numeric(mean: 2, sd: (2.0 / 3).squareRoot(), logTransform: false))
        XCTAssertEqual(encoder.features[1], .categorical(codes: [0, 2]))
        let encoded = try encoder.encode(try FeatureMatrix(names: ["c", "n"], columns: [[2, 7, -1, 0], [3, 2, .nan, 1]],
                                                           isCategorical: [true, false]))
        let z = Float(1 / (2.0 / 3).squareRoot())
        XCTAssertEqual(encoded, [z, 0, 1, 0, 0, 0, 0, 0, 0, -z, 1, 0])
        let logged = try TabularEncoder(fitting: x, logTransform: true)
        guard case .numeric(let mean, _, true) = logged.features[0] else { return XCTFail("\(logged.features[0])") }
        XCTAssertEqual(mean, (log(2.0) + log(3.0) + log(4.0)) / 3, accuracy: 1e-12)
    }

    func testParametersAreValidatedWithTheirNames() {
        var p = AnomalyDetectorParameters()
        p.contamination = 0.7
        XCTAssertThrowsError(try AnomalyDetectorTrainer(parameters: p).fit(Self.customers.0)) { error in
            XCTAssertEqual(error as? AnomalyError, .invalidParameter(name: "contamination", value: "0.7", rule: "must be in (0, 0.5)"))
        }
        var a = AutoencoderParameters()
        a.hidden = []
        XCTAssertThrowsError(try a.validate()) { XCTAssertTrue("\($0)".contains("hidden")) }
        let decoded = try? JSONDecoder().decode(AnomalyDetectorParameters.self, from: Data(#"{"contamination": 0.02, "forest": {"trees": 50}}"#.utf8))
        XCTAssertEqual(decoded?.contamination, 0.02)
        XCTAssertEqual(decoded?.forest.trees, 50)
        XCTAssertEqual(decoded?.forest.sampleSize, 256)
        XCTAssertEqual(decoded?.combination, .byAgreement)
    }

    func testSeparationGateMeasuresTheGapAtTheContaminationRate() {
        // 1,000 rows: a smooth bulk of z in [−2, 2] and, for the sharp detector, 10 rows near z = 20.
        let bulk = (0..<990).map { -2 + 4 * Double($0) / 989 }
        let sharp = (bulk + Array(repeating: 20.0, count: 10)).sorted()
        let smooth = (bulk + (0..<10).map { 2.2 + 0.2 * Double($0) }).sorted()
        let sharpSeparation = SeparationGate.separation(sortedZ: sharp, contamination: 0.01)
        let smoothSeparation = SeparationGate.separation(sortedZ: smooth, contamination: 0.01)
        XCTAssertEqual(sharpSeparation, 20 - Quantiles.sortedLinear(sharp, 0.98), accuracy: 1e-12)
        XCTAssertGreaterThan(sharpSeparation, 15)
        XCTAssertLessThan(smoothSeparation, 3)
        XCTAssertEqual(SeparationGate.choose(forest: smoothSeparation, autoencoder: sharpSeparation), .autoencoderOnly)
        XCTAssertEqual(SeparationGate.choose(forest: sharpSeparation, autoencoder: smoothSeparation), .forestOnly)
        XCTAssertEqual(SeparationGate.choose(forest: 3, autoencoder: 5), .robustZMax, "within the ratio both parts count")
        XCTAssertEqual(SeparationGate.choose(forest: 0, autoencoder: 0), .robustZMax)
        XCTAssertEqual(SeparationGate.choose(forest: -1, autoencoder: 0.5), .autoencoderOnly)
    }

    func testFittedDetectorHoldsTheRuleTheGateChose() throws {
        for gate in [ScoreCombination.bySeparation, .byAgreement] {
            var p = Self.quickParameters(gate)
            p.autoencoder.epochs = 2
            let (detector, report) = try AnomalyDetectorTrainer(parameters: p).fitWithReport(Self.customers.0)
            let expected = gate == .bySeparation
                ? SeparationGate.choose(forest: report.forestSeparation, autoencoder: report.autoencoderSeparation)
                : TailAgreement.choose(forestConfirmation: report.forestConfirmation!, autoencoderConfirmation: report.autoencoderConfirmation!)
            XCTAssertEqual(detector.combination, expected)
            XCTAssertEqual(report.combination, detector.combination)
            XCTAssertFalse(detector.combination.isFitTimeGate)
            XCTAssertEqual(try AnomalyDetector.decode(detector.encode()), detector)
            XCTAssertThrowsError(try AnomalyDetector(
                forest: detector.forest, autoencoder: detector.autoencoder, forestScale: detector.forestScale,
                autoencoderScale: detector.autoencoderScale, forestCalibrator: detector.forestCalibrator,
                autoencoderCalibrator: detector.autoencoderCalibrator, combination: gate, calibrator: detector.calibrator,
                contamination: detector.contamination, threshold: detector.threshold))
        }
    }

    func testTailAgreementAveragesTheOtherPartsPercentilesOverTheTopRows() {
        // 1,000 rows. Part A's top 10 rows are rows 0-9; part B ranks them at the 99th percentile, while
        // A ranks B's top 10 (rows 990-999) at the 50th.
        let a = (0..<1_000).map { $0 < 10 ? 100 + Double($0) : Double($0) / 1_000 }
        let bPercentiles = (0..<1_000).map { $0 < 10 ? 0.99 : $0 >= 990 ? 0.999 : 0.4 }
        XCTAssertEqual(TailAgreement.confirmation(of: a, by: bPercentiles, contamination: 0.01), 0.99, accuracy: 1e-12)
        let b = (0..<1_000).map { Double($0) }
        let aPercentiles = (0..<1_000).map { $0 >= 990 ? 0.5 : 0.6 }
        XCTAssertEqual(TailAgreement.confirmation(of: b, by: aPercentiles, contamination: 0.01), 0.5, accuracy: 1e-12)
        // Small tables average over at least `minimumRows` rows; ties go to the lower row; NaN scores rank last.
        let tied = [Double.nan] + Array(repeating: 1.0, count: 19)
        let rank = (0..<20).map { Double($0) / 19 }
        XCTAssertEqual(TailAgreement.confirmation(of: tied, by: rank, contamination: 0.01),
                       (1...10).map { Double($0) / 19 }.reduce(0, +) / 10, accuracy: 1e-12)
        XCTAssertEqual(TailAgreement.choose(forestConfirmation: 0.9, autoencoderConfirmation: 0.95), .autoencoderOnly)
        XCTAssertEqual(TailAgreement.choose(forestConfirmation: 0.95, autoencoderConfirmation: 0.97), .forestOnly,
                       "the forest stays unless the autoencoder is confirmed by at least the margin more")
        XCTAssertEqual(TailAgreement.choose(forestConfirmation: 0.99, autoencoderConfirmation: 0.9), .forestOnly)
    }

    func testGateTagsAreNeverDecodedAsFittedRules() {
        XCTAssertNil(ScoreCombination(tag: ScoreCombination.byAgreement.tag))
        XCTAssertNil(ScoreCombination(tag: ScoreCombination.bySeparation.tag))
        XCTAssertEqual(Set(ScoreCombination.fitted.map(\.tag)).count, ScoreCombination.fitted.count)
        XCTAssertTrue(ScoreCombination.allCases.filter { !ScoreCombination.fitted.contains($0) }.allSatisfy(\.isFitTimeGate))
    }
}
