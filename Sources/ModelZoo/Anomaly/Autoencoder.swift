import Foundation

/// A trained MLP autoencoder: rows the network reconstructs badly are unlike the training data.
///
/// Exists as the network half of the anomaly detector: where the isolation forest sees one
/// feature at a time, the autoencoder learns how features move together (sessions, minutes and
/// active days; followers and influence tier), so it notices rows that break those relations
/// even when no single value is extreme.
public struct Autoencoder: Sendable, Equatable {
    public let encoder: TabularEncoder
    public let shape: DenseNetworkShape
    public let parameters: [Float]
    /// Mean training loss (mean squared reconstruction error) after each epoch.
    public let trainingLoss: [Double]

    public init(encoder: TabularEncoder, shape: DenseNetworkShape, parameters: [Float], trainingLoss: [Double]) throws {
        guard shape.inputWidth == encoder.width, shape.outputWidth == encoder.width else {
            throw AnomalyError.invalidModel("network maps \(shape.inputWidth) inputs to \(shape.outputWidth), "
                                            + "the encoding has \(encoder.width)")
        }
        guard parameters.count == shape.parameterCount else {
            throw AnomalyError.invalidModel("\(parameters.count) parameters for a network that has \(shape.parameterCount)")
        }
        guard parameters.allSatisfy(\.isFinite) else { throw AnomalyError.invalidModel("a network parameter is not finite") }
        self.encoder = encoder
        self.shape = shape
        self.parameters = parameters
        self.trainingLoss = trainingLoss
    }

    public var featureNames: [String] { encoder.featureNames }

    /// Each row's mean squared reconstruction error over the encoded inputs: higher is more anomalous.
    /// `threads` = 0 uses all cores; the result does not depend on it.
    public func reconstructionError(_ x: FeatureMatrix, threads: Int = 0) throws -> [Double] {
        let inputs = try encoder.encode(x)
        return Self.reconstructionErrors(inputs, rows: x.rowCount, shape: shape, parameters: parameters,
                                         runner: ParallelRunner(threads: threads))
    }

    static func reconstructionErrors(_ inputs: [Float], rows: Int, shape: DenseNetworkShape, parameters: [Float],
                                     runner: ParallelRunner) -> [Double] {
        var errors = [Double](repeating: 0, count: rows)
        let width = shape.inputWidth
        let kernels = DenseKernels(shape: shape)
        let outputOffset = shape.activationCount - width
        inputs.withUnsafeBufferPointer { inputs in
            parameters.withUnsafeBufferPointer { parameters in
                errors.withUnsafeMutableBufferPointer { errors in
                    let x = inputs.baseAddress!, theta = parameters.baseAddress!, out = errors.baseAddress!
                    runner.forEachChunk(count: rows, minimumPerChunk: 512) { _, range in
                        let activations = UnsafeMutablePointer<Float>.allocate(capacity: shape.activationCount)
                        defer { activations.deallocate() }
                        for row in range {
                            let input = x + row * width
                            kernels.forward(theta, input: input, activations: activations)
                            var sum = 0.0
                            for i in 0..<width {
                                let d = Double(activations[outputOffset + i] - input[i])
                                sum += d * d
                            }
                            out[row] = sum / Double(width)
                        }
                    }
                }
            }
        }
        return errors
    }
}
