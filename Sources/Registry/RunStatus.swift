/// The state of one job of a run, as the journal stores it in `jobs.status`; one spelling for
/// the coordinator that writes it, recovery that reads it back and the CLI that counts it.
public enum JobStatus: String, Codable, Sendable, CaseIterable {
    /// Journaled again before a resumed run requeues it.
    case pending
    case running
    /// Failed an attempt and is queued for another one.
    case retrying
    case done
    case failed
}

/// The state of a run, as the journal stores it in `runs.status` (`running` until
/// ``ModelRegistry/finishRun(id:status:finishedAt:)`` records `succeeded` or `failed`).
public enum RunStatus: String, Codable, Sendable, CaseIterable {
    case running
    case succeeded
    case failed
    /// Never stored: what a `running` run is shown as when its coordinator died (a crash or
    /// SIGKILL never reaches `finishRun`), so that people know it can be resumed.
    case interrupted

    /// The statuses `finishRun` records.
    public var isOutcome: Bool { self == .succeeded || self == .failed }
}
