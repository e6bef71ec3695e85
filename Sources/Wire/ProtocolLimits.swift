/// Sizes both sides of the protocol agree on.
public enum ProtocolLimits {
    /// Largest JSON header accepted (1 MiB).
    public static let maxHeaderBytes = 1 << 20
    /// Suggested `ZMQ_MAXMSGSIZE` for protocol sockets: any frame above it (a RESULT's
    /// artifact is the largest) gets the sender disconnected (256 MiB).
    public static let defaultMaxMessageBytes: Int64 = 256 << 20
    /// Suggested CHUNK payload size for shard transfer (256 KiB).
    public static let defaultChunkBytes = 256 << 10
    /// Suggested number of FETCH requests in flight per shard transfer.
    public static let defaultFetchWindow = 8
}
