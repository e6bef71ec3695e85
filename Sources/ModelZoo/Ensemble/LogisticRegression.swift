import Foundation

/// L2-regularised logistic regression on standardised inputs, fitted by Newton's method to
/// the exact optimum.
///
/// The linear meta-learner of the stacking ensemble: with a handful of inputs (one per base
/// model) Newton steps with a Cholesky solve converge in a few iterations to machine precision,
/// so the coefficients equal scikit-learn's `LogisticRegression(C=…)` after `StandardScaler`.
/// The objective is Σ log loss + ½ (1/C) ‖w‖², the intercept unpenalised.
public struct LogisticRegressionModel: Sendable, Equatable {
    public let featureNames: [String]
    /// Standardisation: (x − mean) / scale, with NumPy's population standard deviation (scale
    /// 1 for a constant column); a missing input counts as the mean.
    public let means: [Double]
    public let scales: [Double]
    /// Weights on the standardised inputs.
    public let coefficients: [Double]
    public let intercept: Double

    public init(featureNames: [String], means: [Double], scales: [Double], coefficients: [Double], intercept: Double) throws {
        let d = featureNames.count
        guard means.count == d, scales.count == d, coefficients.count == d else {
            throw StackingError.invalidModel("logistic regression arrays do not match \(d) features")
        }
        guard Set(featureNames).count == d else { throw StackingError.invalidModel("feature names are not unique") }
        guard (means + coefficients + [intercept]).allSatisfy(\.isFinite), scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw StackingError.invalidModel("logistic regression has a non-finite number or a non-positive scale")
        }
        self.featureNames = featureNames
        self.means = means
        self.scales = scales
        self.coefficients = coefficients
        self.intercept = intercept
    }

    /// Probabilities of class 1 (features matched by name).
    public func predict(_ x: FeatureMatrix) throws -> [Double] {
        let columns = try x.columnIndices(for: featureNames)
        return (0..<x.rowCount).map { row in
            var z = intercept
            for (f, column) in columns.enumerated() {
                let v = x.columns[column][row]
                if v.isFinite { z += coefficients[f] * (v - means[f]) / scales[f] }
            }
            return BinaryLogisticObjective.sigmoid(z)
        }
    }
}

/// Settings of `LogisticRegression`.
public struct LogisticRegressionParameters: Codable, Sendable, Equatable {
    /// Inverse regularisation strength, as scikit-learn's `C`.
    public var c = 1.0
    public var maximumIterations = 100
    /// Converged when the largest gradient component is below this times the number of rows.
    public var tolerance = 1e-10

    public init() {}

    public func validate() throws {
        try StackingError.check(c > 0 && c.isFinite, "c", c, "must be a positive number")
        try StackingError.check(maximumIterations >= 1, "maximumIterations", maximumIterations, "must be at least 1")
        try StackingError.check(tolerance > 0 && tolerance.isFinite, "tolerance", tolerance, "must be a positive number")
    }
}

/// Fits `LogisticRegressionModel`s.
public struct LogisticRegression: Sendable {
    public let parameters: LogisticRegressionParameters

    public init(parameters: LogisticRegressionParameters = LogisticRegressionParameters()) {
        self.parameters = parameters
    }

