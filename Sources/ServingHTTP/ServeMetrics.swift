import Foundation
import Prometheus

/// `engage serve`'s Prometheus series: requests, errors and latency per model, answering
/// version and endpoint, and the version each served reference answers with now.
public final class ServeMetrics: Sendable {
    public static let latencyBuckets: [Double] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    public let registry = PrometheusCollectorRegistry()

    public init() {}

    /// One answered request; `version` is nil when no version was resolved (an unknown model).
    func record(model: String, version: Int?, endpoint: String, status: Int, seconds: Double) {
        let labels = [("model", model), ("version", version.map(String.init) ?? "none"), ("endpoint", endpoint)]
        registry.makeCounter(descriptor: Self.name("requests_total", "Requests answered, by model, answering version and endpoint."), labels: labels).increment()
        registry.makeValueHistogram(descriptor: Self.name("request_duration_seconds", "Request latency from body received to response built."),
                                    labels: labels, buckets: Self.latencyBuckets).record(seconds)
        if status >= 400 {
            registry.makeCounter(descriptor: Self.name("errors_total", "Requests answered with an error, by status."),
                                 labels: labels + [("status", String(status))]).increment()
        }
    }

    /// The version a served model answers with.
    func serving(model: String, version: Int) {
        registry.makeGauge(descriptor: Self.name("serving_version", "The version each served model answers with now."), labels: [("model", model)])
            .set(to: Double(version))
    }

    func swapped(model: String, succeeded: Bool) {
        registry.makeCounter(descriptor: Self.name(succeeded ? "swaps_total" : "swap_failures_total",
                                                   succeeded ? "Hot swaps to a new version." : "New versions that failed to load; the old one kept serving."),
                             labels: [("model", model)]).increment()
    }

    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    private static func name(_ metric: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "engage_serve", metricName: metric, unitName: "", helpText: help)
    }
}
