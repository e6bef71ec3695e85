import Foundation
import Serving

/// The records endpoint (KServe V1 style) for people and scripts: `{"instances": [{feature:
/// value, …}, …]}` in, one record per row out, with `:predict`, `:explain` and `:recommend`.
enum RecordsV1 {
    /// The verb after the model name in `/v1/models/{name}:verb`.
    enum Verb: String, CaseIterable {
        case predict, explain, recommend
    }

    /// Splits `churn@production:predict` into the model and the verb.
    static func split(_ segment: String) throws -> (model: String, verb: Verb) {
        guard let colon = segment.lastIndex(of: ":"), let verb = Verb(rawValue: String(segment[segment.index(after: colon)...])) else {
            throw RequestError("POST /v1/models/NAME:VERB with VERB one of \(Verb.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(segment)')")
        }
        return (String(segment[..<colon]), verb)
    }

    struct PredictRequest {
        var rows: FeatureRows
        var topK = 3
    }

    static func request(_ body: Data) throws -> PredictRequest {
        let fields = try JSONFields(try JSONValue.object(from: body), context: "request", allowed: ["instances", "parameters"])
        guard let instances = try fields.array("instances"), !instances.isEmpty else {
            throw RequestError("request.instances is required: a non-empty array of {feature: value} records")
        }
        guard instances.count <= OpenInferenceV2.maximumRows else { throw RequestError("request.instances: at most \(OpenInferenceV2.maximumRows) rows") }
        let records = try instances.enumerated().map { row, instance -> [String: FeatureValue] in
            guard case .object(let object) = instance else { throw RequestError("request.instances[\(row)] must be an object of feature: value, not \(instance.typeName)") }
            return try object.mapValues { value in
                switch value {
                case .null: return .missing
                case .number(let number): return .number(number)
                case .string(let text): return .text(text)
                case .bool(let flag): return .number(flag ? 1 : 0)
                case .array, .object: throw RequestError("request.instances[\(row)]: feature values are numbers, strings, booleans or null, not \(value.typeName)")
                }
            }
        }
        var request = PredictRequest(rows: try FeatureRows(records: records))
        if let parameters = try fields.objectField("parameters") {
            request.topK = try JSONFields(parameters, context: "request.parameters", allowed: ["top_k"]).integer("top_k") ?? request.topK
        }
        return request
    }

    struct RecommendRequest {
        let users: [String]
        let k: Int
    }

    /// `{"user": "u1", "k": 10}` or `{"users": ["u1", "u2"], "k": 10}`.
    static func recommendRequest(_ body: Data) throws -> RecommendRequest {
        let fields = try JSONFields(try JSONValue.object(from: body), context: "request", allowed: ["user", "users", "k"])
        var users: [String] = []
        if let user = try fields.string("user") { users.append(user) }
        if let list = try fields.array("users") {
            users += try list.enumerated().map { position, value in
                guard case .string(let id) = value else { throw RequestError("request.users[\(position)] must be a string id, not \(value.typeName)") }
                return id
            }
        }
        guard !users.isEmpty else { throw RequestError("request.user (one id) or request.users (a list of ids) is required") }
        return RecommendRequest(users: users, k: try fields.integer("k") ?? 10)
    }

    /// One output record per row: output name → value (`flag` as a boolean).
    static func records(_ scored: ScoredRows) -> [[String: RecordValue]] {
        (0..<scored.rowCount).map { row in
            Dictionary(uniqueKeysWithValues: zip(scored.names, scored.columns).map { name, column in
                (name, name == "flag" ? RecordValue.bool(column[row] != 0) : .number(column[row]))
            })
        }
    }

    enum RecordValue: Encodable {
        case number(Double)
        case bool(Bool)
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .number(let value): try container.encode(value)
            case .bool(let value): try container.encode(value)
            }
        }
    }

    struct PredictResponse: Encodable {
        let model_name: String
        let model_version: String
        let predictions: [[String: RecordValue]]
    }

    struct Explained: Encodable {
        let prediction: [String: RecordValue]
        let base: Double
        let raw_score: Double
        let reasons: [String]
        let contributions: [String: Double]
    }

    struct ExplainResponse: Encodable {
        let model_name: String
        let model_version: String
        let explanations: [Explained]
    }

    struct Recommendation: Encodable {
        let item: String
        let score: Double
        let source: String
    }

    struct UserRecommendations: Encodable {
        let user: String
        let items: [Recommendation]
    }

    struct RecommendResponse: Encodable {
        let model_name: String
        let model_version: String
        let recommendations: [UserRecommendations]
    }
}
