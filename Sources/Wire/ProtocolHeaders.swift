import Foundation

// The typed JSON headers of each command. Field names are the JSON keys; see docs/protocol.md.

/// HELLO (worker → coordinator): who the worker is and what it can do.
public struct HelloHeader: Codable, Sendable, Equatable {
    public var workerID: String
    public var host: String
    public var pid: Int32
    public var cores: Int
    public var memoryBytes: UInt64
    /// Shard ids (SHA-256 hex) already in the worker's cache.
    public var cachedShards: [String]
    public var version: String
    /// Jobs the worker is still running (or holds an unacknowledged result for) when it
    /// (re)connects; absent from older workers.
    public var busyJobs: [String]?

    public init(workerID: String, host: String, pid: Int32, cores: Int, memoryBytes: UInt64,
                cachedShards: [String], version: String, busyJobs: [String]? = nil) {
        self.workerID = workerID
        self.host = host
        self.pid = pid
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.cachedShards = cachedShards
        self.version = version
        self.busyJobs = busyJobs
    }
}

/// WELCOME (coordinator → worker): the answer to HELLO, fixing the liveness parameters.
public struct WelcomeHeader: Codable, Sendable, Equatable {
    public var coordinatorID: String
    public var heartbeatMs: Int
    public var liveness: Int

    public init(coordinatorID: String, heartbeatMs: Int, liveness: Int) {
        self.coordinatorID = coordinatorID
        self.heartbeatMs = heartbeatMs
        self.liveness = liveness
    }
}

/// HEARTBEAT (both ways): proof of life, with the jobs the worker is running
/// (from the coordinator: the jobs it has assigned to that worker).
public struct HeartbeatHeader: Codable, Sendable, Equatable {
    public var workerID: String
    public var busyJobs: [String]

    public init(workerID: String, busyJobs: [String]) {
        self.workerID = workerID
        self.busyJobs = busyJobs
    }
}

/// JOB (coordinator → worker); the payload is the job spec JSON, opaque to Wire.
public struct JobHeader: Codable, Sendable, Equatable {
    public var jobID: String
    public var attempt: Int
    public var runID: String

    public init(jobID: String, attempt: Int, runID: String) {
        self.jobID = jobID
        self.attempt = attempt
        self.runID = runID
    }
}

/// FETCH (worker → coordinator): one credit, asking for `size` bytes of a shard at `offset`.
public struct FetchHeader: Codable, Sendable, Equatable {
    public var shardID: String
    public var offset: Int
    public var size: Int

    public init(shardID: String, offset: Int, size: Int) {
        self.shardID = shardID
        self.offset = offset
        self.size = size
    }
}

/// CHUNK (coordinator → worker); the payload is the shard bytes starting at `offset`.
/// `error` is set (with an empty payload) when the request cannot be served, e.g. an
/// unknown shard or an offset past the end.
public struct ChunkHeader: Codable, Sendable, Equatable {
    public var shardID: String
    public var offset: Int
    public var totalSize: Int
    /// True when this chunk reaches the end of the shard.
    public var last: Bool
    public var error: String?

    public init(shardID: String, offset: Int, totalSize: Int, last: Bool, error: String? = nil) {
        self.shardID = shardID
        self.offset = offset
        self.totalSize = totalSize
        self.last = last
        self.error = error
    }
}

/// PROGRESS (worker → coordinator): how far a job attempt has come, `fraction` in 0…1.
public struct ProgressHeader: Codable, Sendable, Equatable {
    public var jobID: String
    public var attempt: Int
    public var fraction: Double
    public var message: String

    public init(jobID: String, attempt: Int, fraction: Double, message: String) {
        self.jobID = jobID
        self.attempt = attempt
        self.fraction = fraction
        self.message = message
    }
}

/// RESULT (worker → coordinator); the payload is the artifact bytes. `report` holds the
/// job's JSON reports as bytes, which travel base64-encoded inside the header JSON.
public struct ResultHeader: Codable, Sendable, Equatable {
    public var jobID: String
    public var attempt: Int
    public var seconds: Double
    public var report: Data?

    public init(jobID: String, attempt: Int, seconds: Double, report: Data?) {
        self.jobID = jobID
        self.attempt = attempt
        self.seconds = seconds
        self.report = report
    }
}

/// FAILED (worker → coordinator): a job attempt ended with an error, in the worker's own words.
public struct FailedHeader: Codable, Sendable, Equatable {
    public var jobID: String
    public var attempt: Int
    public var error: String

    public init(jobID: String, attempt: Int, error: String) {
        self.jobID = jobID
        self.attempt = attempt
        self.error = error
    }
}

/// CANCEL (coordinator → worker): stop working on a job.
public struct CancelHeader: Codable, Sendable, Equatable {
    public var jobID: String

    public init(jobID: String) {
        self.jobID = jobID
    }
}

/// BYE (both ways): an orderly goodbye; the receiver forgets the peer at once.
public struct ByeHeader: Codable, Sendable, Equatable {
    public var reason: String

    /// The run is over but this worker is wanted for the next one (`engage watch`): it reconnects
    /// to the same endpoint, retrying every few seconds, instead of exiting.
    public static let nextRunReason = "next-run"

    public init(reason: String) {
        self.reason = reason
    }
}
