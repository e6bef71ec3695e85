import Foundation

/// Why `engage report` could not write a report, or could not fill one of its sections.
///
/// Section failures (a missing shard, an artifact that does not decode) do not stop the report:
/// their description becomes the note shown where the section would be.
public enum ReportError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case noRuns(registry: String)
    case unknownRun(String, known: [String])
    case ambiguousRun(String, matches: [String])
    case shardDirectoryMissing(String)
    case shardMissing(id: String, directory: String)
    case noEvaluationShards(model: String)
    case missingLabels(model: String, target: String, shard: String)
    case unlabelled(model: String)
    case unreadableReport(name: String, model: String, reason: String)
    case cannotWrite(path: String, reason: String)

    /// Any error as the sentence a person reads: its localized description when it has one.
    static func sentence(_ error: Error) -> String {
        (error as? LocalizedError)?.errorDescription ?? String(describing: error)
    }

    public var description: String {
        switch self {
        case .noRuns(let registry):
            return "\(registry) records no runs yet; `engage run` makes one"
        case .unknownRun(let run, let known):
            let recent = known.suffix(5).reversed().joined(separator: ", ")
            return "no run '\(run)' in the registry" + (known.isEmpty ? "" : "; recent runs: \(recent) (or use 'latest')")
        case .ambiguousRun(let run, let matches):
            return "run '\(run)' is ambiguous: it begins \(matches.count) run ids (\(matches.prefix(5).joined(separator: ", "))); give more of the id"
        case .shardDirectoryMissing(let directory):
            return "the shard directory \(directory) does not exist (pass --work-dir, or --config with the run's work_dir)"
        case .shardMissing(let id, let directory):
            return "test shard \(id) is not in \(directory) (the work directory was cleaned, or the run used another work_dir)"
        case .noEvaluationShards(let model):
            return "\(model): its training report names neither its test shards (evalShards) nor its training shards (trainShards)"
        case .missingLabels(let model, let target, let shard):
            return "\(model): test shard \(shard) has no target column '\(target)'"
        case .unlabelled(let model):
            return "\(model) was trained without a label column, so there is nothing to draw its scores against"
        case .unreadableReport(let name, let model, let reason):
            return "\(model): the '\(name)' report is not readable: \(reason)"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
