/// The sizes both sides of the protocol use, in one place: the coordinator and the worker set
/// `ZMQ_MAXMSGSIZE` from ``maxMessageBytes`` and size shard transfers from ``chunkBytes`` and
/// ``fetchWindow``, and docs/protocol.md quotes these values.
public enum ProtocolLimits {
    /// Largest JSON header accepted (1 MiB).
    public static let maxHeaderBytes = 1 << 20
    /// `ZMQ_MAXMSGSIZE` of every protocol socket (1 GiB): a larger frame gets its sender
    /// disconnected before any of it is buffered.
    ///
    /// The largest frame is a RESULT payload, an artifact plus predictions (8 bytes a row).
    /// At 100K customers the predictions are 800 KB, a GBDT artifact a few MB and a recommender
    /// artifact about 26 MB (a Float32 embedding row of 64 per user); at the 1M-row scale that
    /// is 8 MB of predictions and a ~260 MB recommender artifact, which 256 MiB would refuse.
    /// 1 GiB leaves about 4× headroom over that and still bounds what a faulty peer can make a
    /// receiver allocate.
    public static let maxMessageBytes: Int64 = 1 << 30
    /// CHUNK payload size for shard transfer (1 MiB): a worker asks for this much per FETCH, and
    /// the coordinator clamps larger requests to it.
    public static let chunkBytes = 1 << 20
    /// FETCH requests in flight per shard transfer (4). With ``chunkBytes`` that is 4 MiB in
    /// flight: enough to keep a LAN link busy, and little enough that a heartbeat queued behind
    /// the chunks on a slow (10 Mbit/s) link still arrives within the default 5-heartbeat liveness.
    public static let fetchWindow = 4
}
