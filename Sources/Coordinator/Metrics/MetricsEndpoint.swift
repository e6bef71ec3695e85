import Foundation
import Logging
import Registry

/// The metrics of one pipeline run and the HTTP server that serves them, wired to the run's
/// server, result sink and registry.
final class MetricsEndpoint {
    let metrics: CoordinatorMetrics
    let http: MetricsHTTPServer

    private init(metrics: CoordinatorMetrics, http: MetricsHTTPServer) {
        self.metrics = metrics
        self.http = http
    }

    static func start(_ settings: MetricsSettings, server: CoordinatorServer, sink: RegistrySink, registry: ModelRegistry,
                      events: RunEventHub, logger: Logger) throws -> MetricsEndpoint {
        let metrics = CoordinatorMetrics()
        let latest = try registry.versions().reduce(into: [String: Int]()) { $0[$1.model] = max($0[$1.model] ?? 0, $1.version) }
        metrics.seedVersions(latest)
        metrics.traffic = { [server] in
            CoordinatorMetrics.Traffic(chunkBytesSent: server.chunkBytesSent, malformedFrames: server.counters.dropped,
                                       refusedHandshakes: server.refusedHandshakes)
        }
        metrics.registeredVersion = { [sink] job in sink.registered[job].map { ($0.model, $0.version) } }
        events.add(metrics)
        events.tick()
        let http = try MetricsHTTPServer(bind: settings.bind) { [metrics] in metrics.exposition() }
        http.start()
        logger.info("metrics on http://\(http.boundAddress)/metrics")
        return MetricsEndpoint(metrics: metrics, http: http)
    }

    func stop() { http.stop() }
}
