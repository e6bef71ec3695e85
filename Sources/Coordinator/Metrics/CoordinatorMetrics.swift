import Foundation
import Prometheus

/// The coordinator's Prometheus series, kept current from the run's events and the server's
/// traffic counters, and rendered by ``MetricsHTTPServer`` on each scrape.
///
/// Updated on the coordinator's loop thread; ``PrometheusCollectorRegistry`` is thread-safe, so
/// the scrape thread reads it without further locking.
public final class CoordinatorMetrics: RunEventSink, @unchecked Sendable {
    /// What the server has counted since it started; read on the loop thread at every tick.
    public struct Traffic: Sendable, Equatable {
        public var chunkBytesSent = 0
        public var malformedFrames = 0
        public var refusedHandshakes = 0
        public init(chunkBytesSent: Int = 0, malformedFrames: Int = 0, refusedHandshakes: Int = 0) {
            self.chunkBytesSent = chunkBytesSent
            self.malformedFrames = malformedFrames
            self.refusedHandshakes = refusedHandshakes
        }
    }

    public static let durationBuckets: [Double] = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]

    public let registry: PrometheusCollectorRegistry
    /// Reads the server's counters; set once the server exists.
    public var traffic: (() -> Traffic)?
    /// The registry version a done job registered, if it registered one (fold jobs do not).
    public var registeredVersion: ((_ job: String) -> (model: String, version: Int)?)?
    private var counted = Traffic()
    private let jobs: [String: Gauge]
    private let workersAlive: Gauge
    private let retries: Counter
    private let chunkBytes: Counter
    private let malformed: Counter
    private let refused: Counter

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        jobs = Dictionary(uniqueKeysWithValues: ["done", "running", "waiting", "failed"].map { state in
            (state, registry.makeGauge(descriptor: Self.name("jobs", "Jobs of this run by state."), labels: [("state", state)]))
        })
        workersAlive = registry.makeGauge(descriptor: Self.name("workers_alive", "Workers connected and heartbeating."))
        retries = registry.makeCounter(descriptor: Self.name("job_retries_total", "Job attempts that failed or were lost and were queued again."))
        chunkBytes = registry.makeCounter(descriptor: Self.name("chunk_bytes_sent_total", "Shard bytes sent to workers in CHUNK messages."))
        malformed = registry.makeCounter(descriptor: Self.name("malformed_frames_total", "Messages dropped because they did not parse or were unexpected."))
        refused = registry.makeCounter(descriptor: Self.name("refused_handshakes_total", "CURVE handshakes refused (key not in allowed/)."))
    }

    /// Seeds the latest registered version of each model, before the run adds any.
    public func seedVersions(_ latest: [String: Int]) {
        for (model, version) in latest { latestVersion(model).set(to: Double(version)) }
    }

    /// The Prometheus text exposition of every series.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    public func receive(_ event: RunEvent, state: RunState) {
        update(state)
        switch event.type {
        case .jobDone:
            if let model = event.model, let seconds = event.seconds {
                registry.makeValueHistogram(descriptor: Self.name("job_duration_seconds", "Training seconds of accepted jobs, by model."),
                                            labels: [("model", model)], buckets: Self.durationBuckets).record(seconds)
            }
            if let job = event.job, let registered = registeredVersion?(job) {
                latestVersion(registered.model).set(to: Double(registered.version))
            }
        case .jobRetried:
            retries.increment()
        default:
            break
        }
    }

    public func tick(state: RunState, now: Date) {
        update(state)
        guard let now = traffic?() else { return }
        chunkBytes.increment(by: Int64(max(0, now.chunkBytesSent - counted.chunkBytesSent)))
        malformed.increment(by: Int64(max(0, now.malformedFrames - counted.malformedFrames)))
        refused.increment(by: Int64(max(0, now.refusedHandshakes - counted.refusedHandshakes)))
        counted = now
    }

    /// Takes the last counts and lets go of the server and sink the closures hold.
    public func close(state: RunState) {
        tick(state: state, now: Date())
        traffic = nil
        registeredVersion = nil
    }

    private func update(_ state: RunState) {
        jobs["done"]?.set(to: Double(state.done))
        jobs["running"]?.set(to: Double(state.running.count))
        jobs["waiting"]?.set(to: Double(state.waiting))
        jobs["failed"]?.set(to: Double(state.failed))
        workersAlive.set(to: Double(state.workers.count))
    }

    private func latestVersion(_ model: String) -> Gauge {
        registry.makeGauge(descriptor: Self.name("registry_latest_version", "The latest version of each model in the registry."), labels: [("model", model)])
    }

    private static func name(_ metric: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "engage", metricName: metric, unitName: "", helpText: help)
    }
}
