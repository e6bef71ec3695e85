import Foundation

/// One end of a framed-message connection, so that the coordinator's and the worker's loops do
/// not depend on how frames travel: ``ZMQTransport`` carries them over libzmq, ``InMemoryHub``
/// through memory for tests.
///
/// A ROUTER end's messages carry the peer id as their first frame, in both directions; a
/// DEALER end's carry only the message. Like the socket it stands for, an end is used by one
/// thread at a time.
public protocol MessageTransport: AnyObject {
    /// Queues one multipart message without blocking; false when it cannot be queued now.
    /// Throws when the message cannot be delivered at all (a ROUTER end naming an unknown peer).
    func send(_ frames: [Data]) throws -> Bool
    /// The next message, waiting at most `timeoutMs` milliseconds (0 takes only what has
    /// arrived, -1 waits until a message comes); nil on timeout.
    func receive(timeoutMs: Int32) throws -> [Data]?
    /// Ends the connection; later sends and receives throw. Idempotent.
    func close()
    /// The CURVE public key (z85) the sender of the last received message authenticated with;
    /// nil without CURVE.
    var lastSenderKey: String? { get }
}

extension MessageTransport {
    public var lastSenderKey: String? { nil }
}

/// Opens DEALER connections to one coordinator. A worker asks for a fresh connection on every
/// reconnect because each uses a fresh identity, which the coordinator sees as a new peer.
public protocol TransportConnector {
    func connect(identity: Data) throws -> any MessageTransport
}
