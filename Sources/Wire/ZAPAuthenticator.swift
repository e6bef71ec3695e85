import Foundation

/// The ZAP handler (ZeroMQ RFC 27) for CURVE "Ironhouse": admits a client only when its
/// public key is in the allowed set, and refuses every other client and mechanism.
///
/// libzmq admits every CURVE client when no handler is bound, so the handler binds
/// `inproc://zeromq.zap.01` in `init` and ``start()`` must run before the server socket binds.
/// The REP socket is served by a thread of its own. Call ``stop()`` before terminating the
/// context; should the context be terminated first, the thread still closes its socket and ends.
/// The class is `@unchecked Sendable` because the socket is touched only by the serving thread
/// (or, before start and after stop, by the caller) and all other state is guarded by `condition`.
public final class ZAPAuthenticator: @unchecked Sendable {
    public static let endpoint = "inproc://zeromq.zap.01"

    private enum State { case idle, running, stopping, stopped }

    private let socket: ZMQSocket
    private var allowedClientKeys: Set<String>
    private let condition = NSCondition()
    private var state = State.idle
    private var rejectedCount = 0
    private var acceptedCount = 0
    private var serveError: ZMQError?
    private var pendingRefusals: [ZAPRefusal] = []

    /// Refusals kept for `drainRefusals` between two calls; the count goes on beyond it.
    private static let maxPendingRefusals = 1000

    /// How often the serving thread looks for a stop request while idle.
    private static let stopCheckMs: Int32 = 50

    public init(context: ZMQContext, allowedClientKeys: Set<String>) throws {
        for key in allowedClientKeys {
            try CurveKeyPair.validateZ85Key(key, role: "allowed client public key")
        }
        self.allowedClientKeys = allowedClientKeys
        socket = try ZMQSocket(context: context, type: .rep)
        do {
            try socket.setLinger(milliseconds: 0)
            try socket.bind(Self.endpoint)
        } catch {
            socket.close()
            throw error
        }
    }

    deinit {
        stop()
    }

    /// Starts answering ZAP requests on a thread of its own. Idempotent.
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard state == .idle else { return }
        state = .running
        let thread = Thread { [self] in serve() }
        thread.name = "engage.zap"
        thread.start()
    }

    /// Stops serving and closes the handler's socket; returns once the thread has ended.
    /// Idempotent. Clients that handshake afterwards are not admitted.
    public func stop() {
        condition.lock()
        defer { condition.unlock() }
        switch state {
        case .idle:
            state = .stopped
            releaseSocket()
        case .running:
            state = .stopping
            while state != .stopped { condition.wait() }
        case .stopping:
            while state != .stopped { condition.wait() }
        case .stopped:
            break
        }
    }

    /// Replaces the allow-list; handshakes from then on are judged by the new one (connections
    /// already admitted stay, as CURVE authenticates once per connection).
    public func replaceAllowedClientKeys(_ keys: Set<String>) throws {
        for key in keys { try CurveKeyPair.validateZ85Key(key, role: "allowed client public key") }
        condition.lock()
        defer { condition.unlock() }
        allowedClientKeys = keys
    }

    /// The refusals since the last call, oldest first, for the owner to log.
    public func drainRefusals() -> [ZAPRefusal] {
        condition.lock()
        defer { condition.unlock() }
        defer { pendingRefusals.removeAll() }
        return pendingRefusals
    }

    /// Handshakes refused so far.
    public var rejected: Int {
        condition.lock()
        defer { condition.unlock() }
        return rejectedCount
    }

    /// Handshakes admitted so far.
    public var accepted: Int {
        condition.lock()
        defer { condition.unlock() }
        return acceptedCount
    }

    /// The socket error that ended serving early, if any; from then on no client is admitted.
    public var failure: ZMQError? {
        condition.lock()
        defer { condition.unlock() }
        return serveError
    }

    private var currentAllowedKeys: Set<String> {
        condition.lock()
        defer { condition.unlock() }
        return allowedClientKeys
    }

    private var stopRequested: Bool {
        condition.lock()
        defer { condition.unlock() }
        return state == .stopping
    }

    private func serve() {
        var failure: ZMQError?
        while !stopRequested {
            do {
                guard let request = try socket.receive(timeoutMs: Self.stopCheckMs) else { continue }
                let verdict = ZAPVerdict(request: request, allowedClientKeys: currentAllowedKeys)
                record(verdict)
                try socket.send(verdict.reply)
            } catch let error as ZMQError {
                if !error.isContextTerminated { failure = error }
                break
            } catch {
                break
            }
        }
        releaseSocket()
        condition.lock()
        serveError = failure
        state = .stopped
        condition.broadcast()
        condition.unlock()
    }

    /// Unbinding first frees the endpoint at once; `zmq_close` alone releases it later, on
    /// libzmq's reaper thread, so a new handler could not bind right after `stop()`.
    private func releaseSocket() {
        try? socket.unbind(Self.endpoint)
        socket.close()
    }

    private func record(_ verdict: ZAPVerdict) {
        condition.lock()
        defer { condition.unlock() }
        if verdict.admitted {
            acceptedCount += 1
        } else {
            rejectedCount += 1
            if pendingRefusals.count < Self.maxPendingRefusals { pendingRefusals.append(verdict.refusal) }
        }
    }
}

/// The decision on one ZAP request and the reply frames that carry it (RFC 27).
struct ZAPVerdict {
    let admitted: Bool
    let reply: [Data]
    /// Who was refused and why (meaningless when admitted).
    var refusal = ZAPRefusal(fingerprint: nil, address: "", reason: "")

    private static let version = Data("1.0".utf8)

    init(request: [Data], allowedClientKeys: Set<String>) {
        // Request: version, request id, domain, address, routing id, mechanism, credentials…
        guard request.count >= 6, request[0] == Self.version else {
            self.init(requestID: request.count > 1 ? request[1] : Data(), status: "500",
                      text: "malformed ZAP request", userID: "")
            return
        }
        let address = String(decoding: request[3], as: UTF8.self)
        let mechanism = String(decoding: request[5], as: UTF8.self)
        guard mechanism == "CURVE" else {
            self.init(requestID: request[1], status: "400",
                      text: "mechanism \(mechanism) is not allowed", userID: "")
            refusal = ZAPRefusal(fingerprint: nil, address: address, reason: "mechanism \(mechanism) is not allowed")
            return
        }
        guard request.count == 7, let key = CurveKeyPair.z85(ofRawKey: request[6]) else {
            self.init(requestID: request[1], status: "500",
                      text: "malformed CURVE credentials", userID: "")
            refusal = ZAPRefusal(fingerprint: nil, address: address, reason: "malformed CURVE credentials")
            return
        }
        if allowedClientKeys.contains(key) {
            self.init(requestID: request[1], status: "200", text: "OK", userID: key)
        } else {
            self.init(requestID: request[1], status: "400",
                      text: "client key is not allowed", userID: "")
            refusal = ZAPRefusal(fingerprint: CurveCertificate.fingerprint(of: key), address: address, reason: "key not in the allow-list")
        }
    }

    private init(requestID: Data, status: String, text: String, userID: String) {
        admitted = status == "200"
        reply = [Self.version, requestID, Data(status.utf8), Data(text.utf8), Data(userID.utf8), Data()]
    }
}

/// One refused handshake: the client's key fingerprint (when it offered a CURVE key), its address and why.
public struct ZAPRefusal: Sendable, Equatable {
    public let fingerprint: String?
    public let address: String
    public let reason: String
}
