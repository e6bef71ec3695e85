import Dataset
import Foundation

/// A model as engage stores it: the fitted predictor together with everything needed to use it
/// on new data (target, objective, feature schema). This is the artifact the registry keeps and
/// `engage train` writes; `engage predict` needs nothing else.
public struct TrainedModel: Sendable {
    /// The fitted estimator inside.
    public enum Predictor: Sendable {
        case gbdt(GBDTModel)
        case quantiles(QuantileModelSet)
        case anomaly(AnomalyDetector)
        /// A NeuMF recommender: scores (user, item) pairs named by the header's `recommender` columns.
        case recommender(NeuMFModel)
        /// A stacking ensemble: its features are the base models' outputs, named by model.
        case stacking(StackingModel)
    }

    /// What travels in the artifact's JSON header.
    public struct Header: Codable, Sendable, Equatable {
        public var kind: ModelKind
        public var objective: ModelObjective
        public var target: String
        public var schema: FeatureSchema
        public var engageVersion: String
        /// A recommender's column names (kind `ncf`); nil for every other kind.
        public var recommender: RecommenderColumns?
        /// A binary model's text target levels; nil for a 0/1 target and in artifacts written before it existed.
        public var binaryLevels: BinaryLevels?
    }

    public var header: Header
    public var predictor: Predictor

    public static let artifactKind = "engage-model"

    public init(kind: ModelKind, objective: ModelObjective, target: String, schema: FeatureSchema, predictor: Predictor) {
        header = Header(kind: kind, objective: objective, target: target, schema: schema, engageVersion: EngageVersion.current)
        self.predictor = predictor
    }

    /// Names of the prediction columns, in order: `prediction`, or `q0.1,q0.5,q0.9`; an anomaly
    /// model adds its two parts' raw scores beside the combined score and the flag.
    public var outputNames: [String] {
        switch predictor {
        case .gbdt: return ["prediction"]
        case .quantiles(let set): return set.alphas.map { "q\(TrainedModel.format($0))" }
        case .anomaly: return ["score", "flag", "isolation_forest_score", "autoencoder_error"]
        case .recommender: return ["score"]
        case .stacking: return ["prediction"]
        }
    }

    /// The index of the output that stands for the model (the prediction metrics, permutation
    /// importance and the report score): the only one, or the quantile nearest the median.
    public var centralOutput: Int {
        guard case .quantiles(let set) = predictor, !set.alphas.isEmpty else { return 0 }
        return set.alphas.indices.min { abs(set.alphas[$0] - 0.5) < abs(set.alphas[$1] - 0.5) } ?? 0
    }

    /// One column per output (probability for binary, value for regression, each quantile).
    public func predict(_ table: Table) throws -> [[Double]] {
        func features() throws -> FeatureMatrix { try header.schema.matrix(from: table) }
        switch predictor {
        case .recommender(let model):
            let columns = header.recommender ?? RecommenderColumns()
            let users = IDVocabulary.keys(try table.column(columns.userColumn))
            let items = IDVocabulary.keys(try table.column(columns.itemColumn))
            return [model.score(zip(users, items).map { (user: $0 ?? "", item: $1 ?? "") }).map(\.value)]
        case .stacking(let model): return [try model.predict(try features())]
        case .gbdt(let model): return [try model.predict(try features())]
        case .quantiles(let set): return try set.predict(try features())
        case .anomaly(let detector):
            let scores = try detector.evaluate(try features())
            return [scores.score, scores.flag.map { $0 ? 1 : 0 }, scores.forest, scores.autoencoder]
        }
    }

    /// The single GBDT inside, for explanations; nil for multi-model predictors.
    public var gbdt: GBDTModel? {
        if case .gbdt(let model) = predictor { return model }
        return nil
    }

    /// Envelope kind `engage-model`; body: the JSON header (String), then the predictor's own
    /// artifact (UInt64 length + bytes), all under the envelope's CRC-32.
    public func encode() throws -> Data {
        let encoder = JSONEncoder.sortedKeys
        let json = String(decoding: try encoder.encode(header), as: UTF8.self)
        let inner: Data
        switch predictor {
        case .gbdt(let model): inner = model.encode()
        case .quantiles(let set): inner = set.encode()
        case .anomaly(let detector): inner = detector.encode()
        case .recommender(let model): inner = model.encode()
        case .stacking(let model): inner = model.encode()
        }
        var writer = ModelArtifact.writer(kind: TrainedModel.artifactKind, reservingCapacity: inner.count + json.utf8.count + 16)
        writer.write(json)
        writer.write(UInt64(inner.count))
        writer.writeBytes([UInt8](inner))
        return ModelArtifact.seal(writer)
    }

    public static func decode(_ data: Data) throws -> TrainedModel {
        var reader = try ModelArtifact.reader(for: data, kind: artifactKind)
        let json = try reader.readString("model header")
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(json.utf8))
        } catch {
            throw ModelArtifactError.corrupt("model header is not valid: \(error)")
        }
        let length = try reader.read(UInt64.self, "predictor length")
        guard length <= UInt64(reader.remaining) else { throw ModelArtifactError.truncated("predictor") }
        let inner = Data(try reader.readBytes(Int(length), "predictor"))
        try reader.finish("the predictor")
        let predictor: Predictor
        if inner.prefix(4).elementsEqual(ModelEnvelope.anomaly.magic.utf8) {
            predictor = .anomaly(try AnomalyDetector.decode(inner))
        } else if inner.prefix(4).elementsEqual(ModelEnvelope.recommender.magic.utf8) {
            predictor = .recommender(try NeuMFModel.decode(inner))
        } else if inner.prefix(4).elementsEqual(ModelEnvelope.stacking.magic.utf8) {
            predictor = .stacking(try StackingModel.decode(inner))
        } else if try ModelArtifact.kind(of: inner) == QuantileModelSet.artifactKind {
            predictor = .quantiles(try QuantileModelSet.decode(inner))
        } else {
            predictor = .gbdt(try GBDTModel.decode(inner))
        }
        var model = TrainedModel(kind: header.kind, objective: header.objective, target: header.target, schema: header.schema, predictor: predictor)
        model.header = header
        return model
    }

    static func format(_ alpha: Double) -> String {
        var text = String(format: "%.4f", alpha)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
