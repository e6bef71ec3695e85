import Foundation
#if canImport(_Builtin_intrinsics.intel)
import _Builtin_intrinsics.intel
#endif

/// A table of trainable vectors (embeddings), one row per id, trained with lazy Adam: a step
/// updates only the rows that received a gradient.
///
/// Gradients are first summed per row in an accumulator (several examples of a minibatch can
/// touch one row), then `applyAdam` updates the touched rows and clears them. The bookkeeping
/// lives in raw memory, so that the training loop's per-example calls run without
/// copy-on-write or exclusivity checks.
final class EmbeddingTable: @unchecked Sendable {
    // Sendable by construction: one training loop owns its tables and uses them from one thread;
    // Hogwild threads each use their own table (`sharingParameters`) over the same parameters.
    let rows: Int
    let width: Int
    let parameters: TrainableBuffer
    private let accumulator: UnsafeMutablePointer<Float>
    private let isTouched: UnsafeMutablePointer<Bool>
    private let touchedRows: UnsafeMutablePointer<Int32>
    /// touchedCount[0]: rows touched since the last step.
    private let touchedCount: UnsafeMutablePointer<Int>
    /// The columns that learn, [columnRange[0], columnRange[1]): `accumulate` and `applyAdam`
    /// leave the others alone.
    private let columnRange: UnsafeMutablePointer<Int>

    convenience init(rows: Int, width: Int, initial: [Float]) {
        precondition(initial.count == rows * width, "embedding table needs \(rows * width) values, got \(initial.count)")
        self.init(rows: rows, width: width, parameters: TrainableBuffer(initial))
    }

    /// A table over the same parameters and Adam moments, with its own pending gradients and
    /// learning columns: what a Hogwild training thread accumulates into and steps from.
    func sharingParameters() -> EmbeddingTable {
        let table = EmbeddingTable(rows: rows, width: width, parameters: parameters)
        table.learnOnly(learningColumns)
        return table
    }

    private init(rows: Int, width: Int, parameters: TrainableBuffer) {
        self.rows = rows
        self.width = width
        self.parameters = parameters
        accumulator = .allocate(capacity: max(1, rows * width))
        accumulator.initialize(repeating: 0, count: rows * width)
        isTouched = .allocate(capacity: max(1, rows))
        isTouched.initialize(repeating: false, count: max(1, rows))
        touchedRows = .allocate(capacity: max(1, rows))
        touchedRows.initialize(repeating: 0, count: max(1, rows))
        touchedCount = .allocate(capacity: 1)
        touchedCount.initialize(to: 0)
        columnRange = .allocate(capacity: 2)
        columnRange[0] = 0
        columnRange[1] = width
    }

    deinit {
        accumulator.deallocate()
        isTouched.deallocate()
        touchedRows.deallocate()
        touchedCount.deallocate()
        columnRange.deallocate()
    }

    /// Restricts learning to `columns` (all columns by default): a model phase that trains only
    /// part of each row then reads and writes only that part. Rows must not be pending.
    func learnOnly(_ columns: Range<Int>) {
        precondition(columns.lowerBound >= 0 && columns.upperBound <= width && touchedCount.pointee == 0,
                     "columns \(columns) of a table of width \(width), with no pending gradient")
        columnRange[0] = columns.lowerBound
        columnRange[1] = columns.upperBound
    }

    /// The columns that learn.
    var learningColumns: Range<Int> { columnRange[0]..<columnRange[1] }

