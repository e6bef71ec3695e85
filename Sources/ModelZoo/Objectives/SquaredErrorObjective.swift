/// Squared error ½(score − y)²: gradient score − y, hessian 1; starts from the label mean.
public struct SquaredErrorObjective: Objective {
    public let labels: [Double]

    public init(labels: [Double]) {
        self.labels = labels
    }

    public var kind: ObjectiveKind { .regression }

    public func initialScore() -> Double {
        labels.isEmpty ? 0 : labels.reduce(0, +) / Double(labels.count)
    }

    public var constantHessian: Double? { 1 }

    public func computeGradients(scores: UnsafePointer<Double>, gradients: UnsafeMutablePointer<Double>,
                                 hessians: UnsafeMutablePointer<Double>, range: Range<Int>) {
        labels.withUnsafeBufferPointer { y in
            for i in range {
                gradients[i] = scores[i] - y[i]
                hessians[i] = 1
            }
        }
    }

    public func transform(_ raw: Double) -> Double { raw }

    public var defaultMetric: any EvaluationMetric { RMSEMetric() }
}
