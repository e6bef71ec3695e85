import Foundation

/// The outcomes of fetched shards being verified (SHA-256) and stored, handed from the thread
/// that does it back to the I/O thread. A 40 MB shard at a million rows takes seconds on a busy
/// machine; done on the I/O thread, it stopped the worker's heartbeats long enough for the
/// coordinator to declare it dead in the middle of the transfer.
/// `@unchecked Sendable`: `items` is guarded by `lock`.
final class ShardWrites: @unchecked Sendable {
    struct Outcome {
        var jobID: String
        var attempt: Int
        var shardID: String
        /// Why the shard could not be stored (a SHA-256 mismatch, a full disk); nil when it was.
        var error: String?
    }

    private let lock = NSLock()
    private var items: [Outcome] = []

    func post(_ outcome: Outcome) {
        lock.lock()
        items.append(outcome)
        lock.unlock()
    }

    func drain() -> [Outcome] {
        lock.lock()
        defer { lock.unlock() }
        let out = items
        items.removeAll()
        return out
    }
}
