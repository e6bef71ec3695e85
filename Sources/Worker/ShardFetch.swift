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
    mutating func receive(_ header: ChunkHeader, bytes: Data) throws -> (id: String, data: Data)? {
        guard var transfer = transfers[header.shardID] else { throw FetchError("unexpected chunk of shard \(header.shardID.prefix(12))") }
        if let error = header.error { throw FetchError("coordinator could not serve shard \(header.shardID.prefix(12)): \(error)") }
        guard header.totalSize >= 0, header.totalSize < 1 << 40, header.offset >= 0, header.offset + bytes.count <= header.totalSize else {
            throw FetchError("chunk of shard \(header.shardID.prefix(12)) is out of range")
        }
        if transfer.total == nil {
            transfer.total = header.totalSize
            transfer.buffer = Data(count: header.totalSize)
        }
        transfer.buffer.replaceSubrange(header.offset..<header.offset + bytes.count, with: bytes)
        transfer.received += bytes.count
        transfer.inFlight -= 1
        if transfer.received >= header.totalSize {
            transfers[header.shardID] = nil
            return (header.shardID, transfer.buffer)
        }
        transfers[header.shardID] = transfer
        return nil
    }
}

/// A shard transfer that cannot complete.
struct FetchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
