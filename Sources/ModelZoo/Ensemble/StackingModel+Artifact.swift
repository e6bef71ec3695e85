import Foundation

extension StackingModel {
    /// The ensemble as a versioned binary artifact ("ENGK", docs/models.md); a GBDT
    /// meta-learner is embedded as its own "ENGM" artifact.
    public func encode() -> Data {
        var w = ModelEnvelope.stacking.writer()
        w.write(strings: inputNames)
        switch metaLearner {
        case .logistic(let model):
            w.write(UInt8(0))
            w.write(contentsOf: model.means)
            w.write(contentsOf: model.scales)
            w.write(contentsOf: model.coefficients)
            w.write(model.intercept)
        case .gbdt(let model):
            w.write(UInt8(1))
            let bytes = [UInt8](model.encode())
            w.write(UInt32(bytes.count))
            w.writeBytes(bytes)
        }
        w.write(UInt32(selection.count))
        for score in selection {
            w.write(Self.tag(score.kind))
            w.write(score.auc)
            w.write(score.logLoss)
        }
        return ModelEnvelope.stacking.seal(w)
    }

    /// Parses and validates an artifact written by `encode()`; throws for anything else.
    public static func decode(_ data: Data) throws -> StackingModel {
        var r = try ModelEnvelope.stacking.reader(for: data)
        let names = try r.readStrings("input name")
        let metaLearner: MetaLearner
        do {
            switch try r.read(UInt8.self, "meta-learner kind") {
            case 0:
                let d = names.count
                let means = try r.readDoubles(count: d, "means")
                let scales = try r.readDoubles(count: d, "scales")
                let coefficients = try r.readDoubles(count: d, "coefficients")
                let intercept = try r.readDouble("intercept")
                metaLearner = .logistic(try LogisticRegressionModel(featureNames: names, means: means, scales: scales,
                                                                    coefficients: coefficients, intercept: intercept))
            case 1:
                let length = try r.readCount("GBDT artifact length", minimumBytesEach: 1)
                metaLearner = .gbdt(try GBDTModel.decode(Data(try r.readBytes(length, "GBDT artifact"))))
            case let tag:
                throw ModelArtifactError.corrupt("unknown meta-learner kind \(tag)")
            }
            let count = try r.readCount("selection count", minimumBytesEach: 17, limit: 16)
            var selection = [MetaLearnerScore]()
            for index in 0..<count {
                let raw = try r.read(UInt8.self, "selection \(index) kind")
                guard let kind = tagged(raw) else { throw ModelArtifactError.corrupt("unknown meta-learner kind \(raw)") }
                selection.append(MetaLearnerScore(kind: kind, auc: try r.readDouble("selection AUC"), logLoss: try r.readDouble("selection log loss")))
            }
            try r.finish("the selection scores")
            return try StackingModel(inputNames: names, metaLearner: metaLearner, selection: selection)
        } catch let error as StackingError {
            throw ModelArtifactError.corrupt(error.description)
        }
    }

    private static func tag(_ kind: MetaLearnerKind) -> UInt8 {
        switch kind {
        case .logistic: return 0
        case .gbdt: return 1
        case .automatic: return 2
        }
    }

    private static func tagged(_ raw: UInt8) -> MetaLearnerKind? {
        MetaLearnerKind.allCases.first { tag($0) == raw }
    }
}