    public func fit(_ x: FeatureMatrix, labels: [Double]) throws -> LogisticRegressionModel {
        try parameters.validate()
        guard x.rowCount > 0 else { throw StackingError.emptyTrainingSet }
        try StackingError.validateTrainable(labels, rows: x.rowCount, set: "training")
        let n = x.rowCount, d = x.columnCount, p = d + 1
        var means = [Double](repeating: 0, count: d), scales = [Double](repeating: 1, count: d)
        // Standardised design, row-major, intercept last.
        var z = [Double](repeating: 0, count: n * p)
        for (f, column) in x.columns.enumerated() {
            let finite = column.filter(\.isFinite)
            let mean = finite.isEmpty ? 0 : finite.reduce(0, +) / Double(finite.count)
            let variance = finite.isEmpty ? 0 : finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(finite.count)
            let scale = variance > 0 ? variance.squareRoot() : 1
            means[f] = mean
            scales[f] = scale
            for row in 0..<n { z[row * p + f] = column[row].isFinite ? (column[row] - mean) / scale : 0 }
        }
        for row in 0..<n { z[row * p + d] = 1 }
        let lambda = 1 / parameters.c
        var w = [Double](repeating: 0, count: p)
        var objective = Self.objective(z, labels, w, lambda: lambda, p: p)
        var converged = false
        var gradientNorm = Double.infinity
        var iterations = 0
        while iterations < parameters.maximumIterations {
            iterations += 1
            var gradient = [Double](repeating: 0, count: p)
            var hessian = [Double](repeating: 0, count: p * p)
            for row in 0..<n {
                let r = row * p
                var margin = 0.0
                for k in 0..<p { margin += z[r + k] * w[k] }
                let prob = BinaryLogisticObjective.sigmoid(margin)
                let residual = prob - labels[row], weight = max(prob * (1 - prob), 1e-300)
                for a in 0..<p {
                    gradient[a] += residual * z[r + a]
                    let wa = weight * z[r + a]
                    for b in 0...a { hessian[a * p + b] += wa * z[r + b] }
                }
            }
            for a in 0..<d {
                gradient[a] += lambda * w[a]
                hessian[a * p + a] += lambda
            }
            gradientNorm = gradient.map(abs).max() ?? 0
            if gradientNorm <= parameters.tolerance * Double(n) {
                converged = true
                break
            }
            for a in 0..<p { for b in (a + 1)..<p { hessian[a * p + b] = hessian[b * p + a] } }
            guard let step = Cholesky.solve(hessian, gradient, size: p) else { break }
            // Backtracking far from the optimum; near it the decrease is below the rounding of
            // the objective, so a step that does not raise it beyond that rounding is taken whole.
            let slack = 1e-12 * max(1, abs(objective))
            var t = 1.0
            var candidate = w
            var accepted = false
            for _ in 0..<60 {
                for k in 0..<p { candidate[k] = w[k] - t * step[k] }
                let value = Self.objective(z, labels, candidate, lambda: lambda, p: p)
                if value <= objective + slack {
                    objective = min(objective, value)
                    accepted = true
                    break
                }
                t /= 2
            }
            guard accepted else { break }
            w = candidate
        }
        guard converged else { throw StackingError.notConverged(iterations: iterations, gradient: gradientNorm) }
        return try LogisticRegressionModel(featureNames: x.names, means: means, scales: scales, coefficients: Array(w[0..<d]),
                                           intercept: w[d])
    }

    /// Σ log loss + ½ λ ‖w without intercept‖².
    private static func objective(_ z: [Double], _ labels: [Double], _ w: [Double], lambda: Double, p: Int) -> Double {
        var total = 0.0
        for row in 0..<labels.count {
            var margin = 0.0
            for k in 0..<p { margin += z[row * p + k] * w[k] }
            // log(1 + e^m) − y·m, stably.
            total += max(margin, 0) + Foundation.log1p(Foundation.exp(-abs(margin))) - labels[row] * margin
        }
        var penalty = 0.0
        for k in 0..<(p - 1) { penalty += w[k] * w[k] }
        return total + 0.5 * lambda * penalty
    }
}

/// Solves A x = b for a symmetric positive-definite A (row-major, `size` × `size`).
enum Cholesky {
    static func solve(_ a: [Double], _ b: [Double], size n: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = a[i * n + j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard sum > 0, sum.isFinite else { return nil }
                    l[i * n + i] = sum.squareRoot()
                } else {
                    l[i * n + j] = sum / l[j * n + j]
                }
            }
        }
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var sum = b[i]
            for k in 0..<i { sum -= l[i * n + k] * y[k] }
            y[i] = sum / l[i * n + i]
        }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = y[i]
            for k in (i + 1)..<n { sum -= l[k * n + i] * x[k] }
            x[i] = sum / l[i * n + i]
        }
        return x
    }
}
