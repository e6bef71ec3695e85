import Foundation

/// The libzmq ``MessageTransport``: one protocol socket with the options both sides rely on
/// (linger 0, `ZMQ_MAXMSGSIZE` from ``ProtocolLimits/maxMessageBytes``; `ZMQ_ROUTER_MANDATORY`
/// on the coordinator's ROUTER, the routing identity on a worker's DEALER).
///
/// `@unchecked Sendable` for the same reason as ``ZMQSocket``: it is created on one thread and
/// then owned by one I/O thread.
public final class ZMQTransport: MessageTransport, @unchecked Sendable {
    private let socket: ZMQSocket

    private init(socket: ZMQSocket) {
        self.socket = socket
    }

    /// A ROUTER bound to `endpoint`, in a context of its own.
    public static func router(binding endpoint: String) throws -> ZMQTransport {
        try router(binding: endpoint, context: ZMQContext(), curveSecretKey: nil)
    }

    /// A ROUTER bound to `endpoint` in `context`; with `curveSecretKey` a CURVE server, which
    /// admits only the clients the ``ZAPAuthenticator`` already started in `context` accepts.
    public static func router(binding endpoint: String, context: ZMQContext, curveSecretKey: String?) throws -> ZMQTransport {
        let socket = try protocolSocket(context, .router)
        try socket.setRouterMandatory(true)
        if let curveSecretKey { try socket.makeCurveServer(secretKey: curveSecretKey) }
        try socket.bind(endpoint)
        return ZMQTransport(socket: socket)
    }

    /// A DEALER connecting to `endpoint` under `identity`; with `curve` a CURVE client.
    public static func dealer(connecting endpoint: String, identity: Data, context: ZMQContext,
                              curve: CurveClientKeys? = nil) throws -> ZMQTransport {
        let socket = try protocolSocket(context, .dealer)
        try socket.setIdentity(identity)
        if let curve {
            try socket.makeCurveClient(serverPublicKey: curve.serverPublicKey, publicKey: curve.client.publicKey, secretKey: curve.client.secretKey)
        }
        try socket.connect(endpoint)
        return ZMQTransport(socket: socket)
    }

    private static func protocolSocket(_ context: ZMQContext, _ type: SocketType) throws -> ZMQSocket {
        let socket = try ZMQSocket(context: context, type: type)
        try socket.setLinger(milliseconds: 0)
        try socket.setMaxMessageSize(ProtocolLimits.maxMessageBytes)
        return socket
    }

    /// The endpoint actually bound or connected (resolves a `:*` port).
    public var lastEndpoint: String? { socket.lastEndpoint }

    public func send(_ frames: [Data]) throws -> Bool { try socket.trySend(frames) }

    public func receive(timeoutMs: Int32) throws -> [Data]? { try socket.receive(timeoutMs: timeoutMs) }

    public var lastSenderKey: String? { socket.lastUserID }

    public func close() { socket.close() }
}

/// Connects ``ZMQTransport`` DEALERs to one endpoint, all in one shared context, as CURVE
/// clients when given `curve`.
public final class ZMQConnector: TransportConnector, @unchecked Sendable {
    public let endpoint: String
    private let context: ZMQContext
    private let curve: CurveClientKeys?

    public init(endpoint: String, curve: CurveClientKeys? = nil) throws {
        self.endpoint = endpoint
        self.curve = curve
        context = try ZMQContext()
    }

    public func connect(identity: Data) throws -> any MessageTransport {
        try ZMQTransport.dealer(connecting: endpoint, identity: identity, context: context, curve: curve)
    }
}

/// What a CURVE client needs: the server's public key (a wrong one never completes the
/// handshake) and its own key pair, whose public half the server must have in its allow-list.
public struct CurveClientKeys: Sendable, Equatable {
    public let serverPublicKey: String
    public let client: CurveKeyPair

    public init(serverPublicKey: String, client: CurveKeyPair) throws {
        try CurveKeyPair.validateZ85Key(serverPublicKey, role: "server public key")
        self.serverPublicKey = serverPublicKey
        self.client = client
    }

    /// A worker's keys from a key folder: `DIR/coordinator.key` and `DIR/workers/NAME.key_secret`.
    public init(directory: CurveKeyDirectory, worker name: String) throws {
        try CurveKeyDirectory.validate(name: name)
        try self.init(serverPublicKey: try directory.coordinatorPublicKey(), client: try directory.worker(name).keyPair())
    }
}
