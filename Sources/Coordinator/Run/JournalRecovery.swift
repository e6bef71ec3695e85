import Dataset
import Foundation
import ModelZoo
import Registry

/// What a resumed run takes over from its journal: the jobs that stay done, their stored
/// predictions and registered versions, the attempts used so far, and the jobs that must run
/// again because the predictions a later job needs are gone or damaged.
struct RecoveredRun {
    /// Jobs the journal holds as done that are not run again.
    var done: Set<String> = []
    /// The last attempt the journal records per job (a resumed job continues the count).
    var attempts: [String: Int] = [:]
    var predictions: [String: [String: ArraySlice<Double>]] = [:]
    /// Versions registered before the restart, by job id; a job run again keeps its version.
    var versions: [String: ModelVersion] = [:]
    /// The objective of every model with a recovered job (the ensemble reads binary inputs as log-odds).
    var objectives: [String: ModelObjective] = [:]
    /// Journal-done jobs that run again, with the reason.
    var reruns: [(job: String, reason: String)] = []

    /// Reads the journal of `runID` for the planned `jobs`. Only the predictions of done jobs that
    /// a not-done job depends on are loaded (and verified): the others are never read again.
    static func recover(registry: ModelRegistry, runID: String, jobs: [PlannedJob], predictions: PredictionStore) throws -> RecoveredRun {
        let records = Dictionary(try registry.jobs(runID: runID).map { ($0.jobID, $0) }, uniquingKeysWith: { _, last in last })
        var recovered = RecoveredRun()
        for job in jobs {
            if let record = records[job.id] { recovered.attempts[job.id] = record.attempt }
        }
        var journalDone = Set(jobs.filter { records[$0.id]?.status == .done }.map(\.id))
        for job in jobs {
            guard case .full = job.spec.role else { continue }
            // A run registers one version per model, from its full job: an earlier version of
            // this run is that job's, whether or not the journal got to say so.
            if let version = try registry.versions(model: job.spec.model).last(where: { $0.runID == runID }) {
                recovered.versions[job.id] = version
            } else if journalDone.contains(job.id) {
                recovered.reruns.append((job.id, "the journal holds it done, but the registry has no version of \(job.spec.model) from this run"))
            }
        }
        journalDone.subtract(recovered.reruns.map(\.job))
        let needed = Set(jobs.filter { !journalDone.contains($0.id) }.flatMap(\.dependsOn))
        for job in jobs where journalDone.contains(job.id) && needed.contains(job.id) {
            do {
                recovered.predictions[job.id] = try predictions.load(records[job.id]?.predictions, job: job)
            } catch {
                recovered.reruns.append((job.id, String(describing: error)))
                journalDone.remove(job.id)
            }
        }
        recovered.done = journalDone
        for job in jobs where journalDone.contains(job.id) { recovered.objectives[job.spec.model] = job.spec.objective }
        return recovered
    }
}
