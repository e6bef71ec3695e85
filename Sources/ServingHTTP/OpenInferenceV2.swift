import Foundation
import ModelZoo
import Serving

/// The Open Inference Protocol (KServe V2) over JSON: requests read strictly into `FeatureRows`,
/// responses and model metadata written as the spec lays them out.
///
/// One input tensor per feature, named as the artifact's schema names it: a numeric feature in
/// any number type (`FP64`, `FP32`, `INT64`, …, `BOOL`), a categorical one as `BYTES` (strings).
/// Each tensor has shape `[N]` or `[N, 1]` for N rows; `data` may be flat or nested (row-major).
/// Or one number tensor of shape `[N, F]` alone, its columns the features in metadata order.
enum OpenInferenceV2 {
    static let datatypes: Set<String> = ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES"]
    static let maximumRows = 100_000

    /// What an infer request asks for.
    struct InferRequest {
        var id: String?
        var rows: FeatureRows
        var explain = false
        var topK = 3
        /// The outputs the client asked for by name; nil for all.
        var outputs: [String]?
    }

    /// Reads an infer request for `model` (its schema names and types the inputs).
    static func request(_ body: Data, for model: LoadedModel) throws -> InferRequest {
        let fields = try JSONFields(try JSONValue.object(from: body), context: "request", allowed: ["id", "inputs", "outputs", "parameters"])
        let expected = inputs(of: model)
        let byName = Dictionary(uniqueKeysWithValues: expected.map { ($0.name, $0) })
        guard let tensors = try fields.array("inputs"), !tensors.isEmpty else {
            throw RequestError("request.inputs is required: one tensor per feature (\(expected.map(\.name).joined(separator: ", ")))")
        }
        let parsed = try tensors.enumerated().map { try tensor($1, position: $0) }
        var columns: [String: [FeatureValue]] = [:]
        var rowCount: Int?
        if let matrix = parsed.first, parsed.count == 1, matrix.shape.count == 2, expected.count > 1 || byName[matrix.name] == nil {
            (rowCount, columns) = try matrixColumns(matrix, expected: expected)
        } else {
            for input in parsed {
                let context = "input '\(input.name)'"
                guard let feature = byName[input.name] else {
                    throw RequestError("\(context) is not an input of \(model.name); its inputs are \(expected.map(\.name).joined(separator: ", ")) "
                        + "(or send one FP64 tensor of shape [N, \(expected.count)] with the columns in that order)")
                }
                guard columns[input.name] == nil else { throw RequestError("\(context) is given twice") }
                if !feature.text, input.datatype == "BYTES" { throw RequestError("\(context) is numeric: send a number type such as FP64, not BYTES") }
                guard input.shape.count == 1 || (input.shape.count == 2 && input.shape[1] == 1) else {
                    throw RequestError("\(context).shape must be [N] or [N, 1] with N ≥ 1 rows (one tensor per feature), not \(input.shape)")
                }
                let rows = input.shape[0]
                if let rowCount, rowCount != rows { throw RequestError("\(context) has \(rows) rows, the inputs before it \(rowCount)") }
                rowCount = rows
                columns[input.name] = try input.values()
            }
        }
        let absent = expected.map(\.name).filter { columns[$0] == nil }
        guard absent.isEmpty else {
            throw RequestError("missing input\(absent.count == 1 ? "" : "s") \(absent.map { "'\($0)'" }.joined(separator: ", ")) of \(model.name)")
        }
        var request = InferRequest(id: try fields.string("id"), rows: try FeatureRows(rowCount: rowCount ?? 0, columns: columns))
        if let parameters = try fields.objectField("parameters") {
            let options = try JSONFields(parameters, context: "request.parameters", allowed: ["explain", "top_k"])
            request.explain = try options.bool("explain") ?? false
            request.topK = try options.integer("top_k") ?? request.topK
        }
        if let outputs = try fields.array("outputs") {
            let known = Set(outputNames(of: model, explain: request.explain))
            request.outputs = try outputs.enumerated().map { position, entry in
                guard case .object(let object) = entry else { throw RequestError("request.outputs[\(position)] must be an object") }
                let output = try JSONFields(object, context: "request.outputs[\(position)]", allowed: ["name"])
                let name = try output.requiredString("name")
                guard known.contains(name) else { throw RequestError("request.outputs[\(position)]: '\(name)' is not an output; outputs are \(known.sorted().joined(separator: ", "))") }
                return name
            }
        }
        return request
    }

