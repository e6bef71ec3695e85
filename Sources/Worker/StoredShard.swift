import Foundation

/// The outcome of a fetched shard verified (SHA-256) and stored on a thread of its own, handed
/// back to the I/O thread through an ``Outbox``. A 40 MB shard at a million rows takes seconds on
/// a busy machine; done on the I/O thread, it stopped the worker's heartbeats long enough for the
/// coordinator to declare it dead in the middle of the transfer.
struct StoredShard: Sendable {
    var jobID: String
    var attempt: Int
    var shardID: String
    /// Why the shard could not be stored (a SHA-256 mismatch, a full disk); nil when it was.
    var error: String?
}
