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
/// Weights are stored input-major (row i holds the weights from input i to every output), so
/// the forward pass and the weight gradient are `axpy`s over contiguous rows and the input
/// gradient is a `dot` per input; zero inputs (one-hot codes, ReLU outputs) are skipped.
struct DenseKernels {
    let shape: DenseNetworkShape

    /// Writes every layer's output into `activations` (`shape.activationCount` values).
    func forward(_ parameters: UnsafePointer<Float>, input: UnsafePointer<Float>, activations: UnsafeMutablePointer<Float>) {
        for layer in 0..<shape.layerCount {
            let inputs = shape.widths[layer], outputs = shape.widths[layer + 1]
            let x = layer == 0 ? input : UnsafePointer(activations + shape.outputOffsets[layer - 1])
            let y = activations + shape.outputOffsets[layer]
            let weights = parameters + shape.weightOffsets[layer]
            y.update(from: parameters + shape.biasOffsets[layer], count: outputs)
            for i in 0..<inputs {
                let xi = x[i]
                if xi != 0 { VectorKernels.axpy(xi, weights + i * outputs, y, count: outputs) }
            }
            shape.activations[layer].apply(y, count: outputs)
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
            let weights = parameters + shape.weightOffsets[layer]
            shape.activations[layer].backpropagate(current, outputs: activations + shape.outputOffsets[layer], count: outputs)
            VectorKernels.add(current, into: gradients + shape.biasOffsets[layer], count: outputs)
            let weightGradients = gradients + shape.weightOffsets[layer]
            for i in 0..<inputs {
                let xi = x[i]
                if xi != 0 { VectorKernels.axpy(xi, current, weightGradients + i * outputs, count: outputs) }
            }
            let target: UnsafeMutablePointer<Float>
            if layer > 0 {
                target = current == first ? second : first
            } else if let inputGradient {
                target = inputGradient
            } else {
                break
            }
            for i in 0..<inputs { target[i] = VectorKernels.dot(weights + i * outputs, current, count: outputs) }
            current = target
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