    /// One input tensor as the request spells it, checked on its own (its shape holds its data).
    private struct ParsedTensor {
        let name: String
        let datatype: String
        let shape: [Int]
        let data: [JSONValue]
        let context: String

        func values(from offset: Int = 0, stride: Int = 1, count: Int? = nil) throws -> [FeatureValue] {
            try (0..<(count ?? data.count)).map { row in
                let index = offset + row * stride
                return try OpenInferenceV2.value(data[index], datatype: datatype, context: "\(context).data[\(index)]")
            }
        }
    }

    private static func tensor(_ tensor: JSONValue, position: Int) throws -> ParsedTensor {
        guard case .object(let object) = tensor else { throw RequestError("request.inputs[\(position)] must be an object, not \(tensor.typeName)") }
        let input = try JSONFields(object, context: "request.inputs[\(position)]", allowed: ["name", "shape", "datatype", "data"])
        let name = try input.requiredString("name")
        let context = "input '\(name)'"
        let datatype = try input.requiredString("datatype")
        guard datatypes.contains(datatype) else { throw RequestError("\(context): unknown datatype '\(datatype)'; one of \(datatypes.sorted().joined(separator: ", "))") }
        guard let shapeValues = try input.array("shape") else { throw RequestError("\(context).shape is required, e.g. [N] for N rows") }
        let shape = try shapeValues.map { value -> Int in
            guard case .number(let n) = value, n == n.rounded(), n >= 0, n <= Double(maximumRows) else {
                throw RequestError("\(context).shape must hold non-negative integers, found \(value.typeName)")
            }
            return Int(n)
        }
        guard (1...2).contains(shape.count), shape[0] >= 1, shape.allSatisfy({ $0 >= 1 }) else {
            throw RequestError("\(context).shape must be [N], [N, 1] or, as the only input, [N, F] with N ≥ 1 rows, not \(shape)")
        }
        guard let data = try input.array("data") else { throw RequestError("\(context).data is required") }
        let flat = try flatten(data, context: context)
        let holds = shape.reduce(1, *)
        guard flat.count == holds else { throw RequestError("\(context): shape \(shape) holds \(holds) values, data has \(flat.count)") }
        return ParsedTensor(name: name, datatype: datatype, shape: shape, data: flat, context: context)
    }

    /// The columns of a single `[N, F]` tensor: row-major, the columns in the metadata's feature
    /// order; numbers only (a categorical feature's number is read as its text, as in V1 records).
    private static func matrixColumns(_ matrix: ParsedTensor, expected: [Input]) throws -> (Int, [String: [FeatureValue]]) {
        let context = matrix.context
        guard matrix.shape[1] == expected.count else {
            throw RequestError("\(context).shape \(matrix.shape): a single [N, F] tensor needs F = \(expected.count) columns, "
                + "the model's inputs in metadata order (\(expected.map(\.name).joined(separator: ", ")))")
        }
        guard matrix.datatype != "BYTES" else {
            throw RequestError("\(context): a single [N, F] tensor holds numbers (FP64); send categorical text as one BYTES tensor per feature")
        }
        let rows = matrix.shape[0], width = matrix.shape[1]
        var columns: [String: [FeatureValue]] = [:]
        for (index, input) in expected.enumerated() {
            columns[input.name] = try matrix.values(from: index, stride: width, count: rows)
        }
        return (rows, columns)
    }

    private static func flatten(_ data: [JSONValue], context: String) throws -> [JSONValue] {
        var out: [JSONValue] = []
        out.reserveCapacity(data.count)
        for item in data {
            if case .array(let inner) = item { out += try flatten(inner, context: context) } else { out.append(item) }
        }
        return out
    }

