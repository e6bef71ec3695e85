import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A bare HTTP client for the coordinator's metrics endpoint: writes `request` to
/// 127.0.0.1:`port` as is and returns the whole response (the server closes after it).
public enum LoopbackHTTP {
    public static func exchange(port: UInt16, _ request: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &target.sin_addr)
        let connected = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw HarnessError("connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
        _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }

    /// The body of `GET path`, or nil unless the status is 200.
    public static func get(port: UInt16, _ path: String) throws -> String? {
        let response = try exchange(port: port, "GET \(path) HTTP/1.0\r\n\r\n")
        guard response.hasPrefix("HTTP/1.0 200"), let split = response.range(of: "\r\n\r\n") else { return nil }
        return String(response[split.upperBound...])
    }
}
