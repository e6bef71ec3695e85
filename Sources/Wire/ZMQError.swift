import CZeroMQ
import Foundation

/// A failed libzmq call, carrying the errno libzmq reported and the operation that failed,
/// so callers can react to specific conditions (timeouts, a terminated context) and humans
/// get libzmq's own explanation.
public struct ZMQError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    public let code: Int32
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// Captures `zmq_errno()` right after a failed call.
    static func last(_ operation: String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation)
    }

    public var description: String {
        "\(operation) failed: \(String(cString: zmq_strerror(code))) (errno \(code))"
    }

    public var errorDescription: String? { description }

    /// The context was terminated while the call was in progress; the socket must be closed.
    public var isContextTerminated: Bool { code == ZMQError.contextTerminated }
    /// A non-blocking call could not proceed, or a timed call timed out.
    public var isWouldBlock: Bool { code == EAGAIN }
    /// A ROUTER with `ZMQ_ROUTER_MANDATORY` was asked to send to an unknown or gone peer.
    public var isHostUnreachable: Bool { code == EHOSTUNREACH }

    /// libzmq's `ETERM` (`ZMQ_HAUSNUMERO + 53`).
    public static let contextTerminated: Int32 = Int32(ZMQ_HAUSNUMERO) + 53
}

/// Runs a libzmq call that returns -1 on failure, retrying when a signal interrupted it.
@discardableResult
func retryingOnInterrupt(_ operation: String, _ call: () -> Int32) throws -> Int32 {
    while true {
        let rc = call()
        if rc != -1 { return rc }
        let code = zmq_errno()
        if code == EINTR { continue }
        throw ZMQError(code: code, operation: operation)
    }
}
