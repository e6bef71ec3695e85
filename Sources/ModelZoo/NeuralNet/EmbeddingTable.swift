import Foundation

/// A table of trainable vectors (embeddings), one row per id, trained with lazy Adam: a step
/// updates only the rows that received a gradient.
///
/// Gradients are first summed per row in an accumulator (several examples of a minibatch can
/// touch one row), then `applyAdam` updates the touched rows in parallel, each row by one
/// thread, and clears them.
final class EmbeddingTable: @unchecked Sendable {
    let rows: Int
    let width: Int
    let parameters: TrainableBuffer
    private let accumulator: UnsafeMutablePointer<Float>
    private var isTouched: [Bool]
    private(set) var touched: [Int32] = []

    init(rows: Int, width: Int, initial: [Float]) {
        precondition(initial.count == rows * width, "embedding table needs \(rows * width) values, got \(initial.count)")
        self.rows = rows
        self.width = width
        parameters = TrainableBuffer(initial)
        accumulator = .allocate(capacity: max(1, rows * width))
        accumulator.initialize(repeating: 0, count: rows * width)
        isTouched = Array(repeating: false, count: rows)
    }

    deinit { accumulator.deallocate() }

    /// Normal(0, sd) initial values, as He et al. (2017) initialise embeddings.
    static func gaussian(rows: Int, width: Int, sd: Double, _ rng: inout SplitMix64) -> [Float] {
        (0..<(rows * width)).map { _ in
            let u1 = max(rng.nextUnit(), 1e-300), u2 = rng.nextUnit()
            return Float(sd * (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
        }
    }

    @inline(__always)
    func row(_ index: Int32) -> UnsafeMutablePointer<Float> { parameters.values + Int(index) * width }

    /// Adds `scale · gradient` to row `index`'s pending gradient. Not thread-safe.
    @inline(__always)
    func accumulate(_ index: Int32, _ gradient: UnsafePointer<Float>, scale: Float = 1) {
        if !isTouched[Int(index)] {
            isTouched[Int(index)] = true
            touched.append(index)
        }
        VectorKernels.axpy(scale, gradient, accumulator + Int(index) * width, count: width)
    }

    /// The gradient summed so far for row `index` in this step.
    @inline(__always)
    func pendingGradient(_ index: Int32) -> UnsafePointer<Float> { UnsafePointer(accumulator + Int(index) * width) }

    /// One Adam step on every touched row (with L2 `decay` · θ added to its gradient), then clears them.
    func applyAdam(_ step: AdamStep, decay: Float, runner: ParallelRunner) {
        let width = self.width, accumulator = self.accumulator, parameters = self.parameters
        touched.withUnsafeBufferPointer { rows in
            runner.forEachChunk(count: rows.count, minimumPerChunk: 256) { _, range in
                for k in range {
                    let offset = Int(rows[k]) * width
                    let gradient = accumulator + offset
                    if decay > 0 { VectorKernels.axpy(decay, parameters.values + offset, gradient, count: width) }
                    step.apply(parameters, offset: offset, gradients: gradient, count: width)
                    VectorKernels.zero(gradient, count: width)
                }
            }
        }
        for index in touched { isTouched[Int(index)] = false }
        self.touched.removeAll(keepingCapacity: true)
    }
}
