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
        let socket = try protocolSocket(try ZMQContext(), .router)
        try socket.setRouterMandatory(true)
        try socket.bind(endpoint)
        return ZMQTransport(socket: socket)
    }

    /// A DEALER connecting to `endpoint` under `identity`.
    public static func dealer(connecting endpoint: String, identity: Data, context: ZMQContext) throws -> ZMQTransport {
        let socket = try protocolSocket(context, .dealer)
        try socket.setIdentity(identity)
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

    public func close() { socket.close() }
}

/// Connects ``ZMQTransport`` DEALERs to one endpoint, all in one shared context.
public final class ZMQConnector: TransportConnector, @unchecked Sendable {
    public let endpoint: String
    private let context: ZMQContext

    public init(endpoint: String) throws {
        self.endpoint = endpoint
        context = try ZMQContext()
    }

    public func connect(identity: Data) throws -> any MessageTransport {
        try ZMQTransport.dealer(connecting: endpoint, identity: identity, context: context)
    }
}
