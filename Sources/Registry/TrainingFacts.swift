/// The `training` document the coordinator stores with each version: which job and attempt
/// made it, on which shards, with how many rows and trees. One type for the writer and for the
/// report that reads it back; every field is optional because older registries hold documents
/// without some of them.
public struct TrainingFacts: Codable, Sendable, Equatable {
    /// Its name among a version's registry documents.
    public static let registryName = "training"

    public var jobID: String?
    public var features: [String]?
    public var trainRows: Int?
    public var evalRows: Int?
    public var trees: Int?
    public var attempt: Int?
    public var trainShards: [String]?
    public var evalShards: [String]?

    public init(jobID: String, features: [String], trainRows: Int, evalRows: Int, trees: Int, attempt: Int,
                trainShards: [String], evalShards: [String]) {
        self.jobID = jobID
        self.features = features
        self.trainRows = trainRows
        self.evalRows = evalRows
        self.trees = trees
        self.attempt = attempt
        self.trainShards = trainShards
        self.evalShards = evalShards
    }
}
