/// Why a scoring request was not answered, with the HTTP status class it maps to.
///
/// Exists so that the scoring library decides which failures are the caller's (a missing or
/// mistyped feature, an unknown model) and which are the server's, and the HTTP layer only
/// translates: every case carries a message that names the field or model at fault.
public enum ServingError: Error, Equatable, CustomStringConvertible {
    /// The request is malformed: a missing, extra or mistyped field (400).
    case badRequest(String)
    /// The model or version named is not served or not in the registry (404).
    case notFound(String)
    /// The request is well formed but this model cannot do it (422), e.g. explaining a
    /// model without a tree ensemble, or recommending with a churn model.
    case unsupported(String)
    /// The model could not be loaded or scored (503).
    case unavailable(String)

    public var description: String {
        switch self {
        case .badRequest(let message), .notFound(let message), .unsupported(let message), .unavailable(let message): return message
        }
    }

    /// The HTTP status code this failure answers with.
    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .notFound: return 404
        case .unsupported: return 422
        case .unavailable: return 503
        }
    }
}
