import CZeroMQ
import Foundation

/// One libzmq socket.
///
/// libzmq sockets are not thread-safe: a socket must be used by one owning thread at a time
/// (handing it to another thread is fine when the hand-over is synchronised). That rule is
/// the caller's to keep, which is why the class is only `@unchecked Sendable`: it can be
/// created on one thread and moved to the I/O thread that owns it from then on.
///
/// The socket keeps its ``ZMQContext`` alive. New sockets get a linger of
/// ``defaultLingerMilliseconds`` so that closing never hangs context termination forever.
public final class ZMQSocket: @unchecked Sendable {
    /// The linger new sockets get: long enough to flush a final message, bounded so that a
    /// peer that has gone away cannot block `zmq_ctx_term`.
    public static let defaultLingerMilliseconds: Int32 = 1000

    public let type: SocketType
    private let context: ZMQContext
    private var handle: UnsafeMutableRawPointer?
    private let message: UnsafeMutablePointer<zmq_msg_t>

    public init(context: ZMQContext, type: SocketType) throws {
        guard let contextHandle = context.handle else {
            throw ZMQError(code: ZMQError.contextTerminated, operation: "zmq_socket")
        }
        guard let handle = zmq_socket(contextHandle, type.rawValue) else {
            throw ZMQError.last("zmq_socket")
        }
        self.context = context
        self.type = type
        self.handle = handle
        message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        do {
            try setLinger(milliseconds: Self.defaultLingerMilliseconds)
        } catch {
            close()
            throw error
        }
    }

    deinit {
        close()
        message.deallocate()
    }

    /// Closes the socket (`zmq_close`). Idempotent; later calls on the socket throw `ENOTSOCK`.
    public func close() {
        guard let handle else { return }
        self.handle = nil
        zmq_close(handle)
    }

