import Foundation

extension AnomalyDetector {
    /// The detector as a versioned binary artifact ("ENGA", docs/models.md).
    public func encode() -> Data {
        var w = ModelEnvelope.anomaly.writer(reservingCapacity: forest.splitFeature.count * 20 + autoencoder.parameters.count * 4)
        w.write(contamination)
        w.write(threshold)
        w.write(combination.tag)
        forest.write(to: &w)
        autoencoder.write(to: &w)
        for scale in [forestScale, autoencoderScale] {
            w.write(scale.median)
            w.write(scale.spread)
        }
        for calibrator in [forestCalibrator, autoencoderCalibrator, calibrator] { calibrator.write(to: &w) }
        return ModelEnvelope.anomaly.seal(w)
    }

    /// Parses and validates an artifact written by `encode()`; throws for anything else.
    public static func decode(_ data: Data) throws -> AnomalyDetector {
        var r = try ModelEnvelope.anomaly.reader(for: data)
        let contamination = try r.readDouble("contamination")
        let threshold = try r.readDouble("threshold")
        let tag = try r.read(UInt8.self, "combination")
        guard let combination = ScoreCombination(tag: tag) else { throw ModelArtifactError.corrupt("unknown combination tag \(tag)") }
        do {
            let forest = try IsolationForest.read(from: &r)
            let autoencoder = try Autoencoder.read(from: &r)
            var scales = [RobustScale]()
            for _ in 0..<2 { scales.append(try RobustScale(median: try r.readDouble("scale median"), spread: try r.readDouble("scale spread"))) }
            var calibrators = [ScoreCalibrator]()
            for _ in 0..<3 { calibrators.append(try ScoreCalibrator.read(from: &r)) }
            try r.finish("the calibrations")
            return try AnomalyDetector(
                forest: forest, autoencoder: autoencoder, forestScale: scales[0], autoencoderScale: scales[1],
                forestCalibrator: calibrators[0], autoencoderCalibrator: calibrators[1], combination: combination,
                calibrator: calibrators[2], contamination: contamination, threshold: threshold)
        } catch let error as AnomalyError {
            throw ModelArtifactError.corrupt(error.description)
        } catch let error as NeuralNetError {
            throw ModelArtifactError.corrupt(error.description)
        }
    }
}

extension IsolationForest {
    func write(to w: inout ArtifactWriter) {
        w.write(strings: featureNames)
        w.write(UInt32(sampleRows))
        w.write(UInt32(treeOffsets.count))
        w.write(UInt32(splitFeature.count))
        w.write(contentsOf: treeOffsets)
        w.write(contentsOf: splitFeature)
        w.write(contentsOf: value)
        w.write(contentsOf: leftChild)
        w.write(contentsOf: missingGoesLeft)
    }

    static func read(from r: inout ArtifactReader) throws -> IsolationForest {
        let names = try r.readStrings("forest feature name")
        let sampleRows = Int(try r.read(UInt32.self, "forest sample size"))
        let trees = try r.readCount("forest tree count", minimumBytesEach: 4)
        let nodes = try r.readCount("forest node count", minimumBytesEach: 17)
        return try IsolationForest(
            featureNames: names, sampleRows: sampleRows,
            treeOffsets: try r.readArray(Int32.self, count: trees, "forest tree offsets"),
            splitFeature: try r.readArray(Int32.self, count: nodes, "forest split features"),
            value: try r.readDoubles(count: nodes, "forest node values"),
            leftChild: try r.readArray(Int32.self, count: nodes, "forest children"),
            missingGoesLeft: try r.readBools(count: nodes, "forest missing directions"))
    }
}

extension Autoencoder {
    func write(to w: inout ArtifactWriter) {
        w.write(strings: encoder.featureNames)
        for feature in encoder.features {
            switch feature {
            case .numeric(let mean, let sd, let log):
                w.write(UInt8(0))
                w.write(mean)
                w.write(sd)
                w.write(log)
            case .categorical(let codes):
                w.write(UInt8(1))
                w.write(UInt32(codes.count))
                w.write(contentsOf: codes.map(Int32.init))
            }
        }
        shape.write(to: &w)
        w.write(contentsOf: parameters)
        w.write(UInt32(trainingLoss.count))
        w.write(contentsOf: trainingLoss)
    }

    static func read(from r: inout ArtifactReader) throws -> Autoencoder {
        let names = try r.readStrings("autoencoder feature name")
        var features = [TabularEncoder.Feature]()
        for name in names {
            switch try r.read(UInt8.self, "encoding of '\(name)'") {
            case 0:
                features.append(.numeric(mean: try r.readDouble("mean of '\(name)'"), sd: try r.readDouble("sd of '\(name)'"),
                                         logTransform: try r.readBool("log flag of '\(name)'")))
            case 1:
                let count = try r.readCount("code count of '\(name)'", minimumBytesEach: 4, limit: TabularEncoder.maximumCategoryInputs)
                features.append(.categorical(codes: try r.readArray(Int32.self, count: count, "codes of '\(name)'").map(Int.init)))
            case let tag:
                throw ModelArtifactError.corrupt("unknown encoding tag \(tag) for '\(name)'")
            }
        }
        let encoder = try TabularEncoder(featureNames: names, features: features)
        let shape = try DenseNetworkShape.read(from: &r)
        let parameters = try r.readFloats(count: shape.parameterCount, "autoencoder parameters")
        let epochs = try r.readCount("epoch count", minimumBytesEach: 8)
        let losses = try r.readDoubles(count: epochs, "training losses")
        return try Autoencoder(encoder: encoder, shape: shape, parameters: parameters, trainingLoss: losses)
    }
}

extension ScoreCalibrator {
    func write(to w: inout ArtifactWriter) {
        w.write(UInt32(knots.count))
        w.write(contentsOf: knots)
        w.write(tailScale)
        w.write(tailShare)
    }

    static func read(from r: inout ArtifactReader) throws -> ScoreCalibrator {
        let count = try r.readCount("calibration knot count", minimumBytesEach: 8)
        let knots = try r.readDoubles(count: count, "calibration knots")
        return try ScoreCalibrator(knots: knots, tailScale: try r.readDouble("tail scale"), tailShare: try r.readDouble("tail share"))
    }
}
