import Foundation

/// Scores single-row requests that arrive together as one batch, by its `FlushPolicy`: the first
/// row of a batch waits at most `maxWait`, a batch that reaches `maxRows` is scored at once.
///
/// Exists because a tree ensemble scores 32 rows in little more time than one: under load,
/// batching turns per-request overhead into per-batch overhead. Rows are batched per
/// version, so a batch never mixes the version before a hot swap with the one after; a batch
/// that fails as a whole (one row with a mistyped feature) is scored row by row, so each
/// request gets its own answer or its own error.
public final class MicroBatcher: @unchecked Sendable {
    public let policy: FlushPolicy
    private struct Waiting {
        let rows: FeatureRows
        let continuation: CheckedContinuation<ScoredRows, any Error>
    }
    private final class Queue {
        var waiting: [Waiting] = []
        var generation = 0
    }
    private let lock = NSLock()
    private var queues: [String: Queue] = [:]

    public init(policy: FlushPolicy) { self.policy = policy }

    /// The request's outputs, scored alone or in a batch with others of the same version.
    public func score(_ rows: FeatureRows, with model: LoadedModel) async throws -> ScoredRows {
        guard !policy.isOff, rows.rowCount == 1 else { return try model.score(rows) }
        return try await withCheckedThrowingContinuation { continuation in
            let key = model.label
            lock.lock()
            let queue = queues[key] ?? Queue()
            queues[key] = queue
            queue.waiting.append(Waiting(rows: rows, continuation: continuation))
            let full = queue.waiting.count >= policy.maxRows
            let first = queue.waiting.count == 1
            let generation = queue.generation
            let batch = full ? take(queue, key: key) : []
            lock.unlock()
            if full {
                Self.run(batch, model: model)
            } else if first {
                let wait = policy.maxWait
                Task {
                    try? await Task.sleep(for: wait)
                    self.flush(key: key, generation: generation, model: model)
                }
            }
        }
    }

    /// Scores the batch that `generation` opened, unless a full batch already took it.
    private func flush(key: String, generation: Int, model: LoadedModel) {
        lock.lock()
        guard let queue = queues[key], queue.generation == generation, !queue.waiting.isEmpty else {
            lock.unlock()
            return
        }
        let batch = take(queue, key: key)
        lock.unlock()
        Self.run(batch, model: model)
    }

    /// Empties the queue (under the lock) and starts its next generation.
    private func take(_ queue: Queue, key: String) -> [Waiting] {
        let batch = queue.waiting
        queue.waiting = []
        queue.generation += 1
        return batch
    }

    private static func run(_ batch: [Waiting], model: LoadedModel) {
        if batch.count > 1, let joined = try? FeatureRows.concatenating(batch.map(\.rows)), let scored = try? model.score(joined) {
            for (row, waiting) in batch.enumerated() { waiting.continuation.resume(returning: scored.rows(row..<row + 1)) }
            return
        }
        for waiting in batch {
            do { waiting.continuation.resume(returning: try model.score(waiting.rows)) } catch { waiting.continuation.resume(throwing: error) }
        }
    }
}
