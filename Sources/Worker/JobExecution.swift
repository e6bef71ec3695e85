import Foundation
import Training

/// How a worker trains an accepted job: the function that computes it and where that runs.
/// The real worker runs ``JobRunner`` on a thread of its own so that heartbeats go on while a
/// model trains; tests run a stub inline so that a RESULT follows deterministically.
public struct JobExecution: Sendable {
    public typealias Train = @Sendable (TrainingJobSpec, _ threads: Int, JobInputs, _ progress: @escaping @Sendable (Double) -> Void) throws -> JobOutcome
    public typealias Launch = @Sendable (_ work: @escaping @Sendable () -> Void) -> Void

    public var train: Train
    public var launch: Launch

    public init(train: @escaping Train, launch: @escaping Launch) {
        self.train = train
        self.launch = launch
    }

    /// ``JobRunner`` on a new thread with a 16 MiB stack.
    public static let threaded = JobExecution(
        train: { spec, threads, inputs, progress in try JobRunner.run(spec: spec, threads: threads, inputs: inputs, progress: progress) },
        launch: { work in
            let thread = Thread(block: work)
            thread.stackSize = 16 << 20
            thread.start()
        })

    /// `train` on the calling thread: its outcome is in the outbox when the JOB's last CHUNK is handled.
    public static func inline(_ train: @escaping Train) -> JobExecution {
        JobExecution(train: train, launch: { work in work() })
    }
}
