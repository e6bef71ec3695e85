/// A loss function as gradient boosting sees it, after LightGBM's `ObjectiveFunction`.
///
/// It is told the labels once, turns raw scores into first and second derivatives,
/// gives the initial (constant) score, may refit each finished tree's leaves, converts
/// raw scores to outputs and names the metric used for early stopping. The tree learner
/// only ever sees the gradients.
public protocol Objective: Sendable {
    var kind: ObjectiveKind { get }

    /// The best constant raw score: the starting point of boosting.
    func initialScore() -> Double

    /// When every hessian is this value, histogram building skips summing them.
    var constantHessian: Double? { get }

    /// Writes d(loss)/d(score) and d²(loss)/d(score)² for rows `range`.
    func computeGradients(scores: UnsafePointer<Double>, gradients: UnsafeMutablePointer<Double>,
                          hessians: UnsafeMutablePointer<Double>, range: Range<Int>)

    /// Whether `renewedLeafOutput` replaces the Newton step as each leaf's value.
    var renewsLeafOutputs: Bool { get }

    /// A leaf's value recomputed from its rows' labels and current scores (before shrinkage).
    /// `scratch` holds room for `rows.count` doubles.
    func renewedLeafOutput(rows: UnsafeBufferPointer<Int32>, scores: UnsafePointer<Double>,
                           scratch: UnsafeMutablePointer<Double>) -> Double

    /// Raw score → model output (probability for binary, identity otherwise).
    func transform(_ raw: Double) -> Double

    /// The metric that early stopping watches.
    var defaultMetric: any EvaluationMetric { get }
}

extension Objective {
    public var renewsLeafOutputs: Bool { false }

    public func renewedLeafOutput(rows: UnsafeBufferPointer<Int32>, scores: UnsafePointer<Double>,
                                  scratch: UnsafeMutablePointer<Double>) -> Double {
        preconditionFailure("\(kind.name) objective does not renew leaf outputs")
    }
}

extension ObjectiveKind {
    /// The objective for these labels; throws when labels do not suit the loss.
    public func makeObjective(labels: [Double]) throws -> any Objective {
        for (row, label) in labels.enumerated() where !label.isFinite {
            throw GBDTError.invalidLabel(row: row, value: label, reason: "labels must be finite numbers")
        }
        switch self {
        case .regression:
            return SquaredErrorObjective(labels: labels)
        case .binary:
            return try BinaryLogisticObjective(labels: labels)
        case .quantile(let alpha):
            return try QuantileObjective(labels: labels, alpha: alpha)
        }
    }
}
