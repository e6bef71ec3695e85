import Foundation

/// Why an anomaly model could not be trained, scored or decoded.
public enum AnomalyError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case invalidParameter(name: String, value: String, rule: String)
    case emptyTrainingSet
    case noFeatures
    case invalidModel(String)

    public var description: String {
        switch self {
        case .invalidParameter(let name, let value, let rule):
            return "anomaly parameter \(name) = \(value) is invalid: it \(rule)"
        case .emptyTrainingSet:
            return "cannot train an anomaly model on zero rows"
        case .noFeatures:
            return "cannot train an anomaly model without features"
        case .invalidModel(let detail):
            return "invalid anomaly model: \(detail)"
        }
    }

    public var errorDescription: String? { description }

    static func check(_ ok: Bool, _ name: String, _ value: Any, _ rule: String) throws {
        if !ok { throw AnomalyError.invalidParameter(name: name, value: "\(value)", rule: rule) }
    }
}
