import Foundation
import Wire

/// How a worker process connects and trains.
public struct WorkerOptions: Sendable {
    public var endpoint: String
    public var workerID: String
    /// Training threads; 0 means every core of this host.
    public var threads: Int
    /// Where fetched shards are kept between jobs (content-addressed, so reuse is safe).
    public var cacheDirectory: String
    /// Heartbeat interval until the coordinator's WELCOME says otherwise.
    public var heartbeatMs: Int = 1000
    public var liveness: Int = 5
    /// FETCH requests in flight at once (credit-based flow control).
    public var fetchWindow: Int = ProtocolLimits.fetchWindow
    /// Bytes asked for per FETCH; the coordinator serves at most ``ProtocolLimits/chunkBytes``.
    public var chunkBytes: Int = ProtocolLimits.chunkBytes
    /// Exit when the process that started this worker is gone (set by `engage run`).
    public var exitWithParent: Bool = false
    /// The process ``exitWithParent`` watches; nil: this process's parent when the worker starts.
    /// Given by the starter so that a parent killed before the worker got going is noticed too.
    public var parentPID: Int32?
    /// The CURVE keys to connect with; nil connects in the clear (a coordinator with CURVE on never answers).
    public var curve: CurveClientKeys?

    public init(endpoint: String, workerID: String, threads: Int, cacheDirectory: String) {
        self.endpoint = endpoint
        self.workerID = workerID
        self.threads = threads
        self.cacheDirectory = cacheDirectory
    }

    public var effectiveThreads: Int { threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount }

    /// The threads of one job: the coordinator's grant (the cores of idle workers beside this
    /// one), at most this host's cores; the worker's own without a valid grant.
    public func threads(grantedByCoordinator granted: Int?) -> Int {
        guard let granted, granted > effectiveThreads else { return effectiveThreads }
        return min(granted, max(effectiveThreads, ProcessInfo.processInfo.activeProcessorCount))
    }
}
