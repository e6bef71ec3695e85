import Dataset
import Foundation
import Hummingbird
import Logging
import ModelZoo
import Serving
import ServiceLifecycle

/// How `engage serve` runs: where it listens, who may call it, batching, the registry watch
/// and the request log.
public struct ServeSettings: Sendable {
    public var bind: ServeBind
    /// Required for a bind other hosts can reach.
    public var apiKeys: APIKeys?
    public var batch: FlushPolicy
    /// How often each served reference is resolved again (hot swap).
    public var pollInterval: Duration
    /// The share of requests written to the registry's request log (0 for none).
    public var logSampleRate: Double
    public var logFlushInterval: Duration = .seconds(1)
    public var maxBodyBytes = 16 << 20

    public init(bind: ServeBind, apiKeys: APIKeys? = nil, batch: FlushPolicy = FlushPolicy(), pollInterval: Duration = .milliseconds(250),
                logSampleRate: Double = 0.01) {
        self.bind = bind
        self.apiKeys = apiKeys
        self.batch = batch
        self.pollInterval = pollInterval
        self.logSampleRate = logSampleRate
    }
}

/// The HTTP shell of `engage serve` on Hummingbird 2: the Open Inference Protocol V2 endpoints,
/// the V1 records endpoints, health, metadata and `/metrics`, over a `ModelCatalog` that does
/// the scoring.
///
/// Refuses, before it binds, a bind that other hosts can reach unless API keys are set.
public final class InferenceServer: Sendable {
    public let catalog: ModelCatalog
    public let settings: ServeSettings
    public let metrics = ServeMetrics()
    let batcher: MicroBatcher
    let requestLog: RequestLog
    let logger: Logger

    public init(catalog: ModelCatalog, settings: ServeSettings, logger: Logger) throws {
        if !settings.bind.isLoopback, settings.apiKeys == nil {
            throw ServeSetupError("--bind \(settings.bind) can be reached from other hosts: give --api-key-file FILE (bearer tokens), or bind to 127.0.0.1")
        }
        self.catalog = catalog
        self.settings = settings
        self.logger = logger
        batcher = MicroBatcher(policy: settings.batch)
        requestLog = try RequestLog(registry: catalog.registry, rate: settings.logSampleRate)
        for model in catalog.served { metrics.serving(model: model.name, version: model.current.version.version) }
    }

