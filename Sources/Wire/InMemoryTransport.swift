import Foundation

/// A ROUTER end and any number of DEALER ends in one process, joined through memory: the
/// coordinator and workers can then be driven by tests without sockets, processes or sleeps,
/// the way swift-nio's embedded channel stands beside its real ones.
///
/// It keeps ZeroMQ's ROUTER semantics that the protocol relies on: a DEALER's messages reach
/// the ROUTER end prefixed with the DEALER's identity, a ROUTER send is routed by its first
/// frame, and a send to a peer that is not connected fails (`ZMQ_ROUTER_MANDATORY`).
/// Thread-safe; a receive with a timeout waits on a condition variable.
public final class InMemoryHub: TransportConnector, @unchecked Sendable {
    /// The coordinator's end.
    public let router: any MessageTransport
    private let exchange: Exchange

    public init() {
        exchange = Exchange()
        router = RouterEnd(exchange)
    }

    /// A new DEALER end; throws when a connected end already uses `identity`.
    public func connect(identity: Data) throws -> any MessageTransport {
        try exchange.attach(identity)
        return DealerEnd(exchange, identity: identity)
    }

    /// The identities of the DEALER ends that are connected now.
    public var connectedPeers: Set<Data> {
        exchange.locked { Set($0.dealerInboxes.keys) }
    }
}

/// Why an in-memory end refused a call.
public enum InMemoryTransportError: Error, Equatable {
    case closed
    case missingPeerFrame
    case hostUnreachable(Data)
    case identityInUse(Data)
}

/// The queues every end of one hub shares, behind one condition variable.
/// `@unchecked Sendable`: all state is guarded by `condition`.
private final class Exchange: @unchecked Sendable {
    struct State {
        var routerInbox: [[Data]] = []
        var dealerInboxes: [Data: [[Data]]] = [:]
        var routerClosed = false
    }

    private let condition = NSCondition()
    private var state = State()

    func locked<T>(_ body: (inout State) throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body(&state)
    }

    func attach(_ identity: Data) throws {
        try locked { state in
            guard state.dealerInboxes[identity] == nil else { throw InMemoryTransportError.identityInUse(identity) }
            state.dealerInboxes[identity] = []
        }
    }

    /// Appends under the lock and wakes every waiting receiver.
    func deliver(_ body: (inout State) throws -> Void) rethrows {
        try locked(body)
        condition.broadcast()
    }

    /// Takes the first message `take` finds, waiting up to `timeoutMs` for one to arrive.
    func receive(timeoutMs: Int32, _ take: (inout State) throws -> [Data]?) throws -> [Data]? {
        let deadline = timeoutMs < 0 ? nil : Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let message = try take(&state) { return message }
            if let deadline {
                guard condition.wait(until: deadline) else { return try take(&state) }
            } else {
                condition.wait()
            }
        }
    }
}

private final class RouterEnd: MessageTransport, @unchecked Sendable {
    private let exchange: Exchange

    init(_ exchange: Exchange) {
        self.exchange = exchange
    }

    func send(_ frames: [Data]) throws -> Bool {
        guard let peer = frames.first else { throw InMemoryTransportError.missingPeerFrame }
        try exchange.deliver { state in
            guard !state.routerClosed else { throw InMemoryTransportError.closed }
            guard state.dealerInboxes[peer] != nil else { throw InMemoryTransportError.hostUnreachable(peer) }
            state.dealerInboxes[peer]!.append(Array(frames.dropFirst()))
        }
        return true
    }

    func receive(timeoutMs: Int32) throws -> [Data]? {
        try exchange.receive(timeoutMs: timeoutMs) { state in
            guard !state.routerClosed else { throw InMemoryTransportError.closed }
            return state.routerInbox.isEmpty ? nil : state.routerInbox.removeFirst()
        }
    }

    func close() {
        exchange.deliver { $0.routerClosed = true }
    }
}

private final class DealerEnd: MessageTransport, @unchecked Sendable {
    private let exchange: Exchange
    private let identity: Data
    private var closed = false

    init(_ exchange: Exchange, identity: Data) {
        self.exchange = exchange
        self.identity = identity
    }

    func send(_ frames: [Data]) throws -> Bool {
        guard !closed else { throw InMemoryTransportError.closed }
        exchange.deliver { state in
            if !state.routerClosed { state.routerInbox.append([identity] + frames) }
        }
        return true
    }

    func receive(timeoutMs: Int32) throws -> [Data]? {
        guard !closed else { throw InMemoryTransportError.closed }
        return try exchange.receive(timeoutMs: timeoutMs) { state in
            guard state.dealerInboxes[identity]?.isEmpty == false else { return nil }
            return state.dealerInboxes[identity]!.removeFirst()
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        exchange.deliver { $0.dealerInboxes[identity] = nil }
    }
}
