import Foundation

/// `metrics: { bind: 127.0.0.1:9464 }`: the coordinator serves Prometheus text on that address.
///
/// Only a loopback address is accepted (checked when the file is read): the endpoint has no
/// authentication, so reaching it from elsewhere goes through an SSH tunnel or a proxy.
public struct MetricsSettings: Sendable, Equatable {
    public var bind: String

    public init(bind: String = "127.0.0.1:9464") { self.bind = bind }

    static func read(_ root: YAMLNodeReader) throws -> MetricsSettings? {
        guard let section = try root.mapping("metrics", allowedKeys: ["bind"]) else { return nil }
        let settings = MetricsSettings(bind: try section.string("bind") ?? MetricsSettings().bind)
        do {
            _ = try MetricsBind.parse(settings.bind)
        } catch let error as MetricsServerError {
            throw section.fail("bind", section.child("bind") ?? section.node, error.reason)
        }
        return settings
    }
}