    private static func value(_ element: JSONValue, datatype: String, context: String) throws -> FeatureValue {
        switch (element, datatype) {
        case (.null, _): return .missing
        case (.string(let text), "BYTES"): return .text(text)
        case (_, "BYTES"): throw RequestError("\(context): BYTES data must be strings, not \(element.typeName)")
        case (.bool(let flag), "BOOL"): return .number(flag ? 1 : 0)
        case (.number(let number), _) where datatype != "BOOL": return .number(number)
        default: throw RequestError("\(context): \(datatype) data must be \(datatype == "BOOL" ? "true or false" : "numbers"), not \(element.typeName)")
        }
    }

    /// One input as the metadata lists it.
    struct Input {
        let name: String
        let text: Bool
    }

    /// The inputs a request for `model` must carry.
    static func inputs(of model: LoadedModel) -> [Input] {
        if case .recommender = model.trained.predictor {
            let columns = model.trained.header.recommender ?? RecommenderColumns()
            return [Input(name: columns.userColumn, text: true), Input(name: columns.itemColumn, text: true)]
        }
        return model.inputs.map { Input(name: $0.name, text: $0.categorical) }
    }

    static func outputNames(of model: LoadedModel, explain: Bool) -> [String] {
        if case .recommender = model.trained.predictor { return ["score", "source"] }
        return model.trained.outputNames + (explain ? ["shap_base", "shap_values", "reasons"] : [])
    }

    // MARK: Responses

    enum TensorData: Encodable {
        case numbers([Double])
        case bools([Bool])
        case strings([String])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .numbers(let values): try container.encode(values)
            case .bools(let values): try container.encode(values)
            case .strings(let values): try container.encode(values)
            }
        }
    }

    struct Tensor: Encodable {
        let name: String
        let datatype: String
        let shape: [Int]
        let data: TensorData
        var parameters: [String: [String]]?
    }

    struct InferResponse: Encodable {
        let model_name: String
        let model_version: String
        let id: String?
        let outputs: [Tensor]
    }

    struct MetadataTensor: Encodable {
        let name: String
        let datatype: String
        let shape: [Int]
    }

    struct Metadata: Encodable {
        let name: String
        let versions: [String]
        let platform: String
        let inputs: [MetadataTensor]
        let outputs: [MetadataTensor]
        let parameters: [String: String]
    }

    static func metadata(_ model: LoadedModel, reference: String) -> Metadata {
        let header = model.trained.header
        let outputs = outputNames(of: model, explain: false).map { name in
            MetadataTensor(name: name, datatype: name == "flag" ? "BOOL" : name == "source" ? "BYTES" : "FP64", shape: [-1])
        }
        return Metadata(name: model.name, versions: [String(model.version.version)], platform: "engage-\(header.kind.rawValue)",
                        inputs: inputs(of: model).map { MetadataTensor(name: $0.name, datatype: $0.text ? "BYTES" : "FP64", shape: [-1]) },
                        outputs: outputs,
                        parameters: ["reference": reference, "objective": header.objective.rawValue, "target": header.target,
                                     "artifact_sha256": model.version.artifactSHA256, "engage_version": header.engageVersion])
    }

    /// The response tensors for scored rows, with the explanation tensors when asked.
    static func tensors(_ scored: ScoredRows, explanations: [RowExplanation]?) -> [Tensor] {
        let rows = scored.rowCount
        var tensors = zip(scored.names, scored.columns).map { name, values in
            name == "flag" ? Tensor(name: name, datatype: "BOOL", shape: [rows], data: .bools(values.map { $0 != 0 }))
                : Tensor(name: name, datatype: "FP64", shape: [rows], data: .numbers(values))
        }
        if let explanations, let first = explanations.first {
            let features = first.contributions.map(\.feature)
            tensors.append(Tensor(name: "shap_base", datatype: "FP64", shape: [rows], data: .numbers(explanations.map(\.base))))
            tensors.append(Tensor(name: "shap_values", datatype: "FP64", shape: [rows, features.count],
                                  data: .numbers(explanations.flatMap { $0.contributions.map(\.contribution) }), parameters: ["features": features]))
            let width = explanations.map(\.reasons.count).max() ?? 0
            tensors.append(Tensor(name: "reasons", datatype: "BYTES", shape: [rows, width],
                                  data: .strings(explanations.flatMap { $0.reasons + Array(repeating: "", count: width - $0.reasons.count) })))
        }
        return tensors
    }
}
