import Foundation

/// Thread-safe tallies of protocol traffic for one endpoint: valid messages received,
/// messages sent, and invalid messages dropped, by reason. They make "counted and dropped,
/// never a crash" observable to tests and operators.
/// `@unchecked Sendable`: all mutable state is guarded by `lock`.
public final class MessageCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var receivedCount = 0
    private var sentCount = 0
    private var droppedCounts: [String: Int] = [:]

    public init() {}

    public func countReceived() {
        lock.lock()
        defer { lock.unlock() }
        receivedCount += 1
    }

    public func countSent() {
        lock.lock()
        defer { lock.unlock() }
        sentCount += 1
    }

    public func countDropped(_ reason: String) {
        lock.lock()
        defer { lock.unlock() }
        droppedCounts[reason, default: 0] += 1
    }

    /// Counts a drop under the error's ``ProtocolError/kind``.
    public func countDropped(_ error: ProtocolError) {
        countDropped(error.kind)
    }

    /// Valid messages received.
    public var received: Int {
        lock.lock()
        defer { lock.unlock() }
        return receivedCount
    }

    public var sent: Int {
        lock.lock()
        defer { lock.unlock() }
        return sentCount
    }

    /// Invalid messages dropped, all reasons together.
    public var dropped: Int {
        lock.lock()
        defer { lock.unlock() }
        return droppedCounts.values.reduce(0, +)
    }

    public var droppedByReason: [String: Int] {
        lock.lock()
        defer { lock.unlock() }
        return droppedCounts
    }

    func accept<T>(_ parse: () throws -> T) -> T? {
        do {
            let value = try parse()
            countReceived()
            return value
        } catch let error as ProtocolError {
            countDropped(error)
        } catch {
            countDropped(String(describing: type(of: error)))
        }
        return nil
    }
}
