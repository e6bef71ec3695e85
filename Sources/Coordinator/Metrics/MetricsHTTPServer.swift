import Foundation
import Wire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves `GET /metrics` over HTTP/1.0 on a loopback address, from one thread of its own.
///
/// Deliberately tiny rather than a web framework (Hummingbird would add minutes to a clean build
/// for one route): one blocking accept loop, one connection at a time, a request head read up to
/// ``HTTPRequestHead/maxBytes`` with a 2 s timeout, then the response and close. A non-loopback
/// bind is refused: the endpoint has no authentication and names the run's models.
/// `@unchecked Sendable`: `stopping` is guarded by `lock`; the socket is only closed by `stop()`.
public final class MetricsHTTPServer: @unchecked Sendable {
    private let listener: Int32
    private let body: @Sendable () -> [UInt8]
    private let lock = NSLock()
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    /// The address actually bound, `127.0.0.1:PORT` (resolves port 0).
    public let boundAddress: String

    /// Binds `bind` (`127.0.0.1:9464`, `localhost:0`); `body` renders the metrics for each scrape.
    public init(bind: String, body: @escaping @Sendable () -> [UInt8]) throws {
        let (host, port) = try MetricsBind.parse(bind)
        self.body = body
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MetricsServerError(reason: "socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(port).bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw MetricsServerError(reason: "cannot listen on \(bind): \(reason)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        boundAddress = "\(host):\(UInt16(bigEndian: address.sin_port))"
    }

    deinit { stop() }

    public func start() {
        let thread = Thread { [self] in
            serve()
            finished.signal()
        }
        thread.name = "engage-metrics"
        thread.start()
    }

    /// Stops accepting and waits (up to 3 s) for the connection being served.
    public func stop() {
        let first: Bool = lock.withLock {
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        _ = finished.wait(timeout: .now() + 3)
        close(listener)
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func serve() {
        while !isStopping {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0, !isStopping else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            respond(on: client)
            close(client)
        }
    }

    private func respond(on client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while head.count < HTTPRequestHead.maxBytes, !HTTPRequestHead.isComplete(head) {
            let count = recv(client, &chunk, chunk.count, 0)
            guard count > 0 else { break }
            head += chunk[..<count]
        }
        let response = HTTPRequestHead.route(head).response(body: body)
        var offset = 0
        while offset < response.count {
            let sent = response.withUnsafeBytes { send(client, $0.baseAddress! + offset, response.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            offset += sent
        }
    }
}

public struct MetricsServerError: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "metrics endpoint: \(reason)" }
}

/// The `metrics.bind` address: `HOST:PORT` with a loopback IPv4 host (`localhost` means 127.0.0.1).
public enum MetricsBind {
    public static func parse(_ bind: String) throws -> (host: String, port: UInt16) {
        guard let colon = bind.lastIndex(of: ":"), let port = UInt16(bind[bind.index(after: colon)...]) else {
            throw MetricsServerError(reason: "expected HOST:PORT such as 127.0.0.1:9464, found '\(bind)'")
        }
        var host = String(bind[..<colon])
        if host.lowercased() == "localhost" { host = "127.0.0.1" }
        guard BindScope(endpoint: "tcp://\(host):\(port)").isLocal else {
            throw MetricsServerError(reason: "'\(bind)' is reachable from other hosts; the metrics endpoint has no authentication, so only a loopback address (127.0.0.1:PORT) is allowed — put a reverse proxy or an SSH tunnel in front of it")
        }
        var probe = in_addr()
        guard inet_pton(AF_INET, host, &probe) == 1 else {
            throw MetricsServerError(reason: "'\(host)' is not an IPv4 loopback address; use 127.0.0.1:PORT")
        }
        return (host, port)
    }
}

/// The one route: the request line of an HTTP request head, checked and bounded.
enum HTTPRequestHead: Equatable {
    case metrics
    case notFound
    case badRequest

    static let maxBytes = 8192
    static let maxRequestLine = 1024

    static func isComplete(_ head: [UInt8]) -> Bool {
        let text = String(decoding: head, as: UTF8.self)
        return text.contains("\r\n\r\n") || text.contains("\n\n")
    }

    static func route(_ head: [UInt8]) -> HTTPRequestHead {
        guard let end = head.firstIndex(of: 0x0A), end <= maxRequestLine else { return .badRequest }
        var line = String(decoding: head[..<end], as: UTF8.self)
        if line.hasSuffix("\r") { line.removeLast() }
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1."), !parts[1].isEmpty else { return .badRequest }
        let path = parts[1].split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        return parts[0] == "GET" && path == "/metrics" ? .metrics : .notFound
    }

    func response(body: () -> [UInt8]) -> [UInt8] {
        let (status, type, content): (String, String, [UInt8]) = switch self {
        case .metrics: ("200 OK", "text/plain; version=0.0.4; charset=utf-8", body())
        case .notFound: ("404 Not Found", "text/plain; charset=utf-8", Array("only GET /metrics is served\n".utf8))
        case .badRequest: ("400 Bad Request", "text/plain; charset=utf-8", Array("bad request\n".utf8))
        }
        return Array("HTTP/1.0 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(content.count)\r\nConnection: close\r\n\r\n".utf8) + content
    }
}
