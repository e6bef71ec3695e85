import Foundation
import Wire

/// Refuses to put an unauthenticated coordinator on a network: without CURVE, whoever reaches
/// its port is handed shards of customer data and can register model versions.
///
/// Exists so that the refusal happens before anything binds or any data is prepared, with the
/// way out in the message; `--insecure` is the operator's statement that the network is trusted.
public enum ExposureCheck {
    /// What the coordinator should warn about (nil: nothing); throws when it must not bind.
    public static func verdict(endpoint: String, curve: Bool, insecure: Bool) throws -> String? {
        guard !curve, case .network(let host) = BindScope(endpoint: endpoint) else { return nil }
        guard insecure else { throw ExposureRefusal(endpoint: endpoint, host: host) }
        return "binding \(endpoint) without CURVE (--insecure): anyone who reaches this port gets shards of customer data and can register versions"
    }
}

/// A non-local bind without CURVE or `--insecure`.
public struct ExposureRefusal: Error, CustomStringConvertible, LocalizedError {
    public let endpoint: String
    public let host: String

    public var description: String {
        """
        refusing to bind \(endpoint): '\(host)' is reachable from other hosts and CURVE is off, so anyone who reaches \
        the port would get shards of customer data and could register model versions. Secure the cluster: run \
        `engage keys generate --out keys --workers N`, set `cluster: { security: { curve: true, keys: keys/ } }` in \
        cluster.yaml and give each worker `--keys DIR --name worker-I` (docs/operations.md). On a trusted network \
        only, pass --insecure. Or bind a loopback address (tcp://127.0.0.1:5555).
        """
    }

    public var errorDescription: String? { description }
}
