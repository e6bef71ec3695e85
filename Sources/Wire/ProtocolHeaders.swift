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
/// From a worker it also carries the worker's peak RSS so far (`peakRSSBytes`, optional).
public struct HeartbeatHeader: Codable, Sendable, Equatable {
    public var workerID: String
    public var busyJobs: [String]
    public var peakRSS: ReportedPeakRSS

    public init(workerID: String, busyJobs: [String], peakRSSBytes: UInt64? = nil) {
        self.workerID = workerID
        self.busyJobs = busyJobs
        self.peakRSS = ReportedPeakRSS(peakRSSBytes)
    }

    private enum CodingKeys: String, CodingKey { case workerID, busyJobs }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        workerID = try container.decode(String.self, forKey: .workerID)
        busyJobs = try container.decode([String].self, forKey: .busyJobs)
        peakRSS = try ReportedPeakRSS(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(workerID, forKey: .workerID)
        try container.encode(busyJobs, forKey: .busyJobs)
        try peakRSS.encode(to: encoder)
    }
}

/// JOB (coordinator → worker); the payload is the job spec JSON, opaque to Wire.
public struct JobHeader: Codable, Sendable, Equatable {
    public var jobID: String
    public var attempt: Int
    public var runID: String
    /// Threads the worker may use for this attempt instead of its own: the cores of the host's
    /// other workers, idle because no job is left to start. Absent: the worker's own.
    public var threads: Int?

    public init(jobID: String, attempt: Int, runID: String, threads: Int? = nil) {
        self.jobID = jobID
        self.attempt = attempt
        self.runID = runID
        self.threads = threads
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
/// job's JSON reports as bytes, which travel base64-encoded inside the header JSON;
/// `peakRSSBytes` (optional) is the worker's peak RSS when the result was ready.
public struct ResultHeader: Codable, Sendable, Equatable {
    public var jobID: String
    public var attempt: Int
    public var seconds: Double
    public var report: Data?
    public var peakRSS: ReportedPeakRSS
    /// CPU seconds the worker process used from reading the job's inputs to sending this result
    /// (optional: older workers do not send it; a negative or non-finite value is dropped).
    public var cpuSeconds: Double?
    /// Wall seconds of that spent reading the inputs (from memory or the disk cache).
    public var inputSeconds: Double?

    public init(jobID: String, attempt: Int, seconds: Double, report: Data?, peakRSSBytes: UInt64? = nil,
                cpuSeconds: Double? = nil, inputSeconds: Double? = nil) {
        self.jobID = jobID
        self.attempt = attempt
        self.seconds = seconds
        self.report = report
        self.peakRSS = ReportedPeakRSS(peakRSSBytes)
        self.cpuSeconds = Self.duration(cpuSeconds)
        self.inputSeconds = Self.duration(inputSeconds)
    }

    private enum CodingKeys: String, CodingKey { case jobID, attempt, seconds, report, cpuSeconds, inputSeconds }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        jobID = try container.decode(String.self, forKey: .jobID)
        attempt = try container.decode(Int.self, forKey: .attempt)
        seconds = try container.decode(Double.self, forKey: .seconds)
        report = try container.decodeIfPresent(Data.self, forKey: .report)
        peakRSS = try ReportedPeakRSS(from: decoder)
        cpuSeconds = Self.duration(try? container.decodeIfPresent(Double.self, forKey: .cpuSeconds))
        inputSeconds = Self.duration(try? container.decodeIfPresent(Double.self, forKey: .inputSeconds))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(jobID, forKey: .jobID)
        try container.encode(attempt, forKey: .attempt)
        try container.encode(seconds, forKey: .seconds)
        try container.encodeIfPresent(report, forKey: .report)
        try container.encodeIfPresent(cpuSeconds, forKey: .cpuSeconds)
        try container.encodeIfPresent(inputSeconds, forKey: .inputSeconds)
        try peakRSS.encode(to: encoder)
    }

    /// A duration as reported, or nil when it is not a finite, non-negative number.
    private static func duration(_ value: Double??) -> Double? {
        guard let value = value ?? nil, value.isFinite, value >= 0 else { return nil }
        return value
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

/// A worker's own peak RSS in bytes (``PeakRSS``), the optional `peakRSSBytes` field of
/// HEARTBEAT and RESULT. Older workers leave it out (`bytes` nil). A value that is not a
/// non-negative integer is dropped on its own, so the message still counts: `malformed` is then
/// true and the receiver counts it (``MessageCounters/countDroppedValue(_:)``).
public struct ReportedPeakRSS: Codable, Sendable, Equatable {
    public var bytes: UInt64?
    public var malformed: Bool

    public static let field = "peakRSSBytes"

    public init(_ bytes: UInt64?) {
        self.bytes = bytes
        malformed = false
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        static let peakRSSBytes = Key(stringValue: ReportedPeakRSS.field)
    }

    /// Reads the field from the header object around it; never throws for the field's value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard container.contains(.peakRSSBytes), !(try container.decodeNil(forKey: .peakRSSBytes)) else {
            self.init(nil)
            return
        }
        let value = try? container.decode(UInt64.self, forKey: .peakRSSBytes)
        self.init(value)
        malformed = value == nil
    }

    /// Writes the field into the header object around it, only when there is a value.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encodeIfPresent(bytes, forKey: .peakRSSBytes)
    }
}
