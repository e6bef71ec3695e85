import Foundation
import Wire

/// Real protocol messages of both directions, the material ``FrameFuzzer`` mutates.
public enum FuzzSeeds {
    /// What workers send: HELLO, HEARTBEAT, FETCH, PROGRESS, RESULT, FAILED.
    public static let toCoordinator: [[Data]] = [
        Envelope.make(.hello, HelloHeader(workerID: "fuzz", host: "fuzzhost", pid: 7, cores: 2, memoryBytes: 1 << 30,
                                          cachedShards: [String(repeating: "a", count: 64)], version: "fuzz", busyJobs: ["churn/full"])),
        Envelope.make(.heartbeat, HeartbeatHeader(workerID: "fuzz", busyJobs: ["churn/full"])),
        Envelope.make(.fetch, FetchHeader(shardID: String(repeating: "b", count: 64), offset: 0, size: 1 << 20)),
        Envelope.make(.progress, ProgressHeader(jobID: "churn/full", attempt: 1, fraction: 0.5, message: "training")),
        Envelope.make(.result, ResultHeader(jobID: "churn/full", attempt: 1, seconds: 1.5, report: Data(#"{"model":"churn"}"#.utf8)),
                      payload: Data((0..<512).map { UInt8($0 % 251) })),
        Envelope.make(.failed, FailedHeader(jobID: "churn/full", attempt: 1, error: "boom")),
    ].map { $0.frames() }

    /// What a coordinator sends: WELCOME, HEARTBEAT, JOB, CHUNK, CANCEL.
    public static let toWorker: [[Data]] = [
        Envelope.make(.welcome, WelcomeHeader(coordinatorID: "run-fuzz", heartbeatMs: 500, liveness: 6)),
        Envelope.make(.heartbeat, HeartbeatHeader(workerID: "fuzz", busyJobs: [])),
        Envelope.make(.job, JobHeader(jobID: "churn/full", attempt: 1, runID: "run-fuzz"), payload: Data(#"{"model":"churn"}"#.utf8)),
        Envelope.make(.chunk, ChunkHeader(shardID: String(repeating: "c", count: 64), offset: 0, totalSize: 4096, last: false),
                      payload: Data(repeating: 7, count: 1024)),
        Envelope.make(.cancel, CancelHeader(jobID: "churn/full")),
    ].map { $0.frames() }
}
