import Foundation
import Wire

/// What other threads hand to the I/O thread, which alone owns the socket: the messages a
/// training thread produced (`Outbox<Envelope>`), the outcomes of shards stored off the I/O
/// thread (`Outbox<StoredShard>`).
/// `@unchecked Sendable`: `items` is guarded by `lock`.
final class Outbox<Item>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Item] = []

    func post(_ item: Item) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }

    func drain() -> [Item] {
        lock.lock()
        defer { lock.unlock() }
        let out = items
        items.removeAll()
        return out
    }
}
