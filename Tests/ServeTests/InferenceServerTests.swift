import Dataset
import Foundation
import ModelZoo
import Registry
import Serving
@testable import ServingHTTP
import TestSupport
import XCTest

/// The HTTP layer as a client sees it: a real Hummingbird server on an ephemeral loopback port,
/// over the registry the real pipeline wrote.
final class InferenceServerTests: XCTestCase {
    private func start(_ references: [String], settings: ServeSettings? = nil) async throws -> (RunningServer, ServeFixture) {
        let fixture = try ServeFixture.shared()
        let catalog = try ModelCatalog(registry: try fixture.registry(), references: try references.map { try VersionReference(parsing: $0) })
        let server = try await RunningServer(catalog: catalog, settings: settings ?? ServeSettings(bind: try ServeBind(parsing: "127.0.0.1:0"), logSampleRate: 0))
        return (server, fixture)
    }

    /// One V2 tensor per feature of `model`, N rows, in the spec's JSON.
    private func v2Inputs(_ model: TrainedModel, _ records: [[String: FeatureValue]], nested: Bool = false) -> [[String: Any]] {
        model.header.schema.features.map { feature in
            let values: [Any] = records.map { record in
                switch record[feature.name] ?? .missing {
                case .number(let x): return x
                case .text(let t): return t
                case .missing: return NSNull()
                }
            }
            let data: [Any] = nested ? values.map { [$0] as [Any] } : values
            let shape: [Int] = nested ? [records.count, 1] : [records.count]
            return ["name": feature.name, "datatype": feature.categorical ? "BYTES" : "FP64", "shape": shape, "data": data]
        }
    }

