import ModelZoo
import Foundation

/// What a RESULT message carries as its binary payload: the artifact, and one prediction per
/// evaluation row in the order of the job's evaluation shards (the ensemble stacks them).
///
/// Layout: "ENGP", UInt16 version, UInt64 artifact length, artifact bytes, UInt64 prediction
/// count, Float64 predictions, all little-endian.
public struct ResultPayload: Sendable, Equatable {
    public var artifact: Data
    public var predictions: [Double]

    public init(artifact: Data, predictions: [Double]) {
        self.artifact = artifact
        self.predictions = predictions
    }

    static let magic = Array("ENGP".utf8)
    static let version: UInt16 = 1

    public func encode() -> Data {
        var writer = ArtifactWriter(reservingCapacity: artifact.count + predictions.count * 8 + 32)
        writer.writeBytes(ResultPayload.magic)
        writer.write(ResultPayload.version)
        writer.write(UInt64(artifact.count))
        writer.writeBytes([UInt8](artifact))
        writer.write(UInt64(predictions.count))
        writer.write(contentsOf: predictions)
        return Data(writer.bytes)
    }

    public static func decode(_ data: Data) throws -> ResultPayload {
        var reader = ArtifactReader(bytes: [UInt8](data), offset: 0)
        guard try reader.readBytes(4, "result payload magic") == magic else { throw JobError("result payload has a bad magic") }
        let version = try reader.read(UInt16.self, "result payload version")
        guard version == ResultPayload.version else { throw JobError("result payload version \(version) is not supported") }
        let artifactLength = try reader.read(UInt64.self, "artifact length")
        guard artifactLength <= UInt64(reader.remaining) else { throw ModelArtifactError.truncated("artifact") }
        let artifact = Data(try reader.readBytes(Int(artifactLength), "artifact"))
        let count = try reader.read(UInt64.self, "prediction count")
        guard count <= UInt64(reader.remaining / 8) else { throw ModelArtifactError.truncated("predictions") }
        let predictions = try reader.readDoubles(count: Int(count), "predictions")
        try reader.finish("the predictions")
        return ResultPayload(artifact: artifact, predictions: predictions)
    }
}
