import Dataset
import Foundation
import Training

/// The shards of recent jobs kept decoded in memory, so that a worker's next job on the same
/// rows does not read, hash (SHA-256) and decode them from its disk cache again.
///
/// A run's jobs read the same shards over and over (every GBDT job of the shipped pipeline reads
/// the ten training shards, the test shards and the shared bins); decoding them took 0.4–1 s of
/// each job. Shards are content-addressed and immutable, and each was verified against its id
/// when it was stored, so a decoded copy stays valid for the life of the process. Memory is
/// bounded by ``budgetBytes``: the least recently used entries go first.
/// `@unchecked Sendable`: every stored property is guarded by `lock`.
final class DecodedShards: @unchecked Sendable {
    private enum Entry {
        case table(Table)
        case binned(BinnedShard)
    }

    private let lock = NSLock()
    private let store: ShardStore
    let budgetBytes: Int
    private var entries: [String: (entry: Entry, bytes: Int, used: UInt64)] = [:]
    private var heldBytes = 0
    private var tick: UInt64 = 0
    /// Reads served from memory and from the disk cache.
    private(set) var hits = 0
    private(set) var misses = 0

    init(store: ShardStore, budgetBytes: Int = Table.reuseBudgetBytes) {
        self.store = store
        self.budgetBytes = budgetBytes
    }

    /// The table of a stored shard.
    func table(_ id: String) throws -> Table {
        if case .table(let table)? = cached(id) { return table }
        let table = try store.read(id)
        keep(id, .table(table), bytes: table.decodedBytes)
        return table
    }

    /// The rows of `shards`, concatenated in order; nil for no shards.
    func table(of shards: [ShardRef]) throws -> Table? {
        shards.isEmpty ? nil : try Table.concatenated(try shards.map { try table($0.id) })
    }

    /// A stored binned shard (`BinnedShard`).
    func binned(_ id: String) throws -> BinnedShard {
        if case .binned(let binned)? = cached(id) { return binned }
        let data = try store.bytes(of: id)
        let binned = try BinnedShard(decoding: data, source: store.path(for: id))
        keep(id, .binned(binned), bytes: data.count)
        return binned
    }

    private func cached(_ id: String) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        guard let found = entries[id] else {
            misses += 1
            return nil
        }
        tick += 1
        entries[id]?.used = tick
        hits += 1
        return found.entry
    }

    private func keep(_ id: String, _ entry: Entry, bytes: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard bytes <= budgetBytes, entries[id] == nil else { return }
        while heldBytes + bytes > budgetBytes, let oldest = entries.min(by: { $0.value.used < $1.value.used }) {
            heldBytes -= oldest.value.bytes
            entries[oldest.key] = nil
        }
        tick += 1
        entries[id] = (entry, bytes, tick)
        heldBytes += bytes
    }
}
