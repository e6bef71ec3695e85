import Foundation

/// Trainable parameters with their Adam moments, in memory that training threads share.
///
/// A reference type over raw allocations so that threads can update disjoint ranges (rows of an
/// embedding, shards of a dense layer) without copy-on-write or exclusivity checks; the training
/// loops that own one guarantee that concurrent writers never touch the same index.
final class TrainableBuffer: @unchecked Sendable {
    let count: Int
    let values: UnsafeMutablePointer<Float>
    let firstMoment: UnsafeMutablePointer<Float>
    let secondMoment: UnsafeMutablePointer<Float>

    init(_ initial: [Float]) {
        count = initial.count
        values = .allocate(capacity: max(count, 1))
        firstMoment = .allocate(capacity: max(count, 1))
        secondMoment = .allocate(capacity: max(count, 1))
        initial.withUnsafeBufferPointer { values.initialize(from: $0.baseAddress!, count: count) }
        firstMoment.initialize(repeating: 0, count: count)
        secondMoment.initialize(repeating: 0, count: count)
    }

    deinit {
        values.deallocate()
        firstMoment.deallocate()
        secondMoment.deallocate()
    }

    /// A copy of the current values.
    var snapshot: [Float] { Array(UnsafeBufferPointer(start: values, count: count)) }
}

/// Adam's hyper-parameters (Kingma & Ba 2015), with PyTorch's defaults.
public struct AdamSettings: Codable, Sendable, Equatable {
    public var learningRate: Float = 0.001
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8

    public init(learningRate: Float = 0.001) {
        self.learningRate = learningRate
    }

    /// The update of step `t` (1-based), with its bias corrections.
    func step(_ t: Int) -> AdamStep {
        AdamStep(settings: self, t: t)
    }

    func validate(prefix: String) -> String? {
        if !(learningRate > 0 && learningRate.isFinite) { return "\(prefix)learningRate must be a positive number, got \(learningRate)" }
        if !(beta1 >= 0 && beta1 < 1) { return "\(prefix)beta1 must be in [0, 1), got \(beta1)" }
        if !(beta2 >= 0 && beta2 < 1) { return "\(prefix)beta2 must be in [0, 1), got \(beta2)" }
        if !(epsilon > 0 && epsilon.isFinite) { return "\(prefix)epsilon must be a positive number, got \(epsilon)" }
        return nil
    }
}

/// One Adam step as PyTorch's `torch.optim.Adam` computes it:
/// m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², θ ← θ − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε).
/// Embedding rows that a step did not touch are skipped ("lazy" Adam), with the global step's
/// bias corrections.
struct AdamStep {
    let beta1: Float
    let beta2: Float
    var stepSize: Float
    let secondCorrection: Float
    let epsilon: Float

    init(settings: AdamSettings, t: Int) {
        beta1 = settings.beta1
        beta2 = settings.beta2
        epsilon = settings.epsilon
        stepSize = settings.learningRate / (1 - Float(Foundation.pow(Double(settings.beta1), Double(t))))
        secondCorrection = Float((1 - Foundation.pow(Double(settings.beta2), Double(t))).squareRoot())
    }

    /// Updates `count` parameters from `offset` with the gradients `gradients[0..<count]`.
    @inline(__always)
    func apply(_ buffer: TrainableBuffer, offset: Int, gradients: UnsafePointer<Float>, count: Int) {
        let theta = buffer.values + offset, m = buffer.firstMoment + offset, v = buffer.secondMoment + offset
        let inverseCorrection = 1 / secondCorrection
        var i = 0
        let b1 = SIMD8<Float>(repeating: beta1), b2 = SIMD8<Float>(repeating: beta2)
        let c1 = SIMD8<Float>(repeating: 1 - beta1), c2 = SIMD8<Float>(repeating: 1 - beta2)
        let size = SIMD8<Float>(repeating: stepSize), correction = SIMD8<Float>(repeating: inverseCorrection)
        let eps = SIMD8<Float>(repeating: epsilon)
        let rawTheta = UnsafeMutableRawPointer(theta), rawM = UnsafeMutableRawPointer(m), rawV = UnsafeMutableRawPointer(v)
        let rawG = UnsafeRawPointer(gradients)
        while i + 8 <= count {
            let at = i * MemoryLayout<Float>.stride
            let g = rawG.loadUnaligned(fromByteOffset: at, as: SIMD8<Float>.self)
            let mi = b1 * rawM.loadUnaligned(fromByteOffset: at, as: SIMD8<Float>.self) + c1 * g
            let vi = b2 * rawV.loadUnaligned(fromByteOffset: at, as: SIMD8<Float>.self) + c2 * g * g
            rawM.storeBytes(of: mi, toByteOffset: at, as: SIMD8<Float>.self)
            rawV.storeBytes(of: vi, toByteOffset: at, as: SIMD8<Float>.self)
            let t = rawTheta.loadUnaligned(fromByteOffset: at, as: SIMD8<Float>.self)
            rawTheta.storeBytes(of: t - size * mi / (vi.squareRoot() * correction + eps), toByteOffset: at, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            let g = gradients[i]
            let mi = beta1 * m[i] + (1 - beta1) * g
            let vi = beta2 * v[i] + (1 - beta2) * g * g
            m[i] = mi
            v[i] = vi
            theta[i] -= stepSize * mi / (vi.squareRoot() * inverseCorrection + epsilon)
            i += 1
        }
    }
}
