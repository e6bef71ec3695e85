import Foundation

/// The architecture of a feed-forward network: layer widths and activations, and where each
/// layer's weights and biases sit in one flat parameter vector.
///
/// One flat vector makes the optimiser, the gradient reduction across threads and the artifact
/// a single loop each, whatever the depth of the network.
public struct DenseNetworkShape: Sendable, Equatable {
    /// Input width first, then each layer's output width.
    public let widths: [Int]
    /// One per layer.
    public let activations: [Activation]
    public let parameterCount: Int
    /// Layer outputs of one example, concatenated: the forward pass's workspace size.
    let activationCount: Int
    let weightOffsets: [Int]
    let biasOffsets: [Int]
    let outputOffsets: [Int]

    public init(widths: [Int], activations: [Activation]) throws {
        guard widths.count >= 2, activations.count == widths.count - 1 else {
            throw NeuralNetError.invalidShape("\(widths.count) widths need \(max(0, widths.count - 1)) activations, got \(activations.count)")
        }
        guard widths.allSatisfy({ $0 >= 1 && $0 <= 1 << 16 }) else {
            throw NeuralNetError.invalidShape("layer widths must be in 1...65536, got \(widths)")
        }
        var offset = 0, outputs = 0
        var weightOffsets = [Int](), biasOffsets = [Int](), outputOffsets = [Int]()
        for layer in 0..<activations.count {
            weightOffsets.append(offset)
            offset += widths[layer] * widths[layer + 1]
            biasOffsets.append(offset)
            offset += widths[layer + 1]
            outputOffsets.append(outputs)
            outputs += widths[layer + 1]
        }
        guard offset <= 1 << 28 else { throw NeuralNetError.invalidShape("\(offset) parameters is more than 2^28") }
        self.widths = widths
        self.activations = activations
        self.parameterCount = offset
        self.activationCount = outputs
        self.weightOffsets = weightOffsets
        self.biasOffsets = biasOffsets
        self.outputOffsets = outputOffsets
    }

    public var layerCount: Int { activations.count }
    public var inputWidth: Int { widths[0] }
    public var outputWidth: Int { widths[widths.count - 1] }
    var maximumWidth: Int { widths.max() ?? 0 }

    /// Initial parameters: weights uniform in ±√(6/(fan_in + fan_out)) (Glorot), or ±√(6/fan_in)
    /// (He) before a ReLU; biases zero.
    func initialParameters(_ rng: inout SplitMix64) -> [Float] {
        var parameters = [Float](repeating: 0, count: parameterCount)
        for layer in 0..<layerCount {
            let fanIn = Double(widths[layer]), fanOut = Double(widths[layer + 1])
            let limit = activations[layer] == .relu ? (6 / fanIn).squareRoot() : (6 / (fanIn + fanOut)).squareRoot()
            for k in weightOffsets[layer]..<biasOffsets[layer] {
                parameters[k] = Float((2 * rng.nextUnit() - 1) * limit)
            }
        }
        return parameters
    }
}

/// The forward and backward pass of a `DenseNetworkShape` over raw buffers, one example at a time.
///
/// Weights are stored input-major (row i holds the weights from input i to every output). The
/// forward pass keeps blocks of 32 outputs in SIMD registers while it runs over the inputs, so
/// each weight is loaded once and each output stored once; the backward pass reads each weight
/// row once for both the weight gradient and the input gradient.
struct DenseKernels {
    let shape: DenseNetworkShape

    /// Writes every layer's output into `activations` (`shape.activationCount` values).
    func forward(_ parameters: UnsafePointer<Float>, input: UnsafePointer<Float>, activations: UnsafeMutablePointer<Float>) {
        for layer in 0..<shape.layerCount {
            let x = layer == 0 ? input : UnsafePointer(activations + shape.outputOffsets[layer - 1])
            let y = activations + shape.outputOffsets[layer]
            Self.affine(x, inputs: shape.widths[layer], weights: parameters + shape.weightOffsets[layer],
                        bias: parameters + shape.biasOffsets[layer], outputs: shape.widths[layer + 1], into: y)
            shape.activations[layer].apply(y, count: shape.widths[layer + 1])
        }
    }

