/// The verbs of engage's coordinator–worker protocol, as they travel in the command frame.
public enum Command: String, CaseIterable, Sendable, Codable {
    case hello = "HELLO"
    case welcome = "WELCOME"
    case heartbeat = "HEARTBEAT"
    case job = "JOB"
    case fetch = "FETCH"
    case chunk = "CHUNK"
    case progress = "PROGRESS"
    case result = "RESULT"
    case failed = "FAILED"
    case cancel = "CANCEL"
    case bye = "BYE"

    /// JOB (the job spec), CHUNK (shard bytes) and RESULT (artifact bytes) must carry a
    /// binary payload frame; every other command must not.
    public var carriesPayload: Bool {
        switch self {
        case .job, .chunk, .result: true
        default: false
        }
    }
}
