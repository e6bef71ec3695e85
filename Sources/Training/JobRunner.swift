import ModelZoo
/// Picks the runner for a job's kind: the one entry point the worker and `engage train` call.
public enum JobRunner {
    public static func run(spec: TrainingJobSpec, threads: Int, inputs: JobInputs,
                           progress: (@Sendable (Double) -> Void)? = nil) throws -> JobOutcome {
        var spec = spec
        if spec.kind == .gbdt || spec.kind == .stacking {
            do {
                spec.binaryLevels = try TargetRule(spec: spec).levels(in: inputs.train)
            } catch let error as TargetError {
                throw JobError("model \(spec.model): \(error.message)")
            }
        }
        switch spec.kind {
        case .gbdt:
            return try GBDTJobRunner(spec: spec, threads: threads).run(train: inputs.train, eval: inputs.eval, validation: inputs.validation,
                                                                       scored: inputs.scored, binned: inputs.binned, progress: progress)
        case .anomaly:
            return try AnomalyJobRunner(spec: spec, threads: threads).run(train: inputs.train, eval: inputs.eval, scored: inputs.scored,
                                                                          progress: progress)
        case .ncf: return try NCFJobRunner(spec: spec, threads: threads).run(inputs, progress: progress)
        case .stacking:
            return try StackingJobRunner(spec: spec, threads: threads).run(inputs, progress: progress)
        }
    }
}
