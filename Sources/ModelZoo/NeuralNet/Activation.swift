import Foundation

/// The nonlinearity applied after a dense layer's affine map.
public enum Activation: UInt8, Codable, Sendable, CaseIterable {
    case identity = 0
    case relu = 1
    case tanh = 2
    case sigmoid = 3

    /// Applies the function in place to `count` values.
    @inline(__always)
    func apply(_ values: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .identity:
            break
        case .relu:
            for i in 0..<count where values[i] < 0 { values[i] = 0 }
        case .tanh:
            for i in 0..<count { values[i] = Foundation.tanh(values[i]) }
        case .sigmoid:
            for i in 0..<count { values[i] = 1 / (1 + Foundation.exp(-values[i])) }
        }
    }

    /// Turns the gradient with respect to the outputs `y` into the gradient with respect to the
    /// pre-activation values, in place; each derivative is written in terms of the output.
    @inline(__always)
    func backpropagate(_ gradient: UnsafeMutablePointer<Float>, outputs y: UnsafePointer<Float>, count: Int) {
        switch self {
        case .identity:
            break
        case .relu:
            for i in 0..<count where y[i] <= 0 { gradient[i] = 0 }
        case .tanh:
            for i in 0..<count { gradient[i] *= 1 - y[i] * y[i] }
        case .sigmoid:
            for i in 0..<count { gradient[i] *= y[i] * (1 - y[i]) }
        }
    }
}
