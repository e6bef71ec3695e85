import CZeroMQ
import Foundation

/// Owns one libzmq context: the I/O threads and the inproc namespace shared by its sockets.
///
/// libzmq contexts are thread-safe, so this class is `Sendable`; the lock only guards the
/// one-shot termination. Every ``ZMQSocket`` keeps its context alive, so an implicit
/// termination in `deinit` can only happen after all of its sockets are gone.
public final class ZMQContext: @unchecked Sendable {
    private let lock = NSLock()
    private var pointer: UnsafeMutableRawPointer?

    public init() throws {
        guard let pointer = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.pointer = pointer
    }

    /// The raw context for socket creation; nil once terminated.
    var handle: UnsafeMutableRawPointer? {
        lock.lock()
        defer { lock.unlock() }
        return pointer
    }

    /// Terminates the context (`zmq_ctx_term`). Idempotent.
    ///
    /// Blocks until every socket of the context is closed; blocking calls on sockets owned by
    /// other threads fail with ``ZMQError/isContextTerminated`` so those threads can close them.
    public func terminate() {
        lock.lock()
        let pointer = self.pointer
        self.pointer = nil
        lock.unlock()
        guard let pointer else { return }
        while zmq_ctx_term(pointer) == -1 && zmq_errno() == EINTR {}
    }

    deinit {
        terminate()
    }
}
