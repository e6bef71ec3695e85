import Foundation

/// Collects fold jobs' predictions into the out-of-fold matrix, refusing anything that would
/// leak: a prediction for a test row, a row predicted twice by one model, a training row left
/// without a prediction.
///
/// Stacking is only honest when each out-of-fold prediction comes from a model that never saw
/// its row and no test row shaped the meta-learner; this type is where that is checked, for the
/// pipeline's ensemble (`StackingAssembly`) as for a stacking model built by hand. An input that
/// never learned from the target (an unsupervised score) is added once, as fold −1, for every training row.
public struct OutOfFoldAssembler: Sendable {
    public let trainRows: [Int]
    private let position: [Int: Int]
    private let testRows: Set<Int>
    /// Model names in the order they were first added: the matrix's columns.
    public private(set) var models: [String] = []
    private var values: [String: [Double]] = [:]
    private var filled: [String: [Bool]] = [:]

    /// How a base model's probability enters the meta-learner: its log-odds, where a linear
    /// model can weigh it, clamped to [1e-7, 1 − 1e-7] first so 0 and 1 stay finite.
    public static func logOdds(_ p: Double) -> Double {
        let q = min(max(p, 1e-7), 1 - 1e-7)
        return log(q / (1 - q))
    }

    /// `trainRows` fixes the row order of the matrix; `testRows` may never receive a prediction.
    public init(trainRows: [Int], testRows: [Int]) throws {
        var position = [Int: Int](minimumCapacity: trainRows.count)
        for (index, row) in trainRows.enumerated() where position.updateValue(index, forKey: row) != nil {
            throw StackingError.foldMembership("training row \(row) is listed twice")
        }
        let test = Set(testRows)
        if let shared = trainRows.first(where: { test.contains($0) }) {
            throw StackingError.foldMembership("row \(shared) is both a training row and a test row")
        }
        self.trainRows = trainRows
        self.position = position
        self.testRows = test
    }

    /// Adds one fold job's predictions of `model` for `rows`.
    public mutating func add(model: String, fold: Int, rows: [Int], predictions: [Double]) throws {
        guard rows.count == predictions.count else {
            throw StackingError.foldMembership("\(model) fold \(fold) has \(rows.count) rows but \(predictions.count) predictions")
        }
        if values[model] == nil {
            models.append(model)
            values[model] = Array(repeating: .nan, count: trainRows.count)
            filled[model] = Array(repeating: false, count: trainRows.count)
        }
        for (row, prediction) in zip(rows, predictions) {
            if testRows.contains(row) {
                throw StackingError.foldMembership("\(model) fold \(fold) predicts test row \(row)")
            }
            guard let index = position[row] else {
                throw StackingError.foldMembership("\(model) fold \(fold) predicts row \(row), which is not a training row")
            }
            guard !filled[model]![index] else {
                throw StackingError.foldMembership("\(model) predicts training row \(row) in more than one fold")
            }
            filled[model]![index] = true
            values[model]![index] = prediction
        }
    }

    /// The out-of-fold matrix: one column per model, rows in `trainRows` order.
    public func matrix() throws -> FeatureMatrix {
        for model in models {
            if let missing = filled[model]!.firstIndex(of: false) {
                throw StackingError.foldMembership("\(model) has no out-of-fold prediction for training row \(trainRows[missing])")
            }
        }
        return try FeatureMatrix(names: models, columns: models.map { values[$0]! }, isCategorical: models.map { _ in false })
    }
}