    func testOpenInferenceV2EndpointsAnswerAsTheSpecSays() async throws {
        let (server, fixture) = try await start(["churn@1", "lifetime_value@1", "anomaly@1"])
        let registry = try fixture.registry()
        let churn = try LoadedModel.load(try registry.version(reference: "churn@1"), from: registry)
        let records = try fixture.records(rows: 0..<5)
        let expected = try churn.score(try FeatureRows(records: records)).columns[0]

        let live = try await HTTPClient.send("GET", server.url("/v2/health/live"))
        XCTAssertEqual(live.status, 200)
        let ready = try await HTTPClient.send("GET", server.url("/v2/health/ready"))
        XCTAssertEqual(ready.status, 200)
        let modelReady = try await HTTPClient.send("GET", server.url("/v2/models/churn/ready"))
        XCTAssertEqual(modelReady.status, 200)
        let unknownReady = try await HTTPClient.send("GET", server.url("/v2/models/nosuch/ready"))
        XCTAssertEqual(unknownReady.status, 404)

        let metadata = try await HTTPClient.send("GET", server.url("/v2/models/churn"))
        XCTAssertEqual(metadata.status, 200, metadata.text)
        let inputs = try XCTUnwrap(metadata.json["inputs"] as? [[String: Any]])
        XCTAssertEqual(inputs.compactMap { $0["name"] as? String }, churn.trained.header.schema.names)
        for (input, feature) in zip(inputs, churn.trained.header.schema.features) {
            XCTAssertEqual(input["datatype"] as? String, feature.categorical ? "BYTES" : "FP64")
        }
        XCTAssertTrue(churn.trained.header.schema.features.contains(where: \.categorical), "the churn model must read a categorical (BYTES) input")
        XCTAssertEqual(metadata.json["versions"] as? [String], ["1"])

        for nested in [false, true] {
            let body: [String: Any] = ["id": "42", "inputs": v2Inputs(churn.trained, records, nested: nested), "outputs": [["name": "prediction"]]]
            for path in ["/v2/models/churn/infer", "/v2/models/churn@1/infer", "/v2/models/churn/versions/1/infer"] {
                let reply = try await HTTPClient.send("POST", server.url(path), json: body)
                XCTAssertEqual(reply.status, 200, reply.text)
                XCTAssertEqual(reply.json["id"] as? String, "42")
                XCTAssertEqual(reply.json["model_name"] as? String, "churn")
                XCTAssertEqual(reply.json["model_version"] as? String, "1")
                let outputs = try XCTUnwrap(reply.json["outputs"] as? [[String: Any]])
                XCTAssertEqual(outputs.count, 1)
                XCTAssertEqual(outputs[0]["name"] as? String, "prediction")
                XCTAssertEqual(outputs[0]["datatype"] as? String, "FP64")
                XCTAssertEqual(outputs[0]["shape"] as? [Int], [5])
                let data = try XCTUnwrap(outputs[0]["data"] as? [Double])
                for (a, b) in zip(data, expected) { XCTAssertEqual(a, b, accuracy: 1e-12) }
            }
        }

        // One [N, F] number tensor, the columns in the metadata's order: the same answers as one
        // tensor per feature (the categorical columns sent as null, missing, in both).
        let numericOnly = records.map { record in
            Dictionary(uniqueKeysWithValues: churn.trained.header.schema.features.map { ($0.name, $0.categorical ? FeatureValue.missing : record[$0.name] ?? .missing) })
        }
        let expectedMatrix = try churn.score(try FeatureRows(records: numericOnly)).columns[0]
        let matrix: [[Any]] = numericOnly.map { record in
            churn.trained.header.schema.features.map { feature -> Any in
                if case .number(let x) = record[feature.name] ?? .missing { return x }
                return NSNull()
            }
        }
        for nested in [false, true] {
            let data: [Any] = nested ? matrix : matrix.flatMap { $0 }
            let width = churn.trained.header.schema.features.count
            let body: [String: Any] = ["inputs": [["name": "input-0", "datatype": "FP64", "shape": [records.count, width], "data": data]]]
            let reply = try await HTTPClient.send("POST", server.url("/v2/models/churn/infer"), json: body)
            XCTAssertEqual(reply.status, 200, reply.text)
            let outputs = try XCTUnwrap(reply.json["outputs"] as? [[String: Any]])
            let answered = try XCTUnwrap(outputs.first { $0["name"] as? String == "prediction" }?["data"] as? [Double])
            XCTAssertEqual(answered.count, records.count)
            for (a, b) in zip(answered, expectedMatrix) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        }

        let quantiles = try LoadedModel.load(try registry.version(reference: "lifetime_value@1"), from: registry)
        let q = try await HTTPClient.send("POST", server.url("/v2/models/lifetime_value/infer"), json: ["inputs": v2Inputs(quantiles.trained, records)])
        XCTAssertEqual(q.status, 200, q.text)
        XCTAssertEqual((q.json["outputs"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["q0.1", "q0.5", "q0.9"])

        let anomaly = try LoadedModel.load(try registry.version(reference: "anomaly@1"), from: registry)
        let a = try await HTTPClient.send("POST", server.url("/v2/models/anomaly/infer"), json: ["inputs": v2Inputs(anomaly.trained, records)])
        XCTAssertEqual(a.status, 200, a.text)
        let flag = try XCTUnwrap((a.json["outputs"] as? [[String: Any]])?.first { $0["name"] as? String == "flag" })
        XCTAssertEqual(flag["datatype"] as? String, "BOOL")
        XCTAssertEqual((flag["data"] as? [Bool])?.count, 5)
        await server.stop()
    }

    func testMalformedV2RequestsGet400WithAnErrorNamingTheField() async throws {
        let (server, fixture) = try await start(["churn@1"])
        let registry = try fixture.registry()
        let churn = try TrainedModel.decode(try registry.artifact(model: "churn", version: 1))
        let records = try fixture.records(rows: 0..<2)
        let good = v2Inputs(churn, records)
        let numeric = churn.header.schema.features.first { !$0.categorical }!.name
        let categorical = churn.header.schema.features.first { $0.categorical }!.name
        func replacing(_ name: String, _ change: (inout [String: Any]) -> Void) -> [[String: Any]] {
            good.map { input in
                var input = input
                if input["name"] as? String == name { change(&input) }
                return input
            }
        }
        let cases: [(String, Data, String)] = [
            ("not JSON", Data("{\"inputs\": [".utf8), "not valid JSON"),
            ("an array body", Data("[1, 2]".utf8), "JSON object"),
            ("no inputs", try JSONSerialization.data(withJSONObject: ["id": "1"]), "request.inputs is required"),
            ("unknown top-level field", try JSONSerialization.data(withJSONObject: ["inputs": good, "input": 1]), "unknown field 'input'"),
            ("unknown input", try JSONSerialization.data(withJSONObject: ["inputs": good + [["name": "shoe_size", "datatype": "FP64", "shape": [2], "data": [1, 2]]]]), "'shoe_size'"),
            ("missing input", try JSONSerialization.data(withJSONObject: ["inputs": good.filter { $0["name"] as? String != numeric }]), "'\(numeric)'"),
            ("BYTES for a number", try JSONSerialization.data(withJSONObject: ["inputs": replacing(numeric) { $0["datatype"] = "BYTES"; $0["data"] = ["1", "2"] }]), "'\(numeric)' is numeric"),
            ("text in FP64", try JSONSerialization.data(withJSONObject: ["inputs": replacing(numeric) { $0["data"] = ["a", "b"] }]), "'\(numeric)'"),
            ("numbers in BYTES", try JSONSerialization.data(withJSONObject: ["inputs": replacing(categorical) { $0["data"] = [1, 2] }]), "BYTES data must be strings"),
            ("shape and data disagree", try JSONSerialization.data(withJSONObject: ["inputs": replacing(numeric) { $0["shape"] = [3] }]), "shape [3] holds 3 values, data has 2"),
            ("a 2-D feature tensor", try JSONSerialization.data(withJSONObject: ["inputs": replacing(numeric) { $0["shape"] = [1, 2] }]), "[N] or [N, 1]"),
            ("unknown datatype", try JSONSerialization.data(withJSONObject: ["inputs": replacing(numeric) { $0["datatype"] = "FP128" }]), "unknown datatype 'FP128'"),
            ("no shape", try JSONSerialization.data(withJSONObject: ["inputs": replacing(numeric) { $0["shape"] = nil }]), "shape is required"),
            ("unknown output", try JSONSerialization.data(withJSONObject: ["inputs": good, "outputs": [["name": "probability"]]]), "'probability' is not an output"),
            ("[N, F] with the wrong F", try JSONSerialization.data(withJSONObject: ["inputs": [["name": "input-0", "datatype": "FP64", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]]]]), "needs F = \(churn.header.schema.features.count) columns"),
            ("[N, F] as BYTES", try JSONSerialization.data(withJSONObject: ["inputs": [["name": "input-0", "datatype": "BYTES", "shape": [1, churn.header.schema.features.count], "data": Array(repeating: "a", count: churn.header.schema.features.count)]]]), "holds numbers"),
            ("[N, F] that its data does not fill", try JSONSerialization.data(withJSONObject: ["inputs": [["name": "input-0", "datatype": "FP64", "shape": [2, churn.header.schema.features.count], "data": [1, 2]]]]), "data has 2"),
            ("[N, F] beside other tensors", try JSONSerialization.data(withJSONObject: ["inputs": good + [["name": "input-0", "datatype": "FP64", "shape": [2, churn.header.schema.features.count], "data": Array(repeating: 1, count: 2 * churn.header.schema.features.count)]]]), "'input-0' is not an input"),
            ("a zero-row shape", try JSONSerialization.data(withJSONObject: ["inputs": replacing(numeric) { $0["shape"] = [0]; $0["data"] = [Any]() }]), "N ≥ 1 rows"),
            ("explain not a boolean", try JSONSerialization.data(withJSONObject: ["inputs": good, "parameters": ["explain": "yes"]]), "explain must be true or false"),
        ]
        for (label, body, message) in cases {
            let reply = try await HTTPClient.send("POST", server.url("/v2/models/churn/infer"), body: body)
            XCTAssertEqual(reply.status, 400, "\(label): \(reply.text)")
            let error = try XCTUnwrap(reply.json["error"] as? String, "\(label): \(reply.text)")
            XCTAssertTrue(error.contains(message), "\(label): \(error)")
        }
        let unknown = try await HTTPClient.send("POST", server.url("/v2/models/nosuch/infer"), json: ["inputs": good])
        XCTAssertEqual(unknown.status, 404)
        XCTAssertNotNil(unknown.json["error"] as? String)
        let noVersion = try await HTTPClient.send("POST", server.url("/v2/models/churn/versions/99/infer"), json: ["inputs": good])
        XCTAssertEqual(noVersion.status, 404, noVersion.text)
        await server.stop()
    }

    func testExplanationsOverHTTPAreAdditiveAndInWords() async throws {
        let (server, fixture) = try await start(["churn@1"])
        let churn = try TrainedModel.decode(try fixture.registry().artifact(model: "churn", version: 1))
        let records = try fixture.records(rows: 0..<4)
        let reply = try await HTTPClient.send("POST", server.url("/v2/models/churn/infer"),
                                              json: ["inputs": v2Inputs(churn, records), "parameters": ["explain": true, "top_k": 2]])
        XCTAssertEqual(reply.status, 200, reply.text)
        let outputs = try XCTUnwrap(reply.json["outputs"] as? [[String: Any]])
        func tensor(_ name: String) throws -> [String: Any] { try XCTUnwrap(outputs.first { $0["name"] as? String == name }, name) }
        let probabilities = try XCTUnwrap(try tensor("prediction")["data"] as? [Double])
        let base = try XCTUnwrap(try tensor("shap_base")["data"] as? [Double])
        let values = try tensor("shap_values")
        let features = churn.header.schema.names.count
        XCTAssertEqual(values["shape"] as? [Int], [4, features])
        XCTAssertEqual((values["parameters"] as? [String: Any])?["features"] as? [String], churn.header.schema.names)
        let contributions = try XCTUnwrap(values["data"] as? [Double])
        for row in 0..<4 {
            let raw = base[row] + contributions[row * features..<(row + 1) * features].reduce(0, +)
            XCTAssertEqual(1 / (1 + exp(-raw)), probabilities[row], accuracy: 1e-6)
        }
        let reasons = try XCTUnwrap(try tensor("reasons")["data"] as? [String])
        XCTAssertEqual(reasons.count, 8)
        XCTAssertTrue(reasons[0].range(of: #"^[a-z_0-9]+ = \S+ (raised|lowered) churn_30_day by [0-9.e-]+ \(log-odds\)$"#, options: .regularExpression) != nil, reasons[0])

        let v1 = try await HTTPClient.send("POST", server.url("/v1/models/churn:explain"), json: ["instances": [Self.json(records[0])]])
        XCTAssertEqual(v1.status, 200, v1.text)
        let explained = try XCTUnwrap((v1.json["explanations"] as? [[String: Any]])?.first)
        let sum = (explained["base"] as! Double) + (explained["contributions"] as! [String: Double]).values.reduce(0, +)
        XCTAssertEqual(sum, explained["raw_score"] as! Double, accuracy: 1e-6)
        XCTAssertEqual((explained["reasons"] as? [String])?.count, 3)
        await server.stop()
    }

    static func json(_ record: [String: FeatureValue]) -> [String: Any] {
        record.mapValues { value -> Any in
            switch value {
            case .number(let x): return x
            case .text(let t): return t
            case .missing: return NSNull()
            }
        }
    }

    func testRecordsEndpointPredictsEveryKindAndRecommends() async throws {
        let (server, fixture) = try await start(["churn@1", "ensemble@1", "recommender@1", "anomaly@1"])
        let registry = try fixture.registry()
        let records = try fixture.records(rows: 0..<3)
        for name in ["churn", "ensemble", "anomaly"] {
            let model = try LoadedModel.load(try registry.version(reference: "\(name)@1"), from: registry)
            let expected = try model.score(try FeatureRows(records: records))
            let reply = try await HTTPClient.send("POST", server.url("/v1/models/\(name):predict"), json: ["instances": records.map(Self.json)])
            XCTAssertEqual(reply.status, 200, "\(name): \(reply.text)")
            XCTAssertEqual(reply.json["model_version"] as? String, "1")
            let predictions = try XCTUnwrap(reply.json["predictions"] as? [[String: Any]])
            XCTAssertEqual(predictions.count, 3)
            let first = try XCTUnwrap(predictions[0][expected.names[0]] as? Double, "\(predictions[0])")
            XCTAssertEqual(first, expected.columns[0][0], accuracy: 1e-12, name)
        }
        let user = try XCTUnwrap(try FeatureRows(records: records).identifiers(CustomerSchema.idColumn)?.first ?? nil)
        let id = user
        let recommended = try await HTTPClient.send("POST", server.url("/v1/models/recommender:recommend"), json: ["user": id, "k": 4])
        XCTAssertEqual(recommended.status, 200, recommended.text)
        let lists = try XCTUnwrap(recommended.json["recommendations"] as? [[String: Any]])
        XCTAssertEqual(lists.first?["user"] as? String, id)
        XCTAssertEqual((lists.first?["items"] as? [[String: Any]])?.count, 4)
        let wrongVerb = try await HTTPClient.send("POST", server.url("/v1/models/churn:recommend"), json: ["user": id])
        XCTAssertEqual(wrongVerb.status, 422, wrongVerb.text)
        let badVerb = try await HTTPClient.send("POST", server.url("/v1/models/churn:guess"), json: ["instances": []])
        XCTAssertEqual(badVerb.status, 400, badVerb.text)
        XCTAssertNotNil(badVerb.json["error"])
        await server.stop()
    }

    func testMetricsCountRequestsAndErrorsPerModelAndVersion() async throws {
        let (server, fixture) = try await start(["churn@1"])
        let records = try fixture.records(rows: 0..<1)
        for _ in 0..<3 {
            let ok = try await HTTPClient.send("POST", server.url("/v1/models/churn:predict"), json: ["instances": records.map(Self.json)])
            XCTAssertEqual(ok.status, 200, ok.text)
        }
        let bad = try await HTTPClient.send("POST", server.url("/v1/models/churn:predict"), json: ["instances": [["nothing": 1]]])
        XCTAssertEqual(bad.status, 400)
        let metrics = try await HTTPClient.send("GET", server.url("/metrics"))
        XCTAssertEqual(metrics.status, 200)
        let text = metrics.text
        XCTAssertTrue(text.contains(#"engage_serve_requests_total{model="churn",version="1",endpoint="v1_predict"} 4"#), text)
        XCTAssertTrue(text.contains(#"engage_serve_errors_total{model="churn",version="1",endpoint="v1_predict",status="400"} 1"#), text)
        XCTAssertTrue(text.contains(#"engage_serve_request_duration_seconds_count{model="churn",version="1",endpoint="v1_predict"} 4"#), text)
        XCTAssertTrue(text.contains(#"engage_serve_serving_version{model="churn"} 1"#), text)
        await server.stop()
    }

    func testANetworkBindNeedsAPIKeysAndKeysAreEnforced() async throws {
        let fixture = try ServeFixture.shared()
        let catalog = try ModelCatalog(registry: try fixture.registry(), references: [try VersionReference(parsing: "churn@1")])
        XCTAssertThrowsError(try InferenceServer(catalog: catalog, settings: ServeSettings(bind: try ServeBind(parsing: "0.0.0.0:0")), logger: .init(label: "t"))) { error in
            XCTAssertTrue("\(error)".contains("--api-key-file"), "\(error)")
        }
        let token = "k-" + UUID().uuidString
        XCTAssertNoThrow(try InferenceServer(catalog: catalog, settings: ServeSettings(bind: try ServeBind(parsing: "0.0.0.0:0"), apiKeys: try APIKeys(tokens: [token])),
                                             logger: .init(label: "t")), "a network bind with keys is allowed (not started here)")
        XCTAssertThrowsError(try APIKeys(tokens: ["short"]))

        let keyFile = (fixture.directory as NSString).appendingPathComponent("serve.keys")
        try "# serve keys\n\(token)\n".write(toFile: keyFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyFile)
        XCTAssertThrowsError(try APIKeys(file: keyFile)) { XCTAssertTrue("\($0)".contains("chmod 600"), "\($0)") }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile)
        let keys = try APIKeys(file: keyFile)

        let server = try await RunningServer(catalog: catalog, settings: ServeSettings(bind: try ServeBind(parsing: "127.0.0.1:0"), apiKeys: keys, logSampleRate: 0))
        let records = try fixture.records(rows: 0..<1).map(Self.json)
        let without = try await HTTPClient.send("POST", server.url("/v1/models/churn:predict"), json: ["instances": records])
        XCTAssertEqual(without.status, 401)
        XCTAssertNotNil(without.json["error"])
        let wrong = try await HTTPClient.send("POST", server.url("/v1/models/churn:predict"), json: ["instances": records], headers: ["Authorization": "Bearer nope-nope-nope-nope"])
        XCTAssertEqual(wrong.status, 401)
        let with = try await HTTPClient.send("POST", server.url("/v1/models/churn:predict"), json: ["instances": records], headers: ["Authorization": "Bearer \(token)"])
        XCTAssertEqual(with.status, 200, with.text)
        let health = try await HTTPClient.send("GET", server.url("/v2/health/ready"))
        XCTAssertEqual(health.status, 200, "health probes need no key")
        let metrics = try await HTTPClient.send("GET", server.url("/metrics"))
        XCTAssertEqual(metrics.status, 401)
        await server.stop()

        let refused = try fixture.engage.run(["serve", "--registry", fixture.registryPath, "--model", "churn@1", "--bind", "0.0.0.0:0"], in: fixture.directory, timeout: 60)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("--api-key-file"), refused.output)
    }

    func testSampledRequestLogLandsInTheRegistry() async throws {
        let fixture = try ServeFixture.shared()
        let registry = try fixture.registry()
        let catalog = try ModelCatalog(registry: registry, references: [try VersionReference(parsing: "engagement@1")])
        var settings = ServeSettings(bind: try ServeBind(parsing: "127.0.0.1:0"), logSampleRate: 0.5)
        settings.logFlushInterval = .milliseconds(50)
        let before = try registry.servedRequests(model: "engagement", version: 1).count
        let server = try await RunningServer(catalog: catalog, settings: settings)
        let records = try fixture.records(rows: 0..<10)
        for record in records {
            let reply = try await HTTPClient.send("POST", server.url("/v1/models/engagement:predict"), json: ["instances": [Self.json(record)]])
            XCTAssertEqual(reply.status, 200, reply.text)
        }
        await server.stop()
        let logged = try registry.servedRequests(model: "engagement", version: 1)
        XCTAssertEqual(logged.count - before, 5, "every second request is kept at rate 0.5")
        let model = try TrainedModel.decode(try registry.artifact(model: "engagement", version: 1))
        let table = try RequestLog.servedTable(Array(logged.suffix(5)), features: model.header.schema.features)
        XCTAssertEqual(table.rowCount, 5)
        XCTAssertEqual(table.names, model.header.schema.names)
        let outputs = try JSONSerialization.jsonObject(with: Data(logged.last!.outputs.utf8)) as? [String: [Double]]
        XCTAssertEqual(outputs?["prediction"]?.count, 1)
    }
}

/// The request-body JSON reader against Foundation's on the same documents, and its refusals.
final class JSONParserTests: XCTestCase {
    func testReadsWhatFoundationReadsAndRefusesWhatIsNotJSON() throws {
        let text = #"{"id": "a\"b\\c\/\u00e9\ud83d\ude00", "n": [-1.5e3, 0, 12, 3.25, true, false, null], "o": {"x": [[1], []], "y": {}}}"#
        guard case .object(let object) = try JSONParser.parse(Data(text.utf8)) else { return XCTFail("not an object") }
        let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        XCTAssertEqual(object["id"], .string(foundation["id"] as! String))
        XCTAssertEqual(object["n"], .array([.number(-1500), .number(0), .number(12), .number(3.25), .bool(true), .bool(false), .null]))
        XCTAssertEqual(object["o"], .object(["x": .array([.array([.number(1)]), .array([])]), "y": .object([:])]))
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "{\"a\": 1,}", "tru", "[1] 2", "\"\\ud800\"", "\"\\q\"", "[+1]", "[-]", "\"a\nb\"",
                    String(repeating: "[", count: 65) + String(repeating: "]", count: 65)] {
            XCTAssertThrowsError(try JSONParser.parse(Data(bad.utf8)), bad) { error in
                XCTAssertTrue("\(error)".contains("not valid JSON"), "\(bad): \(error)")
            }
        }
    }
}
