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
    private var droppedValueCounts: [String: Int] = [:]

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

    /// Returns how many messages have now been dropped for `reason`, so callers can log only the first few.
    @discardableResult
    public func countDropped(_ reason: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        droppedCounts[reason, default: 0] += 1
        return droppedCounts[reason] ?? 0
    }

    /// Counts a drop under a stable reason: a ``ProtocolError``'s kind, a ``DroppedMessage``'s
    /// reason, otherwise the error's type.
    @discardableResult
    public func countDropped(for error: any Error) -> Int {
        switch error {
        case let error as ProtocolError: countDropped(error.kind)
        case let error as DroppedMessage: countDropped(error.reason)
        default: countDropped(String(describing: type(of: error)))
        }
    }

    /// Counts one optional field value dropped from a message that was still handled (a
    /// malformed ``ReportedPeakRSS``), by field name; such messages also count as received.
    public func countDroppedValue(_ field: String) {
        lock.lock()
        defer { lock.unlock() }
        droppedValueCounts[field, default: 0] += 1
    }

    /// Field values dropped from handled messages, by field name.
    public var droppedValuesByField: [String: Int] {
        lock.lock()
        defer { lock.unlock() }
        return droppedValueCounts
    }

    /// Field values dropped from handled messages, all fields together.
    public var droppedValues: Int { droppedValuesByField.values.reduce(0, +) }

    /// Counts a dropped message and passes `log` a line for the first ``loggedDropsPerReason``
    /// of its reason, so a flood of garbage is counted in full but cannot flood the log.
    public func drop(_ error: any Error, what: String, log: (String) -> Void) {
        let seen = countDropped(for: error)
        guard seen <= Self.loggedDropsPerReason else { return }
        log("dropped \(what): \(error)" + (seen == Self.loggedDropsPerReason ? " (further drops of this kind are counted, not logged)" : ""))
    }

    public static let loggedDropsPerReason = 10

    /// One JSON line, `{"dropped":{reason:count},"received":n,"sent":n}` (with
    /// `"droppedValues":{field:count}` once a field value was dropped), for logs that tests and
    /// operators read back.
    public var json: String {
        lock.lock()
        let body = Snapshot(received: receivedCount, sent: sentCount, dropped: droppedCounts,
                            droppedValues: droppedValueCounts.isEmpty ? nil : droppedValueCounts)
        lock.unlock()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(body)) ?? Data(), as: UTF8.self)
    }

    /// The counters as ``json`` writes them.
    public struct Snapshot: Codable, Sendable, Equatable {
        public var received: Int
        public var sent: Int
        public var dropped: [String: Int]
        public var droppedValues: [String: Int]?
    }

    /// The prefix of the log line that carries ``json``.
    public static let logPrefix = "message counters: "

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
        } catch {
            countDropped(for: error)
        }
        return nil
    }
}

/// A well-formed message the receiver still drops (a FETCH of an unknown shard, a command the
/// other side never sends): thrown by handlers so every drop is counted under `reason`.
public struct DroppedMessage: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
