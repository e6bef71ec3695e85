import Foundation

/// Test-row scores and permutation importance of a GBDT computed on a thread of their own while
/// boosting goes on, one tree at a time as each is made.
///
/// Exists because a fit of a small table runs on one thread (`GBDTParameters.rootWorkPerThread`)
/// and leaves the other cores idle, while scoring the test rows and the shuffled rows after the
/// fit cost a fifth of the whole `engage train` process. The sums are the ones scoring after
/// the fit makes, in the same order (`TreeByTreeScores`), so the numbers are bit-identical.
/// Use: pass it to `GBDTTrainer.fit(…, evaluation:)`, then `finish`; `close` (idempotent) ends
/// the thread when the fit fails.
public final class ConcurrentEvaluation: @unchecked Sendable {
    // Sendable by construction: `events`, `closed` and `done` are read and written under
    // `condition`; `scores` belongs to the evaluation thread until `done` is set, then to the
    // caller of `finish`.
    private enum Event {
        case start(baseScore: Double)
        case tree(RegressionTree)
    }

    /// The evaluation runs on its one thread, beside the fit's.
    private static let ownThread = ParallelRunner(threads: 1)
    /// Trees posted before the waiting thread is woken: a wake-up costs the fit's thread about as
    /// much as a split on a virtual machine, and the last batch only adds a few trees' scoring
    /// after the fit.
    private static let treesPerWake = 4
    private let condition = NSCondition()
    private var events: [Event] = []
    private var closed = false
    private var done = false
    private var scores: TreeByTreeScores

    /// Scores every row of `x` and shuffles each column of its first `permutationRows` rows
    /// `repeats` times (drawn as `PermutationImportance.compute` draws them from `seed`);
    /// `featureNames` are the model's features, looked up in `x` by name.
    public init(x: FeatureMatrix, featureNames: [String], permutationRows: Int, repeats: Int = 1, seed: UInt64) throws {
        scores = try TreeByTreeScores(x: x, featureNames: featureNames, permutationRows: permutationRows, repeats: repeats, seed: seed)
        let thread = Thread { [self] in consume() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    func start(baseScore: Double) { post(.start(baseScore: baseScore)) }

    func add(_ tree: RegressionTree) { post(.tree(tree)) }

    /// Ends the evaluation thread (after the events posted so far); safe to call more than once.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        while !done { condition.wait() }
        condition.unlock()
    }

    /// Waits for the last tree, then the raw scores of every row of `x` and the permutation
    /// importance of each column (as `PermutationImportance.compute`: mean of permuted loss −
    /// baseline loss, on `model.outputs`; `labels` are the first `permutationRows` rows'). Nil
    /// when the trees seen are not `model`'s (early stopping dropped some).
    public func finish(model: GBDTModel, labels: [Double], loss: ([Double], [Double]) -> Double) -> (raw: [Double], importance: [Double])? {
        close()
        guard scores.trees == model.activeTrees.count, scores.started else { return nil }
        return (scores.raw, scores.importance(labels: labels, outputs: model.outputs(raw:), loss: loss, runner: Self.ownThread))
    }

    private func post(_ event: Event) {
        condition.lock()
        events.append(event)
        if events.count >= Self.treesPerWake { condition.signal() }
        condition.unlock()
    }

    private func consume() {
        while true {
            condition.lock()
            while events.isEmpty && !closed { condition.wait() }
            let batch = events
            events.removeAll(keepingCapacity: true)
            let finished = closed && batch.isEmpty
            if finished {
                done = true
                condition.broadcast()
            }
            condition.unlock()
            if finished { return }
            for event in batch {
                switch event {
                case .start(let baseScore): scores.start(baseScore: baseScore)
                case .tree(let tree): scores.add(tree, runner: Self.ownThread)
                }
            }
        }
    }
}