    /// The raw socket, for ``Poller``; throws once the socket is closed.
    func liveHandle(_ operation: String) throws -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(code: ENOTSOCK, operation: operation) }
        return handle
    }

    // MARK: - Endpoints

    public func bind(_ endpoint: String) throws { try endpointCall("zmq_bind", endpoint, zmq_bind) }

    public func connect(_ endpoint: String) throws { try endpointCall("zmq_connect", endpoint, zmq_connect) }

    public func disconnect(_ endpoint: String) throws { try endpointCall("zmq_disconnect", endpoint, zmq_disconnect) }

    public func unbind(_ endpoint: String) throws { try endpointCall("zmq_unbind", endpoint, zmq_unbind) }

    private func endpointCall(_ name: String, _ endpoint: String, _ call: (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Int32) throws {
        let operation = "\(name)(\(endpoint))"
        let handle = try liveHandle(operation)
        try retryingOnInterrupt(operation) { call(handle, endpoint) }
    }

    /// The endpoint of the last bind or connect (`ZMQ_LAST_ENDPOINT`), with the port the
    /// system chose for a `tcp://127.0.0.1:*` bind; nil when there is none or the socket is closed.
    public var lastEndpoint: String? {
        guard let handle else { return nil }
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        let rc = buffer.withUnsafeMutableBytes {
            zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, $0.baseAddress, &size)
        }
        guard rc == 0 else { return nil }
        let endpoint = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return endpoint.isEmpty ? nil : endpoint
    }

    // MARK: - Options

    /// Sets the routing id a ROUTER peer will see for this socket (`ZMQ_ROUTING_ID`); 1–255 bytes,
    /// not starting with a zero byte. Must be set before connecting.
    public func setIdentity(_ id: Data) throws {
        try setOption(ZMQ_ROUTING_ID, bytes: id, name: "ZMQ_ROUTING_ID")
    }

    /// How long unsent messages are kept after ``close()``: -1 forever, 0 drop at once.
    public func setLinger(milliseconds: Int32) throws {
        try setOption(ZMQ_LINGER, int32: milliseconds, name: "ZMQ_LINGER")
    }

    /// Peers sending a frame larger than this are disconnected (`ZMQ_MAXMSGSIZE`); -1 = no limit.
    public func setMaxMessageSize(_ bytes: Int64) throws {
        var value = bytes
        let handle = try liveHandle("zmq_setsockopt(ZMQ_MAXMSGSIZE)")
        try retryingOnInterrupt("zmq_setsockopt(ZMQ_MAXMSGSIZE)") {
            zmq_setsockopt(handle, ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size)
        }
    }

    public func setSendHighWaterMark(_ n: Int32) throws {
        try setOption(ZMQ_SNDHWM, int32: n, name: "ZMQ_SNDHWM")
    }

    public func setReceiveHighWaterMark(_ n: Int32) throws {
        try setOption(ZMQ_RCVHWM, int32: n, name: "ZMQ_RCVHWM")
    }

    /// When on, a ROUTER fails a send to an unknown peer with `EHOSTUNREACH` instead of
    /// silently dropping it (`ZMQ_ROUTER_MANDATORY`).
    public func setRouterMandatory(_ on: Bool) throws {
        try setOption(ZMQ_ROUTER_MANDATORY, int32: on ? 1 : 0, name: "ZMQ_ROUTER_MANDATORY")
    }

    /// Transport-level ZMTP heartbeats: ping every `intervalMs`, drop the connection when no
    /// traffic arrives within `timeoutMs`, and ask the peer to time out after `ttlMs`.
    public func setHeartbeat(intervalMs: Int32, timeoutMs: Int32, ttlMs: Int32) throws {
        try setOption(ZMQ_HEARTBEAT_IVL, int32: intervalMs, name: "ZMQ_HEARTBEAT_IVL")
        try setOption(ZMQ_HEARTBEAT_TIMEOUT, int32: timeoutMs, name: "ZMQ_HEARTBEAT_TIMEOUT")
        try setOption(ZMQ_HEARTBEAT_TTL, int32: ttlMs, name: "ZMQ_HEARTBEAT_TTL")
    }

    /// libzmq's own reconnect backoff: first retry after `intervalMs`, doubling up to `maxMs`
    /// (`maxMs` 0 keeps the interval fixed).
    public func setReconnect(intervalMs: Int32, maxMs: Int32) throws {
        try setOption(ZMQ_RECONNECT_IVL, int32: intervalMs, name: "ZMQ_RECONNECT_IVL")
        try setOption(ZMQ_RECONNECT_IVL_MAX, int32: maxMs, name: "ZMQ_RECONNECT_IVL_MAX")
    }

    /// Queues messages only to completed connections (`ZMQ_IMMEDIATE`), so a DEALER does not
    /// park messages on a peer that is not there yet.
    public func setImmediate(_ on: Bool) throws {
        try setOption(ZMQ_IMMEDIATE, int32: on ? 1 : 0, name: "ZMQ_IMMEDIATE")
    }

    /// For SUB sockets: receive messages whose first frame starts with `prefix` (empty = all).
    public func subscribe(_ prefix: Data = Data()) throws {
        try setOption(ZMQ_SUBSCRIBE, bytes: prefix, name: "ZMQ_SUBSCRIBE")
    }

    // MARK: - CURVE

    /// Makes this socket a CURVE server with its z85 secret key. Call before bind; start a
    /// ``ZAPAuthenticator`` first, or libzmq admits every client.
    public func makeCurveServer(secretKey: String) throws {
        try CurveKeyPair.validateZ85Key(secretKey, role: "server secret key")
        try setOption(ZMQ_CURVE_SERVER, int32: 1, name: "ZMQ_CURVE_SERVER")
        try setOption(ZMQ_CURVE_SECRETKEY, z85: secretKey, name: "ZMQ_CURVE_SECRETKEY")
    }

    /// Makes this socket a CURVE client of the server with `serverPublicKey`, authenticating
    /// with its own key pair (all z85). Call before connect.
    public func makeCurveClient(serverPublicKey: String, publicKey: String, secretKey: String) throws {
        try CurveKeyPair.validateZ85Key(serverPublicKey, role: "server public key")
        try CurveKeyPair.validateZ85Key(publicKey, role: "client public key")
        try CurveKeyPair.validateZ85Key(secretKey, role: "client secret key")
        try setOption(ZMQ_CURVE_SERVERKEY, z85: serverPublicKey, name: "ZMQ_CURVE_SERVERKEY")
        try setOption(ZMQ_CURVE_PUBLICKEY, z85: publicKey, name: "ZMQ_CURVE_PUBLICKEY")
        try setOption(ZMQ_CURVE_SECRETKEY, z85: secretKey, name: "ZMQ_CURVE_SECRETKEY")
    }

    private func setOption(_ option: Int32, int32 value: Int32, name: String) throws {
        var value = value
        let handle = try liveHandle("zmq_setsockopt(\(name))")
        try retryingOnInterrupt("zmq_setsockopt(\(name))") {
            zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size)
        }
    }

    private func setOption(_ option: Int32, bytes: Data, name: String) throws {
        let handle = try liveHandle("zmq_setsockopt(\(name))")
        _ = try bytes.withUnsafeBytes { buffer in
            try retryingOnInterrupt("zmq_setsockopt(\(name))") {
                zmq_setsockopt(handle, option, buffer.baseAddress, buffer.count)
            }
        }
    }

    private func setOption(_ option: Int32, z85 key: String, name: String) throws {
        let handle = try liveHandle("zmq_setsockopt(\(name))")
        _ = try key.withCString { pointer in
            try retryingOnInterrupt("zmq_setsockopt(\(name))") {
                zmq_setsockopt(handle, option, pointer, CurveKeyPair.z85KeyLength)
            }
        }
    }

    // MARK: - Sending

    /// Sends one multipart message, blocking while the high-water mark is reached.
    /// An empty `frames` array sends nothing.
    public func send(_ frames: [Data]) throws {
        _ = try send(frames, dontWait: false)
    }

    /// Sends one multipart message if it can be queued now (`ZMQ_DONTWAIT`); false when the
    /// socket would block (high-water mark reached, or no peer to route to).
    public func trySend(_ frames: [Data]) throws -> Bool {
        try send(frames, dontWait: true)
    }

    private func send(_ frames: [Data], dontWait: Bool) throws -> Bool {
        let handle = try liveHandle("zmq_send")
        let baseFlags = dontWait ? ZMQ_DONTWAIT : 0
        for (index, frame) in frames.enumerated() {
            let more = index < frames.count - 1
            let flags = baseFlags | (more ? ZMQ_SNDMORE : 0)
            let sent = try frame.withUnsafeBytes { buffer -> Bool in
                while true {
                    if zmq_send(handle, buffer.baseAddress, buffer.count, flags) != -1 { return true }
                    let code = zmq_errno()
                    if code == EINTR { continue }
                    // libzmq sends multipart messages atomically: only the first frame can
                    // meet a full queue, so later frames never report EAGAIN.
                    if code == EAGAIN && dontWait && index == 0 { return false }
                    throw ZMQError(code: code, operation: "zmq_send(frame \(index + 1) of \(frames.count))")
                }
            }
            if !sent { return false }
        }
        return true
    }

    // MARK: - Receiving

    /// The ZAP user id of the last message received (the CURVE client's z85 public key, as
    /// ``ZAPAuthenticator`` answers it); nil when the socket authenticates nobody.
    public private(set) var lastUserID: String?

    /// Receives all parts of the next multipart message. Waits at most `timeoutMs`
    /// milliseconds (-1 = block until a message arrives) and returns nil on timeout.
    public func receive(timeoutMs: Int32) throws -> [Data]? {
        let handle = try liveHandle("zmq_msg_recv")
        let first: (frame: Data, more: Bool, userID: String?)
        if timeoutMs < 0 {
            guard let part = try receivePart(handle, dontWait: false) else { return nil }
            first = part
        } else {
            guard let part = try receiveFirstPart(handle, timeoutMs: timeoutMs) else { return nil }
            first = part
        }
        var frames = [first.frame]
        var more = first.more
        lastUserID = first.userID
        while more {
            guard let part = try receivePart(handle, dontWait: false) else {
                throw ZMQError(code: EAGAIN, operation: "zmq_msg_recv(frame \(frames.count + 1))")
            }
            frames.append(part.frame)
            more = part.more
            lastUserID = lastUserID ?? part.userID
        }
        return frames
    }

    private func receiveFirstPart(
        _ handle: UnsafeMutableRawPointer, timeoutMs: Int32
    ) throws -> (frame: Data, more: Bool, userID: String?)? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(timeoutMs))
        while true {
            let remaining = Poller.milliseconds(until: deadline, clock: clock)
            guard try Poller.pollIn([handle], timeoutMs: remaining)[0] else { return nil }
            if let part = try receivePart(handle, dontWait: true) { return part }
            if remaining == 0 { return nil }
        }
    }

    /// Receives one frame into the socket's pinned `zmq_msg_t`; nil when none is ready.
    private func receivePart(
        _ handle: UnsafeMutableRawPointer, dontWait: Bool
    ) throws -> (frame: Data, more: Bool, userID: String?)? {
        zmq_msg_init(message)
        defer { zmq_msg_close(message) }
        while zmq_msg_recv(message, handle, dontWait ? ZMQ_DONTWAIT : 0) == -1 {
            let code = zmq_errno()
            if code == EINTR { continue }
            if code == EAGAIN { return nil }
            throw ZMQError(code: code, operation: "zmq_msg_recv")
        }
        let size = zmq_msg_size(message)
        let frame = size == 0 ? Data() : Data(bytes: zmq_msg_data(message), count: size)
        // The ZAP handler's user id (the client's key) travels as metadata of the peer's frames,
        // not of the routing-id frame a ROUTER adds.
        let userID = zmq_msg_gets(message, "User-Id").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        return (frame, zmq_msg_more(message) != 0, userID)
    }
}
