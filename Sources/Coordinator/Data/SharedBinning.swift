import Dataset
import Foundation
import ModelZoo
import Training

/// Bins the run's training rows once for all the GBDT jobs that would each bin them again: one
/// `BinnedShard` per feature set and binning settings, written to the shard store and named in
/// the specs of the jobs it serves (`TrainingJobSpec.binnedShard`).
///
/// The edges come from the training shards only, never a test row. The rows are read back from
/// the training shards in order, exactly as a worker reads them, so the schema and the values are
/// the ones each job sees.
public struct SharedBinning {
    public let store: ShardStore
    /// Threads for binning on the coordinator (the features are binned in parallel).
    public let threads: Int

    public init(store: ShardStore, threads: Int) {
        self.store = store
        self.threads = threads
    }

    /// What `attach` did.
    public struct Outcome: Sendable {
        public var jobs: [PlannedJob]
        /// The binned shards written, with how many jobs read each.
        public var shards: [(shard: ShardRef, jobs: Int)]
    }

    /// `jobs` with a binned shard named in each GBDT job whose training shards are among
    /// `trainShards`, where at least two jobs share the key (one job alone bins as cheaply itself).
    public func attach(to jobs: [PlannedJob], trainShards: [ShardRef]) throws -> Outcome {
        let inRun = Set(trainShards.map(\.id))
        let candidates = jobs.indices.filter { i in
            jobs[i].spec.kind == .gbdt && !jobs[i].spec.trainShards.isEmpty && jobs[i].spec.trainShards.allSatisfy { inRun.contains($0.id) }
        }
        guard candidates.count >= 2 else { return Outcome(jobs: jobs, shards: []) }
        let train = try Table.concatenated(try trainShards.map { try store.read($0.id) })
        var groups: [BinnedShard.Key: [Int]] = [:]
        var order: [BinnedShard.Key] = []
        for i in candidates {
            let key = BinnedShard.key(of: jobs[i].spec, columns: train.names)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(i)
        }
        var planned = jobs
        var written: [(shard: ShardRef, jobs: Int)] = []
        for key in order {
            guard let members = groups[key], members.count >= 2 else { continue }
            let binned = try BinnedShard.make(train: train, sources: trainShards, spec: jobs[members[0]].spec, threads: threads)
            let shard = try store.write(bytes: try binned.encode(), rows: binned.dataset.rowCount)
            for i in members { planned[i].spec.binnedShard = shard }
            written.append((shard, members.count))
        }
        return Outcome(jobs: planned, shards: written)
    }
}
