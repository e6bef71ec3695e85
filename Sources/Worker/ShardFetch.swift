import Dataset
import Foundation
import Wire

/// Downloads the shards a job needs, chunk by chunk, with a bounded window of requests in
/// flight (the ZeroMQ Guide's credit-based transfer), and verifies each by its SHA-256.
struct ShardFetch {
    private struct Transfer {
        var buffer: Data
        var total: Int?
        var nextOffset: Int
        var received: Int
        var inFlight: Int
    }

    let window: Int
    let chunkBytes: Int
    private var transfers: [String: Transfer] = [:]
    private var queue: [String] = []

    init(missing: [String], window: Int, chunkBytes: Int) {
        self.window = window
        self.chunkBytes = chunkBytes
        queue = missing
    }

    var isComplete: Bool { queue.isEmpty && transfers.isEmpty }

    /// FETCH requests to send now, keeping at most `window` in flight.
    mutating func requests() -> [FetchHeader] {
        var out: [FetchHeader] = []
        var inFlight = transfers.values.reduce(0) { $0 + $1.inFlight }
        while inFlight < window {
            if let id = transfers.first(where: { entry in entry.value.total.map { entry.value.nextOffset < $0 } ?? false })?.key {
                let offset = transfers[id]!.nextOffset
                transfers[id]!.nextOffset += chunkBytes
                transfers[id]!.inFlight += 1
                out.append(FetchHeader(shardID: id, offset: offset, size: chunkBytes))
            } else if !queue.isEmpty, transfers.values.allSatisfy({ $0.total != nil }) {
                // The first chunk tells the size; ask for one chunk before pipelining the rest.
                let id = queue.removeFirst()
                transfers[id] = Transfer(buffer: Data(), total: nil, nextOffset: chunkBytes, received: 0, inFlight: 1)
                out.append(FetchHeader(shardID: id, offset: 0, size: chunkBytes))
            } else {
                break
            }
            inFlight += 1
        }
        return out
    }

    /// Takes one chunk; returns the shard's complete bytes when it was the last one missing.
    ///
    /// The chunk is written into the transfer's buffer in place (through the dictionary's
    /// subscript, never a copy of the `Transfer`): a copy would share the buffer, and the write
    /// would then copy the whole shard, once per chunk, which made a transfer quadratic in the
    /// shard's size (a 40 MB shard at a million rows: 40 copies of 40 MB).
    mutating func receive(_ header: ChunkHeader, bytes: Data) throws -> (id: String, data: Data)? {
        let id = header.shardID
        guard transfers[id] != nil else { throw FetchError("unexpected chunk of shard \(id.prefix(12))") }
        let knownTotal = transfers[id]!.total
        if let error = header.error { throw FetchError("coordinator could not serve shard \(id.prefix(12)): \(error)") }
        guard header.totalSize >= 0, header.totalSize < 1 << 40, header.offset >= 0, header.offset + bytes.count <= header.totalSize,
              knownTotal.map({ $0 == header.totalSize }) ?? true else {
            throw FetchError("chunk of shard \(id.prefix(12)) is out of range")
        }
        if knownTotal == nil {
            transfers[id]!.total = header.totalSize
            transfers[id]!.buffer = Data(count: header.totalSize)
        }
        transfers[id]!.buffer.replaceSubrange(header.offset..<header.offset + bytes.count, with: bytes)
        transfers[id]!.received += bytes.count
        transfers[id]!.inFlight -= 1
        guard transfers[id]!.received >= header.totalSize else { return nil }
        return (id, transfers.removeValue(forKey: id)!.buffer)
    }
}

/// A shard transfer that cannot complete.
struct FetchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
