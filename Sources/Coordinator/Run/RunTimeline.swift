import Foundation
import Wire

/// Where a run's wall time went: the coordinator's phases with their CPU seconds, each job attempt
/// from dispatch to registration, and each worker's busy and idle time.
///
/// Exists because per-job seconds alone do not say why a run takes longer than its jobs: the
/// gaps between jobs, the inputs a worker reads before training, and the coordinator's own work
/// (data, binning, registration) competing for the same cores only show on a timeline.
/// `engage run --json` prints it as `timeline`; times are seconds since the run started.
public struct RunTimeline: Sendable, Codable, Equatable {
    /// A stretch of the coordinator's own work.
    public struct Phase: Sendable, Codable, Equatable {
        public var phase: String
        public var seconds: Double
        /// CPU seconds of the coordinator process (all its threads) in the phase.
        public var cpuSeconds: Double
    }

    /// One job attempt that returned a result.
    public struct Job: Sendable, Codable, Equatable {
        public var job: String
        public var worker: String
        public var attempt: Int
        /// When the coordinator sent the JOB.
        public var dispatched: Double
        /// When its RESULT arrived.
        public var received: Double
        /// When the coordinator had registered (or journaled) it.
        public var registered: Double
        /// The worker's wall seconds, from reading the inputs to sending the result.
        public var workerSeconds: Double
        /// The worker process's CPU seconds over those (absent from older workers).
        public var workerCPUSeconds: Double?
        /// Of `workerSeconds`, reading the inputs.
        public var inputSeconds: Double?
        /// The coordinator's CPU seconds registering the result (its registration thread).
        public var registerCPUSeconds: Double
    }

    /// One worker's share of the run's jobs.
    public struct Worker: Sendable, Codable, Equatable {
        public var worker: String
        public var jobs: Int
        /// Its jobs' `workerSeconds`.
        public var busySeconds: Double
        /// From the first dispatch of the run to its end, the time it held no job of its own
        /// (waiting for shards, for the coordinator, or for work).
        public var idleSeconds: Double
    }

    public var phases: [Phase] = []
    public var jobs: [Job] = []
    public var workers: [Worker] = []

    public init(phases: [Phase] = [], jobs: [Job] = []) {
        self.phases = phases
        self.jobs = jobs
    }

    /// `workers` from `jobs`, for a run whose jobs phase ended at `end`.
    public mutating func summarizeWorkers(end: Double) {
        let start = jobs.map(\.dispatched).min() ?? end
        var byWorker: [String: (jobs: Int, busy: Double)] = [:]
        for job in jobs {
            byWorker[job.worker, default: (0, 0)].jobs += 1
            byWorker[job.worker, default: (0, 0)].busy += job.workerSeconds
        }
        workers = byWorker.sorted { $0.key < $1.key }.map {
            Worker(worker: $0.key, jobs: $0.value.jobs, busySeconds: $0.value.busy, idleSeconds: max(0, end - start - $0.value.busy))
        }
    }
}

/// Measures the coordinator's phases of a run: wall and process CPU seconds between marks.
struct PhaseClock {
    private let origin: ContinuousClock.Instant
    private var last: ContinuousClock.Instant
    private var lastCPU: Double
    private(set) var phases: [RunTimeline.Phase] = []

    init(origin: ContinuousClock.Instant) {
        self.origin = origin
        last = origin
        lastCPU = CPUTime.processSeconds()
    }

    /// Closes the phase that began at the previous mark.
    mutating func mark(_ phase: String) {
        let now = ContinuousClock.now, cpu = CPUTime.processSeconds()
        phases.append(RunTimeline.Phase(phase: phase, seconds: (now - last).seconds, cpuSeconds: cpu - lastCPU))
        last = now
        lastCPU = cpu
    }
}
