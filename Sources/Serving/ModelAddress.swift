import Registry

/// The model a request names: `churn` (the version the server serves under that name),
/// `churn@production`, `churn@champion`, `churn@3`, or the Open Inference Protocol's
/// `churn/versions/3`.
///
/// Exists so that the V2 and V1 endpoints and `engage serve --model` read a model name the same
/// way, through the registry's own `VersionReference`.
public struct ModelAddress: Sendable, Equatable, CustomStringConvertible {
    public let model: String
    /// Nil: whatever the server serves under `model`.
    public let selector: VersionReference.Selector?

    public init(model: String, selector: VersionReference.Selector?) {
        self.model = model
        self.selector = selector
    }

    /// Parses `MODEL`, `MODEL@REF` or `MODEL/versions/N`.
    public init(parsing text: String) throws {
        if let range = text.range(of: "/versions/") {
            let number = String(text[range.upperBound...])
            guard let version = Int(number), version >= 1 else {
                throw ServingError.badRequest("model '\(text)': a version is a number from 1, not '\(number)'")
            }
            try self.init(reference: "\(text[..<range.lowerBound])@\(version)", text: text)
        } else {
            try self.init(reference: text, text: text)
        }
    }

    private init(reference: String, text: String) throws {
        let parsed: VersionReference
        do {
            parsed = try VersionReference(parsing: reference)
        } catch {
            throw ServingError.badRequest("model '\(text)': \(error)")
        }
        model = parsed.model
        selector = reference.contains("@") ? parsed.selector : nil
    }

    /// The registry reference for this address; `served` is the reference the server serves `model` under.
    public func reference(served: VersionReference) -> VersionReference {
        selector.map { VersionReference(model: model, selector: $0) } ?? served
    }

    public var description: String {
        selector.map { VersionReference(model: model, selector: $0).description } ?? model
    }
}
