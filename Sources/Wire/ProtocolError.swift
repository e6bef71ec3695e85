import Foundation

/// Why a multipart message is not a valid engage protocol message. Receivers count these
/// (see ``MessageCounters``) and drop the message; they never crash on one.
public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case badFrameCount(Int)
    case wrongProtocol(String)
    case unknownCommand(String)
    case malformedHeader(String)
    case headerTooLarge(Int)
    case unexpectedPayload(Command)
    case missingPayload(Command)
    case missingIdentity

    /// A stable name for the kind of error, used as the key of drop counters.
    public var kind: String {
        switch self {
        case .badFrameCount: "badFrameCount"
        case .wrongProtocol: "wrongProtocol"
        case .unknownCommand: "unknownCommand"
        case .malformedHeader: "malformedHeader"
        case .headerTooLarge: "headerTooLarge"
        case .unexpectedPayload: "unexpectedPayload"
        case .missingPayload: "missingPayload"
        case .missingIdentity: "missingIdentity"
        }
    }

    public var description: String {
        switch self {
        case .badFrameCount(let count):
            "expected 3 or 4 frames (protocol, command, header, optional payload), got \(count)"
        case .wrongProtocol(let tag):
            "expected protocol tag \"\(Envelope.protocolTag)\", got \"\(tag)\""
        case .unknownCommand(let command):
            "unknown command \"\(command)\""
        case .malformedHeader(let reason):
            "malformed header: \(reason)"
        case .headerTooLarge(let size):
            "header of \(size) bytes exceeds the limit of \(ProtocolLimits.maxHeaderBytes) bytes"
        case .unexpectedPayload(let command):
            "\(command.rawValue) must not carry a payload frame"
        case .missingPayload(let command):
            "\(command.rawValue) requires a payload frame"
        case .missingIdentity:
            "message from a ROUTER socket lacks the peer identity frame"
        }
    }

    public var errorDescription: String? { description }
}
