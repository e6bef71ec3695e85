import Foundation

/// Who can reach an endpoint a coordinator binds: only processes on this host (loopback, `ipc://`,
/// `inproc://`), or anyone on a network.
///
/// Exists so that an unauthenticated coordinator, which hands shards of customer data to whoever
/// connects, is never exposed to a network by accident.
public enum BindScope: Equatable, Sendable {
    case local
    /// Reachable from other hosts; `host` is the address as written (`*`, `0.0.0.0`, `10.0.0.5`, an interface name).
    case network(host: String)

    public init(endpoint: String) {
        guard let separator = endpoint.range(of: "://") else { self = .network(host: endpoint); return }
        let transport = endpoint[..<separator.lowerBound].lowercased()
        guard transport == "tcp" else {
            self = transport == "ipc" || transport == "inproc" ? .local : .network(host: endpoint)
            return
        }
        var address = String(endpoint[separator.upperBound...])
        // A bind may name a source interface: tcp://src;dst is connect-only, but keep the last part.
        if let semicolon = address.lastIndex(of: ";") { address = String(address[address.index(after: semicolon)...]) }
        let host: String
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            host = String(address[address.index(after: address.startIndex)..<close])
        } else if let colon = address.lastIndex(of: ":") {
            host = String(address[..<colon])
        } else {
            host = address
        }
        self = Self.isLoopback(host) ? .local : .network(host: host)
    }

    public var isLocal: Bool { self == .local }

    private static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "::1" || lowered == "lo" { return true }
        let octets = lowered.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