    /// Normal(0, sd) initial values, as He et al. (2017) initialise embeddings.
    static func gaussian(rows: Int, width: Int, sd: Double, _ rng: inout SplitMix64) -> [Float] {
        (0..<(rows * width)).map { _ in
            let u1 = max(rng.nextUnit(), 1e-300), u2 = rng.nextUnit()
            return Float(sd * (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
        }
    }

    @inline(__always)
    func row(_ index: Int32) -> UnsafeMutablePointer<Float> { parameters.values + Int(index) * width }

    /// The rows touched since the last step, in the order they were first touched (valid until the next step).
    var touchedBuffer: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(start: touchedRows, count: touchedCount.pointee) }

    /// `touchedBuffer` as an array.
    var touched: [Int32] { Array(touchedBuffer) }

    /// Adds `scale · gradient` (a whole row) to row `index`'s pending gradient, in the learning
    /// columns. Not thread-safe.
    @inline(__always)
    func accumulate(_ index: Int32, _ gradient: UnsafePointer<Float>, scale: Float = 1) {
        let target = markTouched(index)
        let first = columnRange[0]
        VectorKernels.axpy(scale, gradient + first, target + first, count: columnRange[1] - first)
    }

    /// Row `index`'s pending gradient, for a caller that adds to it directly; marks the row touched.
    @inline(__always)
    func markTouched(_ index: Int32) -> UnsafeMutablePointer<Float> {
        let i = Int(index)
        if !isTouched[i] {
            isTouched[i] = true
            touchedRows[touchedCount.pointee] = index
            touchedCount.pointee += 1
        }
        return accumulator + i * width
    }

    /// Reads the learning columns' first and last value of row `index` in the parameters, their
    /// Adam moments and the pending gradient, and returns their sum. A training loop calls it
    /// for a whole minibatch's rows before it uses them, so that the memory system fetches the
    /// rows side by side instead of one by one when each is needed.
    @inline(__always)
    func warm(_ index: Int32) -> Float {
        let first = Int(index) * width + columnRange[0], last = Int(index) * width + columnRange[1] - 1
        return parameters.values[first] + parameters.values[last] + parameters.firstMoment[first] + parameters.firstMoment[last]
            + parameters.secondMoment[first] + parameters.secondMoment[last] + accumulator[first] + accumulator[last]
    }

    /// The gradient summed so far for row `index` in this step.
    @inline(__always)
    func pendingGradient(_ index: Int32) -> UnsafePointer<Float> { UnsafePointer(accumulator + Int(index) * width) }

    /// One Adam step on the learning columns of every touched row (with L2 `decay` · θ added to
    /// their gradient), then clears them.
    func applyAdam(_ step: AdamStep, decay: Float) {
        let width = self.width, accumulator = self.accumulator, parameters = self.parameters
        let first = columnRange[0], count = columnRange[1] - columnRange[0]
        let rows = touchedBuffer
        let update = RowAdam(step, decay: decay)
        for k in 0..<rows.count {
            let offset = Int(rows[k]) * width + first
            update.apply(parameters, offset: offset, gradients: accumulator + offset, count: count)
        }
        for index in rows { isTouched[Int(index)] = false }
        touchedCount.pointee = 0
    }
}

/// `AdamStep` for one embedding row at a time: adds the L2 term, updates, and clears the
/// gradient in one pass over 4-wide vectors (an SSE register each, so the constants stay in
/// registers). Rows are short (tens of values), so this is the inner loop of every step.
struct RowAdam {
    private let beta1: SIMD4<Float>
    private let beta2: SIMD4<Float>
    private let oneMinusBeta1: SIMD4<Float>
    private let oneMinusBeta2: SIMD4<Float>
    private let stepSize: SIMD4<Float>
    private let inverseCorrection: SIMD4<Float>
    private let epsilon: SIMD4<Float>
    private let decay: SIMD4<Float>
    private let step: AdamStep
    private let scalarDecay: Float

    init(_ step: AdamStep, decay: Float) {
        self.step = step
        scalarDecay = decay
        beta1 = SIMD4(repeating: step.beta1)
        beta2 = SIMD4(repeating: step.beta2)
        oneMinusBeta1 = SIMD4(repeating: 1 - step.beta1)
        oneMinusBeta2 = SIMD4(repeating: 1 - step.beta2)
        stepSize = SIMD4(repeating: step.stepSize)
        inverseCorrection = SIMD4(repeating: 1 / step.secondCorrection)
        epsilon = SIMD4(repeating: step.epsilon)
        self.decay = SIMD4(repeating: decay)
    }

    /// One `sqrtps` where the compiler offers it: `SIMD4.squareRoot()` is four scalar square
    /// roots, each with a branch to libm for negative input. Both round correctly, so the
    /// results are the same.
    @inline(__always)
    private static func squareRoot(_ x: SIMD4<Float>) -> SIMD4<Float> {
        #if canImport(_Builtin_intrinsics.intel)
        _mm_sqrt_ps(x)
        #else
        x.squareRoot()
        #endif
    }

    /// θ, m and v of `count` values from `offset` take one Adam step on `gradients` (+ decay · θ),
    /// which are then zeroed.
    @inline(__always)
    func apply(_ buffer: TrainableBuffer, offset: Int, gradients: UnsafeMutablePointer<Float>, count: Int) {
        let theta = UnsafeMutableRawPointer(buffer.values + offset), m = UnsafeMutableRawPointer(buffer.firstMoment + offset)
        let v = UnsafeMutableRawPointer(buffer.secondMoment + offset), g = UnsafeMutableRawPointer(gradients)
        let stride = MemoryLayout<SIMD4<Float>>.stride
        var i = 0, at = 0
        while i + 4 <= count {
            let t = theta.loadUnaligned(fromByteOffset: at, as: SIMD4<Float>.self)
            let gi = g.loadUnaligned(fromByteOffset: at, as: SIMD4<Float>.self) + decay * t
            let mi = beta1 * m.loadUnaligned(fromByteOffset: at, as: SIMD4<Float>.self) + oneMinusBeta1 * gi
            let vi = beta2 * v.loadUnaligned(fromByteOffset: at, as: SIMD4<Float>.self) + oneMinusBeta2 * gi * gi
            m.storeBytes(of: mi, toByteOffset: at, as: SIMD4<Float>.self)
            v.storeBytes(of: vi, toByteOffset: at, as: SIMD4<Float>.self)
            theta.storeBytes(of: t - stepSize * mi / (Self.squareRoot(vi) * inverseCorrection + epsilon), toByteOffset: at,
                             as: SIMD4<Float>.self)
            g.storeBytes(of: SIMD4<Float>(repeating: 0), toByteOffset: at, as: SIMD4<Float>.self)
            i += 4
            at += stride
        }
        if i < count {
            let rest = count - i
            if scalarDecay > 0 { VectorKernels.axpy(scalarDecay, buffer.values + offset + i, gradients + i, count: rest) }
            step.apply(buffer, offset: offset + i, gradients: gradients + i, count: rest)
            VectorKernels.zero(gradients + i, count: rest)
        }
    }
}
