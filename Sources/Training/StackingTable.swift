import ModelZoo
import Dataset

/// The base models' predictions a stacking job learns from, as one table (one shard).
///
/// Rows are the run's training rows, in training-shard order, then its test rows, in
/// test-shard order: the same order as the customer rows the job reads. Column `fold` holds,
/// for a training row, the fold whose model predicted it (a model that never saw the row),
/// and −1 for a test row (no model trained on any test row). Every
/// other column is one base model's output, named by the model: for a supervised model, the
/// fold model's prediction on a training row and the mean of the K fold models' on a test row
/// (so both come from models of the same size); for an unsupervised one, its full model's output.
/// An optional `__reference` column holds the reference model's own test predictions.
public enum StackingTable {
    public static let foldColumn = "fold"
    /// The reference model's own test predictions (NaN on training rows): what the lift is measured against.
    public static let referenceColumn = "__reference"

    public static func make(trainFolds: [Int], testRows: Int, inputs: [(name: String, values: [Double])],
                            referenceTestPredictions: [Double]? = nil) throws -> Table {
        let rows = trainFolds.count + testRows
        for input in inputs where input.values.count != rows {
            throw JobError("stacking input '\(input.name)' holds \(input.values.count) values for \(rows) rows")
        }
        let folds = trainFolds.map(Double.init) + Array(repeating: -1.0, count: testRows)
        var names = [foldColumn] + inputs.map(\.name)
        var columns: [Column] = [.numeric(folds)] + inputs.map { .numeric($0.values) }
        if let reference = referenceTestPredictions {
            guard reference.count == testRows else { throw JobError("the reference holds \(reference.count) predictions for \(testRows) test rows") }
            names.append(referenceColumn)
            columns.append(.numeric(Array(repeating: .nan, count: trainFolds.count) + reference))
        }
        return try Table(names: names, columns: columns)
    }

    /// Checks that training rows carry a fold and test rows none, so that no row was predicted
    /// by a model that trained on it; returns the number of training rows.
    public static func validateMembership(_ table: Table, trainRows: Int, testRows: Int) throws -> [Int] {
        guard table.rowCount == trainRows + testRows else {
            throw JobError("the stacking table has \(table.rowCount) rows, the job has \(trainRows) training + \(testRows) test rows")
        }
        let folds = try table.numeric(foldColumn)
        if let bad = folds[..<trainRows].firstIndex(where: { !($0 >= 0) || $0 != $0.rounded() }) {
            throw JobError("stacking table row \(bad + 1): a training row without an out-of-fold prediction (fold \(folds[bad]))")
        }
        if let bad = folds[trainRows...].firstIndex(where: { $0 != -1 }) {
            throw JobError("stacking table row \(bad + 1): a test row marked as fold \(Int(folds[bad])); test rows are never in a fold")
        }
        return folds[..<trainRows].map { Int($0) }
    }
}
