import Foundation
import Hummingbird
import Wire

/// Where `engage serve` listens: `HOST:PORT` (`127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:8080`).
public struct ServeBind: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    /// 0 asks the system for a free port.
    public let port: Int

    public init(parsing text: String) throws {
        let host: Substring, port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ServeSetupError("--bind \(text): expected [HOST]:PORT") }
            port = rest.dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        } else {
            throw ServeSetupError("--bind \(text): expected HOST:PORT, e.g. 127.0.0.1:8080")
        }
        guard !host.isEmpty, let number = Int(port), (0...65535).contains(number) else {
            throw ServeSetupError("--bind \(text): expected HOST:PORT with a port from 0 to 65535")
        }
        self.host = String(host)
        self.port = number
    }

    /// Only processes on this host can connect (127.0.0.0/8, ::1, localhost).
    public var isLoopback: Bool { BindScope(endpoint: "tcp://\(host.contains(":") ? "[\(host)]" : host):\(port)").isLocal }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// The bearer tokens a non-loopback server accepts, read from `--api-key-file` (one token a
/// line; blank lines and `#` comments ignored).
///
/// Exists because a server that answers for customer models on a network must not answer
/// anyone: the tokens are compared in constant time, and a file others can read is refused.
public struct APIKeys: Sendable {
    public static let minimumLength = 16
    private let tokens: [[UInt8]]

    public init(file path: String) throws {
        let attributes: [FileAttributeKey: Any]
        let text: String
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ServeSetupError("--api-key-file \(path): cannot be read (\(error.localizedDescription))")
        }
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw ServeSetupError("--api-key-file \(path): readable by others (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        try self.init(tokens: text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }, source: path)
    }

    public init(tokens: [String], source: String = "the key list") throws {
        guard !tokens.isEmpty else { throw ServeSetupError("\(source): no API key in it (one token a line)") }
        if let short = tokens.firstIndex(where: { $0.utf8.count < Self.minimumLength }) {
            throw ServeSetupError("\(source): key \(short + 1) is shorter than \(Self.minimumLength) characters")
        }
        self.tokens = tokens.map { Array($0.utf8) }
    }

    /// Whether an `Authorization` header value carries one of the tokens.
    public func accepts(authorization: String?) -> Bool {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return false }
        let offered = Array(authorization.dropFirst("Bearer ".count).utf8)
        var accepted = false
        for token in tokens where Self.constantTimeEqual(token, offered) { accepted = true }
        return accepted
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}

/// Refuses a request without a valid bearer token (401), except the health probes.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: APIKeys
    static var open: Set<String> { ["/v2/health/live", "/v2/health/ready"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.open.contains(request.uri.path) || keys.accepts(authorization: request.headers[.authorization]) {
            return try await next(request, context)
        }
        var response = InferenceServer.json(status: 401, InferenceServer.ErrorBody(error: "missing or invalid API key: send Authorization: Bearer TOKEN"))
        response.headers[.wwwAuthenticate] = "Bearer"
        return response
    }
}

/// Why `engage serve` cannot start as configured: a bad bind, a network bind without keys, an unreadable key file.
public struct ServeSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
