@testable import Coordinator
import Dataset
import ModelZoo
import Training
import XCTest

/// The scheduler's packing, in process and deterministic: a virtual clock hands `JobBook.next`
/// jobs to idle workers and finishes each after its cost.
final class JobPackingTests: XCTestCase {
    private func job(_ id: String, cost: Double, after: [String] = [], model: String? = nil,
                     role: TrainingJobSpec.Role = .full) -> PlannedJob {
        let spec = TrainingJobSpec(model: model ?? id, kind: .gbdt, objective: .binary, target: "y", excludedColumns: [], quantiles: [],
                                   parameters: GBDTParameters(), role: role, trainShards: [], evalShards: [])
        return PlannedJob(id: id, spec: spec, dependsOn: after, estimatedCost: cost)
    }

    /// Hand-out order and finish time of every job when `workers` idle workers take `book.next`.
    private func simulate(_ jobs: [PlannedJob], workers: Int) -> (order: [String], makespan: Double, idle: Double) {
        var book = JobBook(jobs: jobs, maxAttempts: 1)
        var free = Array(repeating: 0.0, count: workers)
        var running: [(worker: Int, id: String, ends: Double)] = []
        var order: [String] = []
        var now = 0.0
        var busy = 0.0
        while !book.isFinished {
            for w in free.indices where !running.contains(where: { $0.worker == w }) {
                guard let next = book.next(cachedShards: []) else { break }
                _ = book.start(next.id, worker: "w\(w)")
                order.append(next.id)
                running.append((w, next.id, now + next.estimatedCost))
                busy += next.estimatedCost
            }
            guard let first = running.min(by: { $0.ends < $1.ends }) else { break }
            now = first.ends
            free[first.worker] = now
            running.removeAll { $0.id == first.id }
            XCTAssertTrue(book.complete(first.id, attempt: 1, worker: "w\(first.worker)"))
        }
        return (order, now, Double(workers) * now - busy)
    }

    /// The shipped pipeline's shape: three GBDT models with a full job and five fold jobs each, an
    /// anomaly job, one long recommender job and an ensemble after all of them.
    private var shipped: [PlannedJob] {
        var jobs: [PlannedJob] = []
        for (model, full, fold) in [("lifetime_value", 12.0, 4.5), ("churn", 6.5, 4.0), ("engagement", 6.0, 4.0)] {
            jobs.append(job("\(model)/full", cost: full, model: model))
            for k in 0..<5 { jobs.append(job("\(model)/fold\(k)", cost: fold, model: model, role: .fold(k))) }
        }
        jobs.append(job("anomaly/full", cost: 5))
        jobs.append(job("recommender/full", cost: 33))
        jobs.append(job("ensemble/full", cost: 2, after: jobs.map(\.id)))
        return jobs
    }

    func testCriticalPathsAddTheCostliestChainOfDependents() {
        let ordered = JobPlanner.ordered([job("a", cost: 1), job("b", cost: 4), job("c", cost: 2, after: ["a"]), job("d", cost: 5, after: ["c"])])
        let paths = Dictionary(uniqueKeysWithValues: ordered.map { ($0.id, $0.criticalPath) })
        XCTAssertEqual(paths, ["a": 8, "b": 4, "c": 7, "d": 5])
        XCTAssertEqual(ordered.map(\.id), ["a", "c", "d", "b"], "a short job that the longest chain waits for goes first")
    }

    func testLongestFirstPacksTheShippedGraphAndTheEnsembleGoesLast() {
        let jobs = JobPlanner.ordered(shipped)
        let packed = simulate(jobs, workers: 2)
        XCTAssertEqual(Array(packed.order.prefix(2)), ["recommender/full", "lifetime_value/full"])
        XCTAssertEqual(packed.order.last, "ensemble/full")
        // 127 seconds of work, the ensemble's 2 after the rest: no schedule on two workers ends before 125 / 2 + 2 = 64.5.
        let total = jobs.reduce(0) { $0 + $1.estimatedCost }
        XCTAssertEqual(total, 127)
        XCTAssertEqual(packed.makespan, 65, "longest first ends half a second after the bound")
        XCTAssertEqual(packed.idle, 3)
        // With the recommender taken last, as a cost in other units than the GBDT jobs' can make it, the run ends at 81.
        var book = jobs
        for i in book.indices where book[i].id == "recommender/full" { book[i].criticalPath = 0 }
        XCTAssertEqual(simulate(book, workers: 2).makespan, 81)
    }

    func testThePackingIsDeterministic() {
        let first = simulate(JobPlanner.ordered(shipped), workers: 3)
        let second = simulate(JobPlanner.ordered(shipped.reversed()), workers: 3)
        XCTAssertEqual(first.order, second.order)
        XCTAssertEqual(first.makespan, second.makespan)
    }

    func testTheCostModelLearnsEachModelsRateFromEarlierRuns() {
        let spec = job("churn/full", cost: 0, model: "churn").spec
        var fold = spec
        fold.role = .fold(0)
        let defaults = JobCostModel(defaults: [.gbdt: .init(fixed: 0.5, perUnit: 2.5e-7)])
        XCTAssertEqual(defaults.seconds(of: spec, units: 1e7), 0.5 + 2.5, accuracy: 1e-9)
        let learned = defaults.learning(from: [
            .init(key: .init(model: "churn", full: true), units: 1e7, seconds: 10.5),
            .init(key: .init(model: "churn", full: true), units: 1e7, seconds: 8.5),
            .init(key: .init(model: "churn", full: true), units: 1e7, seconds: 60),
            .init(key: .init(model: "churn", full: false), units: 1e7, seconds: 0),
        ], kinds: ["churn": .gbdt])
        XCTAssertEqual(learned.seconds(of: spec, units: 2e7), 0.5 + 2 * 10, accuracy: 1e-9, "the median rate, not the outlier")
        XCTAssertEqual(learned.seconds(of: fold, units: 1e7), defaults.seconds(of: fold, units: 1e7), "no usable fold observation")
    }

    func testUnitsGrowWithTheWorkAJobDoes() {
        let rows = [ShardRef(id: "a", rows: 1000, bytes: 1), ShardRef(id: "b", rows: 1000, bytes: 1)]
        var spec = TrainingJobSpec(model: "m", kind: .gbdt, objective: .quantile, target: "y", excludedColumns: [], quantiles: [0.1, 0.5, 0.9],
                                   parameters: GBDTParameters(), role: .full, trainShards: rows, evalShards: [])
        let explained = JobCostModel.units(of: spec, features: 20)
        spec.shapRows = 0
        spec.permutationRows = 0
        let three = JobCostModel.units(of: spec, features: 20)
        XCTAssertGreaterThan(explained, three, "a full job's explanations are work too")
        spec.quantiles = [0.5]
        XCTAssertEqual(JobCostModel.units(of: spec, features: 20) * 3, three)
        spec.trainShards = Array(rows.prefix(1))
        XCTAssertEqual(JobCostModel.units(of: spec, features: 20) * 6, three)
    }
}
