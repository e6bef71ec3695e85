import Dataset
import Foundation
import ModelZoo
import XCTest
@testable import Registry

final class ModelProfileTests: XCTestCase {
    /// Two models on the same rows sharing their feature profiles write the very text the JSON
    /// encoder writes for each, with the shared features encoded once.
    func testReusedFeatureTextIsTheEncodersOwn() throws {
        var random = SeededRandom(seed: 5)
        let n = 400
        let a = (0..<n).map { _ in random.normal() }, b = (0..<n).map { _ in random.normal() }
        let y = zip(a, b).map { $0 + 0.5 * $1 > 0 ? 1.0 : 0.0 }
        let table = try Table(names: ["a", "b", "y"], columns: [.numeric(a), .numeric(b), .numeric(y)])
        var parameters = GBDTParameters()
        parameters.trees = 5
        func model(_ features: [String]) throws -> TrainedModel {
            let schema = try FeatureSchema(table: table, features: features)
            let gbdt = try GBDTTrainer(objective: .binary, parameters: parameters).train(try schema.matrix(from: table), labels: y)
            return TrainedModel(kind: .gbdt, objective: .binary, target: "y", schema: schema, predictor: .gbdt(gbdt))
        }
        let shared = FeatureProfiles(rows: n)
        let first = try ModelProfile(model: try model(["a", "b"]), rows: table, known: shared)
        let second = try ModelProfile(model: try model(["b"]), rows: table, known: shared)
        XCTAssertEqual(try first.json(reusing: shared), try first.json())
        XCTAssertEqual(shared.encoded.keys.sorted(), ["a", "b"])
        XCTAssertEqual(try second.json(reusing: shared), try second.json())
        XCTAssertEqual(try ModelProfile.decode(json: try second.json(reusing: shared)), second)
        var other = second
        other.features[0].profile = FeatureProfile(.numeric(a))
        XCTAssertEqual(try other.json(reusing: shared), try other.json(), "a profile that is not the shared one is encoded anew")
    }
}
