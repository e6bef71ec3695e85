import Foundation

/// The `serve:` section of cluster.yaml: what `engage serve` serves and how, each value
/// overridden by the flag of the same name.
///
/// ```yaml
/// serve:
///   models: [churn@production, engagement@production]
///   bind: 127.0.0.1:8080
///   api_key_file: keys/serve.keys      # required for a bind other hosts can reach
///   batch: { max_rows: 32, max_wait_ms: 0.5 }
///   poll_ms: 250                        # registry watch for hot swap, at most 500
///   log_sample: 0.01                    # share of requests written to the request log
/// ```
public struct ServeConfig: Sendable, Equatable {
    public var models: [String] = []
    public var bind = "127.0.0.1:8080"
    public var apiKeyFile: String?
    public var batchMaxRows = 32
    public var batchMaxWaitMilliseconds = 0.5
    public var pollMilliseconds = 250
    public var logSample = 0.01

    public init() {}

    static func read(_ root: YAMLNodeReader) throws -> ServeConfig? {
        guard let section = try root.mapping("serve", allowedKeys: ["models", "bind", "api_key_file", "batch", "poll_ms", "log_sample"]) else { return nil }
        var config = ServeConfig()
        config.models = try section.strings("models") ?? config.models
        config.bind = try section.string("bind") ?? config.bind
        config.apiKeyFile = try section.string("api_key_file")
        if let batch = try section.mapping("batch", allowedKeys: ["max_rows", "max_wait_ms"]) {
            config.batchMaxRows = try batch.int("max_rows", min: 1) ?? config.batchMaxRows
            config.batchMaxWaitMilliseconds = try batch.double("max_wait_ms", range: 0...1000) ?? config.batchMaxWaitMilliseconds
        }
        if let poll = try section.int("poll_ms", min: 10) {
            guard poll <= 500 else { throw section.fail("poll_ms", section.child("poll_ms")!, "at most 500 (a moved alias must be served within 2 s), found \(poll)") }
            config.pollMilliseconds = poll
        }
        config.logSample = try section.double("log_sample", range: 0...1) ?? config.logSample
        return config
    }
}
