import Dataset
import ModelZoo

extension FeatureSchema {

    /// The schema of a job's features: every column of `train` that the spec does not exclude
    /// and that is not its target; a job left with no feature is refused by name.
    public init(job spec: TrainingJobSpec, train: Table) throws {
        let names = GBDTJobRunner.featureNames(of: train, excluding: spec.excludedColumns, target: spec.target)
        guard !names.isEmpty else { throw JobError("model \(spec.model): no feature columns left after exclusions") }
        try self.init(table: train, features: names)
    }
}
