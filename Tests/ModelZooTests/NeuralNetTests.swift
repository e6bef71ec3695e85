import Foundation
import XCTest
@testable import ModelZoo

final class NeuralNetTests: XCTestCase {
    private func randomShape() throws -> (DenseNetworkShape, [Float]) {
        let shape = try DenseNetworkShape(widths: [11, 37, 9, 3], activations: [.tanh, .relu, .sigmoid])
        var rng = SplitMix64(seed: 5)
        var theta = shape.initialParameters(&rng)
        // Non-zero biases, so their gradients are exercised too.
        for layer in 0..<shape.layerCount {
            for k in shape.biasOffsets[layer]..<(shape.biasOffsets[layer] + shape.widths[layer + 1]) { theta[k] = Float(rng.nextUnit() - 0.5) * 0.2 }
        }
        return (shape, theta)
    }

    /// Loss = Σ c_k · output_k; its gradient from `backward` must match central differences.
    func testBackwardMatchesFiniteDifferences() throws {
        let (shape, theta) = try randomShape()
        let kernels = DenseKernels(shape: shape)
        let input: [Float] = (0..<11).map { Float(sin(Double($0) * 1.7)) }
        let weights: [Float] = [0.7, -1.3, 0.4]
        func loss(_ theta: [Float], _ input: [Float]) -> Double {
            var activations = [Float](repeating: 0, count: shape.activationCount)
            theta.withUnsafeBufferPointer { t in input.withUnsafeBufferPointer { x in activations.withUnsafeMutableBufferPointer { a in
                kernels.forward(t.baseAddress!, input: x.baseAddress!, activations: a.baseAddress!)
            } } }
            let out = activations.suffix(3)
            return zip(out, weights).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        var gradients = [Float](repeating: 0, count: shape.parameterCount)
        var inputGradient = [Float](repeating: 0, count: 11)
        var activations = [Float](repeating: 0, count: shape.activationCount)
        var delta = weights
        var scratch = [Float](repeating: 0, count: 2 * shape.maximumWidth)
        theta.withUnsafeBufferPointer { t in input.withUnsafeBufferPointer { x in activations.withUnsafeMutableBufferPointer { a in
            kernels.forward(t.baseAddress!, input: x.baseAddress!, activations: a.baseAddress!)
            delta.withUnsafeMutableBufferPointer { d in gradients.withUnsafeMutableBufferPointer { g in
                inputGradient.withUnsafeMutableBufferPointer { ig in scratch.withUnsafeMutableBufferPointer { s in
                    kernels.backward(t.baseAddress!, input: x.baseAddress!, activations: UnsafePointer(a.baseAddress!),
                                     outputGradient: d.baseAddress!, gradients: g.baseAddress!, inputGradient: ig.baseAddress!,
                                     scratch: s.baseAddress!)
                } }
            } }
        } } }
        let h: Float = 1e-2
        for k in stride(from: 0, to: shape.parameterCount, by: 7) {
            var plus = theta, minus = theta
            plus[k] += h
            minus[k] -= h
            let numeric = (loss(plus, input) - loss(minus, input)) / Double(2 * h)
            XCTAssertEqual(Double(gradients[k]), numeric, accuracy: 2e-3, "parameter \(k)")
        }
        for i in 0..<11 {
            var plus = input, minus = input
            plus[i] += h
            minus[i] -= h
            XCTAssertEqual(Double(inputGradient[i]), (loss(theta, plus) - loss(theta, minus)) / Double(2 * h), accuracy: 2e-3, "input \(i)")
        }
    }

    /// The blocked forward pass equals a plain matrix-vector product, for widths that are and
    /// are not multiples of the SIMD block.
    func testAffineMatchesNaiveProduct() {
        for (inputs, outputs) in [(5, 3), (7, 8), (9, 32), (4, 45), (3, 70)] {
            let x = (0..<inputs).map { Float($0) * 0.5 - 1 }
            let w = (0..<(inputs * outputs)).map { Float(($0 * 37) % 11) - 5 }
            let b = (0..<outputs).map { Float($0) }
            var y = [Float](repeating: 0, count: outputs)
            x.withUnsafeBufferPointer { x in w.withUnsafeBufferPointer { w in b.withUnsafeBufferPointer { b in
                y.withUnsafeMutableBufferPointer { y in
                    DenseKernels.affine(x.baseAddress!, inputs: inputs, weights: w.baseAddress!, bias: b.baseAddress!,
                                        outputs: outputs, into: y.baseAddress!)
                }
            } } }
            for o in 0..<outputs {
                var expected = b[o]
                for i in 0..<inputs { expected += x[i] * w[i * outputs + o] }
                XCTAssertEqual(y[o], expected, accuracy: 1e-4, "\(inputs)×\(outputs) output \(o)")
            }
        }
    }

    /// Two Adam steps against the update written out by hand (PyTorch's formula).
    func testAdamStepsMatchPyTorchFormula() {
        let buffer = TrainableBuffer([1.0, -2.0, 0.5, 3, 4, 5, 6, 7, 8])
        var settings = AdamSettings(learningRate: 0.1)
        settings.beta1 = 0.9
        settings.beta2 = 0.99
        let grads: [[Float]] = [[0.5, -1, 2, 0, 1, 1, 1, 1, -3], [0.25, 1, -2, 1, 0, 1, 1, 1, 2]]
        var expected: [Double] = [1.0, -2.0, 0.5, 3, 4, 5, 6, 7, 8]
        var m = [Double](repeating: 0, count: 9), v = [Double](repeating: 0, count: 9)
        for (t, g) in grads.enumerated() {
            g.withUnsafeBufferPointer { settings.step(t + 1).apply(buffer, offset: 0, gradients: $0.baseAddress!, count: 9) }
            for k in 0..<9 {
                m[k] = 0.9 * m[k] + 0.1 * Double(g[k])
                v[k] = 0.99 * v[k] + 0.01 * Double(g[k]) * Double(g[k])
                let mHat = m[k] / (1 - pow(0.9, Double(t + 1)))
                let vHat = v[k] / (1 - pow(0.99, Double(t + 1)))
                expected[k] -= 0.1 * mHat / (vHat.squareRoot() + 1e-8)
            }
        }
        for k in 0..<9 { XCTAssertEqual(Double(buffer.values[k]), expected[k], accuracy: 1e-5, "parameter \(k)") }
    }

    /// Gradients summed over fixed shards do not depend on the number of threads.
    func testShardedGradientsAreIndependentOfThreads() {
        func run(threads: Int) -> [Float] {
            let sharded = ShardedGradients(parameterCount: 5)
            let result = sharded.compute(batchSize: 103, runner: ParallelRunner(threads: threads)) { _, examples, gradients in
                for e in examples { for k in 0..<5 { gradients[k] += Float(e) * 0.1 + Float(k) * 1e-3 } }
                return Double(examples.count)
            }
            XCTAssertEqual(result.loss, 103)
            return Array(UnsafeBufferPointer(start: result.gradients, count: 5))
        }
        let one = run(threads: 1)
        XCTAssertEqual(one, run(threads: 3))
        XCTAssertEqual(one, run(threads: 8))
        XCTAssertEqual(Double(one[0]), (0..<103).reduce(0.0) { $0 + Double($1) * 0.1 }, accuracy: 1e-2)
    }

    func testEmbeddingTableUpdatesOnlyTouchedRows() {
        var rng = SplitMix64(seed: 1)
        let initial = EmbeddingTable.gaussian(rows: 4, width: 3, sd: 0.5, &rng)
        let table = EmbeddingTable(rows: 4, width: 3, initial: initial)
        let g: [Float] = [1, -1, 2]
        g.withUnsafeBufferPointer {
            table.accumulate(2, $0.baseAddress!)
            table.accumulate(2, $0.baseAddress!, scale: 0.5)
        }
        XCTAssertEqual(table.touched, [2])
        table.applyAdam(AdamSettings(learningRate: 0.01).step(1), decay: 0)
        let after = table.parameters.snapshot
        XCTAssertEqual(Array(after[0..<6]), Array(initial[0..<6]))
        XCTAssertEqual(Array(after[9..<12]), Array(initial[9..<12]))
        // Adam's first step moves every touched coordinate by the learning rate, against its gradient's sign.
        for d in 0..<3 { XCTAssertEqual(Double(after[6 + d] - initial[6 + d]), -0.01 * Double(g[d].sign == .minus ? -1 : 1), accuracy: 1e-6) }
        XCTAssertTrue(table.touched.isEmpty)
    }

    func testInvalidShapesAreNamed() {
        XCTAssertThrowsError(try DenseNetworkShape(widths: [3], activations: [])) { XCTAssertTrue("\($0)".contains("widths")) }
        XCTAssertThrowsError(try DenseNetworkShape(widths: [3, 0], activations: [.relu])) { XCTAssertTrue("\($0)".contains("1...65536")) }
    }
}