    /// y = b + Wᵀx for input-major W.
    @inline(__always)
    static func affine(_ x: UnsafePointer<Float>, inputs: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                       outputs: Int, into y: UnsafeMutablePointer<Float>) {
        let w = UnsafeRawPointer(weights), b = UnsafeRawPointer(bias), out = UnsafeMutableRawPointer(y)
        let stride = outputs * MemoryLayout<Float>.stride
        var o = 0
        while o + 32 <= outputs {
            let offset = o * MemoryLayout<Float>.stride
            var a0 = b.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            var a1 = b.loadUnaligned(fromByteOffset: offset + 32, as: SIMD8<Float>.self)
            var a2 = b.loadUnaligned(fromByteOffset: offset + 64, as: SIMD8<Float>.self)
            var a3 = b.loadUnaligned(fromByteOffset: offset + 96, as: SIMD8<Float>.self)
            var row = w + offset
            for i in 0..<inputs {
                let xi = SIMD8<Float>(repeating: x[i])
                a0 += xi * row.loadUnaligned(as: SIMD8<Float>.self)
                a1 += xi * row.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                a2 += xi * row.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
                a3 += xi * row.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
                row += stride
            }
            out.storeBytes(of: a0, toByteOffset: offset, as: SIMD8<Float>.self)
            out.storeBytes(of: a1, toByteOffset: offset + 32, as: SIMD8<Float>.self)
            out.storeBytes(of: a2, toByteOffset: offset + 64, as: SIMD8<Float>.self)
            out.storeBytes(of: a3, toByteOffset: offset + 96, as: SIMD8<Float>.self)
            o += 32
        }
        while o + 8 <= outputs {
            let offset = o * MemoryLayout<Float>.stride
            var a0 = b.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            var row = w + offset
            for i in 0..<inputs {
                a0 += SIMD8<Float>(repeating: x[i]) * row.loadUnaligned(as: SIMD8<Float>.self)
                row += stride
            }
            out.storeBytes(of: a0, toByteOffset: offset, as: SIMD8<Float>.self)
            o += 8
        }
        while o < outputs {
            var sum = bias[o]
            for i in 0..<inputs { sum += x[i] * weights[i * outputs + o] }
            y[o] = sum
            o += 1
        }
    }

    /// Adds dL/dθ to `gradients`, given dL/d(output) in `outputGradient` (overwritten). Writes
    /// dL/d(input) to `inputGradient` when it is not nil. `scratch` holds 2 × `shape.maximumWidth` values.
    func backward(_ parameters: UnsafePointer<Float>, input: UnsafePointer<Float>, activations: UnsafePointer<Float>,
                  outputGradient: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>) {
        let first = scratch, second = scratch + shape.maximumWidth
        var current = outputGradient
        for layer in stride(from: shape.layerCount - 1, through: 0, by: -1) {
            let inputs = shape.widths[layer], outputs = shape.widths[layer + 1]
            let x = layer == 0 ? input : activations + shape.outputOffsets[layer - 1]
            shape.activations[layer].backpropagate(current, outputs: activations + shape.outputOffsets[layer], count: outputs)
            VectorKernels.add(current, into: gradients + shape.biasOffsets[layer], count: outputs)
            let target: UnsafeMutablePointer<Float>? = layer > 0 ? (current == first ? second : first) : inputGradient
            Self.backwardAffine(x, inputs: inputs, weights: parameters + shape.weightOffsets[layer], delta: current,
                                outputs: outputs, weightGradients: gradients + shape.weightOffsets[layer], inputGradient: target)
            guard let target else { break }
            current = target
        }
    }

    /// dW += x δᵀ and, when wanted, dx = W δ, reading each weight row once.
    @inline(__always)
    static func backwardAffine(_ x: UnsafePointer<Float>, inputs: Int, weights: UnsafePointer<Float>, delta: UnsafePointer<Float>,
                               outputs: Int, weightGradients: UnsafeMutablePointer<Float>,
                               inputGradient: UnsafeMutablePointer<Float>?) {
        for i in 0..<inputs {
            let w = weights + i * outputs, g = weightGradients + i * outputs
            VectorKernels.axpy(x[i], delta, g, count: outputs)
            if let inputGradient { inputGradient[i] = VectorKernels.dot(w, delta, count: outputs) }
        }
    }
}

/// Why a network could not be built or decoded.
public enum NeuralNetError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case invalidShape(String)

    public var description: String {
        switch self {
        case .invalidShape(let detail): return "invalid network shape: \(detail)"
        }
    }

    public var errorDescription: String? { description }
}

extension DenseNetworkShape {
    func write(to w: inout ArtifactWriter) {
        w.write(UInt32(widths.count))
        w.write(contentsOf: widths.map(UInt32.init))
        w.write(contentsOf: activations.map(\.rawValue))
    }

    static func read(from r: inout ArtifactReader) throws -> DenseNetworkShape {
        let count = try r.readCount("layer count", minimumBytesEach: 5, limit: 64)
        guard count >= 2 else { throw ModelArtifactError.corrupt("a network needs at least 2 widths, found \(count)") }
        let widths = try r.readArray(UInt32.self, count: count, "layer widths").map(Int.init)
        let activations = try r.readArray(UInt8.self, count: count - 1, "activations").map { raw -> Activation in
            guard let activation = Activation(rawValue: raw) else { throw ModelArtifactError.corrupt("unknown activation \(raw)") }
            return activation
        }
        return try DenseNetworkShape(widths: widths, activations: activations)
    }
}
