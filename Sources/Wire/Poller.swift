import CZeroMQ
import Foundation

/// Waits for any of several sockets to become readable, so one I/O thread can serve
/// many sockets (`zmq_poll` with `ZMQ_POLLIN`).
public enum Poller {
    /// Returns one readability flag per socket, in order, once at least one socket is
    /// readable or `timeoutMs` (-1 = forever) has passed (then all flags are false).
    public static func poll(_ sockets: [ZMQSocket], timeoutMs: Int32) throws -> [Bool] {
        let handles = try sockets.map { try $0.liveHandle("zmq_poll") }
        return try pollIn(handles, timeoutMs: timeoutMs)
    }

    static func pollIn(_ handles: [UnsafeMutableRawPointer], timeoutMs: Int32) throws -> [Bool] {
        var items = handles.map {
            zmq_pollitem_t(socket: $0, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        }
        let clock = ContinuousClock()
        let deadline = timeoutMs < 0 ? nil : clock.now.advanced(by: .milliseconds(timeoutMs))
        while true {
            let wait = deadline.map { milliseconds(until: $0, clock: clock) } ?? -1
            let rc = items.withUnsafeMutableBufferPointer {
                zmq_poll($0.baseAddress, Int32($0.count), Int(wait))
            }
            if rc >= 0 { break }
            let code = zmq_errno()
            if code != EINTR { throw ZMQError(code: code, operation: "zmq_poll") }
        }
        return items.map { Int32($0.revents) & ZMQ_POLLIN != 0 }
    }

    /// Milliseconds left until `deadline`, rounded up, never negative.
    static func milliseconds(until deadline: ContinuousClock.Instant, clock: ContinuousClock) -> Int32 {
        let left = clock.now.duration(to: deadline)
        if left <= .zero { return 0 }
        let (seconds, attoseconds) = left.components
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: millis)
    }
}