    /// Serves until the task is cancelled; `onListening` gets the bound port (useful with port 0).
    ///
    /// Cancelling stops the HTTP server by a graceful shutdown (requests in flight are answered,
    /// idle connections closed), not by cancelling it: a cancelled Hummingbird server logs its
    /// accept loop's `CancellationError` as an error.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = Application(router: router(), configuration: ApplicationConfiguration(address: .hostname(settings.bind.host, port: settings.bind.port)),
                              onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: logger)
        let services = ServiceGroup(configuration: ServiceGroupConfiguration(services: [app], logger: logger))
        let http = Task { try await services.run() }
        try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await http.value }
                group.addTask { await self.watchRegistry() }
                group.addTask { await self.requestLog.run(every: self.settings.logFlushInterval, logger: self.logger) }
                defer { group.cancelAll() }
                try await group.next()
            }
        } onCancel: {
            Task { await services.triggerGracefulShutdown() }
        }
    }

    /// Resolves every served reference each `pollInterval` and swaps in the versions that moved.
    func watchRegistry() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: settings.pollInterval) } catch { return }
            for (name, outcome) in catalog.refresh(logger: logger) {
                switch outcome {
                case .unchanged: break
                case .swapped(_, let to):
                    metrics.serving(model: name, version: to)
                    metrics.swapped(model: name, succeeded: true)
                case .refused:
                    metrics.swapped(model: name, succeeded: false)
                }
            }
        }
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        if let keys = settings.apiKeys { router.add(middleware: BearerTokenMiddleware(keys: keys)) }
        router.get("/v2/health/live") { _, _ in Self.json(status: 200, ["live": true]) }
        router.get("/v2/health/ready") { _, _ in Self.json(status: 200, ["ready": true]) }
        router.get("/v2") { _, _ in Self.json(status: 200, ServerMetadata(name: "engage", version: EngageVersion.current, extensions: [])) }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.metrics.exposition())))
        }
        for prefix in ["/v2/models/{name}", "/v2/models/{name}/versions/{version}"] {
            router.get(RouterPath(prefix)) { request, context in
                await self.answer(endpoint: "v2_metadata", request, context) { model, _ in
                    Self.json(status: 200, OpenInferenceV2.metadata(model, reference: self.catalog.model(named: model.name)?.reference.description ?? model.label))
                }
            }
            router.get(RouterPath(prefix + "/ready")) { request, context in
                await self.answer(endpoint: "v2_ready", request, context) { model, _ in
                    Self.json(status: 200, ModelReady(name: model.name, version: String(model.version.version), ready: true))
                }
            }
            router.post(RouterPath(prefix + "/infer")) { request, context in
                await self.answer(endpoint: "v2_infer", request, context) { model, body in try await self.inferV2(model, body) }
            }
        }
        router.post("/v1/models/{name}") { request, context in
            let endpoint = (try? RecordsV1.split(context.parameters.get("name") ?? "")).map { "v1_\($0.verb.rawValue)" } ?? "v1"
            return await self.answer(endpoint: endpoint, request, context) { model, body in try await self.recordsV1(model, body, context) }
        }
        return router
    }

    // MARK: Endpoints

    func inferV2(_ model: LoadedModel, _ body: Data) async throws -> Response {
        let request = try OpenInferenceV2.request(body, for: model)
        var tensors: [OpenInferenceV2.Tensor]
        if case .recommender = model.trained.predictor {
            let columns = model.trained.header.recommender ?? RecommenderColumns()
            let users = request.rows.identifiers(columns.userColumn)!.map { $0 ?? "" }, items = request.rows.identifiers(columns.itemColumn)!.map { $0 ?? "" }
            let scores = try model.scorePairs(users: users, items: items)
            tensors = [OpenInferenceV2.Tensor(name: "score", datatype: "FP64", shape: [scores.count], data: .numbers(scores.map(\.value))),
                       OpenInferenceV2.Tensor(name: "source", datatype: "BYTES", shape: [scores.count], data: .strings(scores.map(\.source.rawValue)))]
        } else {
            let scored = request.explain ? try model.score(request.rows) : try await batcher.score(request.rows, with: model)
            requestLog.record(model: model, rows: request.rows, scored: scored)
            let explanations = request.explain ? try model.explain(request.rows, top: request.topK) : nil
            tensors = OpenInferenceV2.tensors(scored, explanations: explanations)
        }
        if let wanted = request.outputs { tensors = tensors.filter { wanted.contains($0.name) } }
        return Self.json(status: 200, OpenInferenceV2.InferResponse(model_name: model.name, model_version: String(model.version.version), id: request.id, outputs: tensors))
    }

    func recordsV1(_ model: LoadedModel, _ body: Data, _ context: BasicRequestContext) async throws -> Response {
        let verb = try RecordsV1.split(context.parameters.get("name") ?? "").verb
        let version = String(model.version.version)
        switch verb {
        case .recommend:
            let request = try RecordsV1.recommendRequest(body)
            let lists = try model.recommend(users: request.users, k: request.k)
            return Self.json(status: 200, RecordsV1.RecommendResponse(model_name: model.name, model_version: version, recommendations: zip(request.users, lists).map { user, items in
                RecordsV1.UserRecommendations(user: user, items: items.map { RecordsV1.Recommendation(item: $0.item, score: $0.score, source: $0.source.rawValue) })
            }))
        case .predict:
            let request = try RecordsV1.request(body)
            let scored = try await batcher.score(request.rows, with: model)
            requestLog.record(model: model, rows: request.rows, scored: scored)
            return Self.json(status: 200, RecordsV1.PredictResponse(model_name: model.name, model_version: version, predictions: RecordsV1.records(scored)))
        case .explain:
            let request = try RecordsV1.request(body)
            let scored = try model.score(request.rows)
            let explanations = try model.explain(request.rows, top: request.topK)
            let records = RecordsV1.records(scored)
            return Self.json(status: 200, RecordsV1.ExplainResponse(model_name: model.name, model_version: version, explanations: zip(records, explanations).map { record, explanation in
                RecordsV1.Explained(prediction: record, base: explanation.base, raw_score: explanation.rawScore, reasons: explanation.reasons,
                                    contributions: Dictionary(uniqueKeysWithValues: explanation.contributions.map { ($0.feature, $0.contribution) }))
            }))
        }
    }

    // MARK: Plumbing

    /// Resolves the model the path names, reads the body, runs `work`, and turns every failure
    /// into `{"error": …}` with its status; counts and times the request.
    func answer(endpoint: String, _ request: Request, _ context: BasicRequestContext,
                _ work: (LoadedModel, Data) async throws -> Response) async -> Response {
        let started = ContinuousClock.now
        var model: LoadedModel?
        let response: Response
        do {
            var name = context.parameters.get("name") ?? ""
            if endpoint.hasPrefix("v1") { name = try RecordsV1.split(name).model }
            let address = try ModelAddress(parsing: context.parameters.get("version").map { "\(name)/versions/\($0)" } ?? name)
            let resolved = try catalog.resolve(address)
            model = resolved
            var request = request
            let body = try await request.collectBody(upTo: settings.maxBodyBytes)
            response = try await work(resolved, Data(body.readableBytesView))
        } catch let error as ServingError {
            response = Self.json(status: error.status, ErrorBody(error: error.description))
        } catch let error as RequestError {
            response = Self.json(status: 400, ErrorBody(error: error.description))
        } catch let error as HTTPError where error.status == .contentTooLarge {
            response = Self.json(status: 413, ErrorBody(error: "the body is larger than \(settings.maxBodyBytes) bytes"))
        } catch {
            logger.error("\(endpoint) \(model?.label ?? "?"): \(error)")
            response = Self.json(status: 500, ErrorBody(error: "internal error: \(error)"))
        }
        let seconds = (ContinuousClock.now - started).seconds
        metrics.record(model: model?.name ?? "unknown", version: model?.version.version, endpoint: endpoint, status: Int(response.status.code), seconds: seconds)
        return response
    }

    static let encoder = EngageJSONEncoder([.sortedKeys, .withoutEscapingSlashes])

    static func json(status: Int, _ value: some Encodable) -> Response {
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"the response could not be encoded"}"#.utf8)
        return Response(status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    struct ErrorBody: Encodable { let error: String }
    struct ServerMetadata: Encodable {
        let name: String
        let version: String
        let extensions: [String]
    }
    struct ModelReady: Encodable {
        let name: String
        let version: String
        let ready: Bool
    }
}
