import Foundation

/// Why `engage run --resume` will not pick a run up again; each case says what to do instead.
///
/// A resumed run reuses the journal's finished jobs as they are, which is only sound for the
/// very same config and data, and only for a run that is not finished and not still running.
public struct ResumeRefusal: Error, Equatable, CustomStringConvertible, LocalizedError {
    public enum Reason: Sendable, Equatable {
        case unknownRun
        case alreadySucceeded(finishedAt: Date?)
        case configChanged(recorded: String, current: String)
        case datasetChanged(recorded: String, current: String)
        case stillRunning(host: String, pid: Int)
    }

    public let runID: String
    public let reason: Reason

    public init(runID: String, reason: Reason) {
        self.runID = runID
        self.reason = reason
    }

    /// Refuses `run` (nil: not in the registry) unless it may be resumed with these hashes;
    /// a nil `datasetSHA256` skips the dataset check (the data is not prepared yet).
    public static func check(_ run: RunRecord?, id: String, configSHA256: String, datasetSHA256: String?) throws {
        guard let run else { throw ResumeRefusal(runID: id, reason: .unknownRun) }
        if run.status == .succeeded { throw ResumeRefusal(runID: id, reason: .alreadySucceeded(finishedAt: run.finishedAt)) }
        if run.configSHA256 != configSHA256 {
            throw ResumeRefusal(runID: id, reason: .configChanged(recorded: run.configSHA256, current: configSHA256))
        }
        if let datasetSHA256, run.datasetSHA256 != datasetSHA256 {
            throw ResumeRefusal(runID: id, reason: .datasetChanged(recorded: run.datasetSHA256, current: datasetSHA256))
        }
    }

    public var description: String {
        let head = "cannot resume run \(runID): "
        switch reason {
        case .unknownRun:
            return head + "the registry has no such run (check the id and --registry)"
        case .alreadySucceeded(let finishedAt):
            return head + "it already succeeded" + (finishedAt.map { " (finished \(StoredDate.encode($0)))" } ?? "")
                + "; start a new run instead"
        case .configChanged(let recorded, let current):
            return head + "the config file's SHA-256 is now \(current.prefix(16))…, but the run was started with "
                + "\(recorded.prefix(16))…; resume it with the same cluster.yaml, or start a new run"
        case .datasetChanged(let recorded, let current):
            return head + "the prepared data's SHA-256 is now \(current.prefix(16))…, but the run was started on \(recorded.prefix(16))… "
                + "(the data source, a data.* setting or --rows changed); resume it with the same data, or start a new run"
        case .stillRunning(let host, let pid):
            return head + "its coordinator (pid \(pid) on \(host)) is still running"
        }
    }

    public var errorDescription: String? { description }
}
