import Dataset
import Foundation

/// Permutation importance (Breiman 2001): how much a score worsens when one feature's values
/// are shuffled across rows, breaking its link to the label while keeping its distribution.
public enum PermutationImportance {
    /// For each feature of `x`, the mean over `repeats` of (baseline loss − permuted loss) × −1,
    /// i.e. positive when shuffling hurts. `loss` must be lower-is-better.
    public static func compute(x: FeatureMatrix, labels: [Double], repeats: Int = 1, seed: UInt64,
                               predict: (FeatureMatrix) throws -> [Double],
                               loss: ([Double], [Double]) -> Double) throws -> [Double] {
        let baseline = loss(labels, try predict(x))
        var rng = SeededRandom(seed: seed)
        var importances = [Double](repeating: 0, count: x.columnCount)
        for feature in 0..<x.columnCount {
            var total = 0.0
            for _ in 0..<max(1, repeats) {
                var columns = x.columns
                rng.shuffle(&columns[feature])
                let permuted = try FeatureMatrix(names: x.names, columns: columns, isCategorical: x.isCategorical)
                total += loss(labels, try predict(permuted)) - baseline
            }
            importances[feature] = total / Double(max(1, repeats))
        }
        return importances
    }
}
