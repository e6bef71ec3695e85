import Foundation

/// Logistic loss on 0/1 labels: gradient p − y, hessian p(1 − p) with p = sigmoid(score);
/// starts from the log-odds of the positive rate (clamped to [1e-15, 1 − 1e-15] as LightGBM).
public struct BinaryLogisticObjective: Objective {
    public let labels: [Double]

    public init(labels: [Double]) throws {
        for (row, label) in labels.enumerated() where label != 0 && label != 1 {
            throw GBDTError.invalidLabel(row: row, value: label, reason: "binary labels must be 0 or 1")
        }
        self.labels = labels
    }

    public var kind: ObjectiveKind { .binary }

    public func initialScore() -> Double {
        guard !labels.isEmpty else { return 0 }
        let rate = min(max(labels.reduce(0, +) / Double(labels.count), 1e-15), 1 - 1e-15)
        return log(rate / (1 - rate))
    }

    public var constantHessian: Double? { nil }

    public func computeGradients(scores: UnsafePointer<Double>, gradients: UnsafeMutablePointer<Double>,
                                 hessians: UnsafeMutablePointer<Double>, range: Range<Int>) {
        labels.withUnsafeBufferPointer { y in
            for i in range {
                let p = Self.sigmoid(scores[i])
                gradients[i] = p - y[i]
                hessians[i] = p * (1 - p)
            }
        }
    }

    public func transform(_ raw: Double) -> Double { Self.sigmoid(raw) }

    public var defaultMetric: any EvaluationMetric { LogLossMetric() }

    @inline(__always)
    public static func sigmoid(_ x: Double) -> Double {
        1 / (1 + exp(-x))
    }
}
