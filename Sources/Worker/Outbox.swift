import Foundation
import Wire

/// Messages that training threads hand to the I/O thread, which alone owns the socket.
final class Outbox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Envelope] = []

    func post(_ envelope: Envelope) {
        lock.lock()
        items.append(envelope)
        lock.unlock()
    }

    func drain() -> [Envelope] {
        lock.lock()
        defer { lock.unlock() }
        let out = items
        items.removeAll()
        return out
    }
}
