import Foundation

/// One engage protocol message as it travels between a DEALER and a ROUTER:
/// `["ENG1"] [command] [JSON header] [optional binary payload]`.
///
/// ``parse(_:)`` is the single gate every received message passes: it checks the frame
/// layout, tag, command, header shape and payload rule, so later code never sees garbage.
public struct Envelope: Sendable, Equatable {
    public static let protocolTag = "ENG1"
    private static let protocolTagData = Data(protocolTag.utf8)

    public var command: Command
    /// The header as UTF-8 JSON object bytes.
    public var header: Data
    public var payload: Data?

    public init(command: Command, header: Data = Data("{}".utf8), payload: Data? = nil) {
        self.command = command
        self.header = header
        self.payload = payload
    }

    /// Encodes `header` as JSON (keys sorted, `Data` fields as base64).
    /// Throws ``ProtocolError/headerTooLarge(_:)`` when it exceeds ``ProtocolLimits/maxHeaderBytes``.
    public init<H: Encodable>(command: Command, header: H, payload: Data? = nil) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = try encoder.encode(header)
        guard bytes.count <= ProtocolLimits.maxHeaderBytes else {
            throw ProtocolError.headerTooLarge(bytes.count)
        }
        self.init(command: command, header: bytes, payload: payload)
    }

    public func frames() -> [Data] {
        var frames = [Self.protocolTagData, Data(command.rawValue.utf8), header]
        if let payload { frames.append(payload) }
        return frames
    }

    /// Validates and splits the frames of one message (without a ROUTER identity frame).
    public static func parse(_ frames: [Data]) throws -> Envelope {
        guard frames.count == 3 || frames.count == 4 else {
            throw ProtocolError.badFrameCount(frames.count)
        }
        guard frames[0] == protocolTagData else {
            throw ProtocolError.wrongProtocol(printable(frames[0]))
        }
        guard let name = String(data: frames[1], encoding: .utf8), let command = Command(rawValue: name) else {
            throw ProtocolError.unknownCommand(printable(frames[1]))
        }
        let payload = frames.count == 4 ? frames[3] : nil
        if payload != nil && !command.carriesPayload { throw ProtocolError.unexpectedPayload(command) }
        if payload == nil && command.carriesPayload { throw ProtocolError.missingPayload(command) }
        let header = frames[2]
        guard header.count <= ProtocolLimits.maxHeaderBytes else {
            throw ProtocolError.headerTooLarge(header.count)
        }
        try validateJSONObject(header)
        return Envelope(command: command, header: header, payload: payload)
    }

    /// Decodes the header into its typed form (`Data` fields from base64).
    /// Throws ``ProtocolError/malformedHeader(_:)`` naming the missing or mistyped field.
    public func decodeHeader<H: Decodable>(_ type: H.Type) throws -> H {
        do {
            return try JSONDecoder().decode(H.self, from: header)
        } catch let error as DecodingError {
            throw ProtocolError.malformedHeader("\(command.rawValue) header as \(H.self): \(Self.explain(error))")
        } catch {
            throw ProtocolError.malformedHeader("\(command.rawValue) header as \(H.self): \(error)")
        }
    }

    private static func validateJSONObject(_ header: Data) throws {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: header, options: [.fragmentsAllowed])
        } catch {
            throw ProtocolError.malformedHeader("not valid JSON (\(header.count) bytes)")
        }
        guard value is [String: Any] else {
            throw ProtocolError.malformedHeader("expected a JSON object, got \(jsonKind(value))")
        }
    }

    private static func jsonKind(_ value: Any) -> String {
        switch value {
        case is [Any]: "an array"
        case is String: "a string"
        case is NSNull: "null"
        case is NSNumber: "a number or boolean"
        default: "\(type(of: value))"
        }
    }

    /// Shows at most 64 bytes of an untrusted frame, as text when it is UTF-8, else as hex.
    static func printable(_ frame: Data) -> String {
        let limit = 64
        let head = frame.prefix(limit)
        let shown = String(data: head, encoding: .utf8)
            ?? "0x" + head.map { String(format: "%02x", $0) }.joined()
        return frame.count > limit ? shown + "… (\(frame.count) bytes)" : shown
    }

    private static func explain(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.isEmpty ? "<root>" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field \"\(path(context.codingPath + [key]))\""
        case .typeMismatch(let type, let context):
            return "field \"\(path(context.codingPath))\" is not of type \(type)"
        case .valueNotFound(let type, let context):
            return "field \"\(path(context.codingPath))\" is null, expected \(type)"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// A protocol message as a ROUTER sees it: the peer's routing identity, then the envelope.
public struct RoutedEnvelope: Sendable, Equatable {
    public var peer: Data
    public var envelope: Envelope

    public init(peer: Data, envelope: Envelope) {
        self.peer = peer
        self.envelope = envelope
    }

    /// Validates a message received on a ROUTER; the first frame is the peer identity.
    public static func parse(_ frames: [Data]) throws -> RoutedEnvelope {
        guard let peer = frames.first, !peer.isEmpty else { throw ProtocolError.missingIdentity }
        return RoutedEnvelope(peer: peer, envelope: try Envelope.parse(Array(frames.dropFirst())))
    }

    /// The frames to hand a ROUTER so the envelope goes to `peer`.
    public func frames() -> [Data] {
        [peer] + envelope.frames()
    }
}

extension Envelope {
    /// Parses a received message, counting it as received, or as dropped by error kind and
    /// returning nil when invalid.
    public static func accept(_ frames: [Data], counters: MessageCounters) -> Envelope? {
        counters.accept { try parse(frames) }
    }
}

extension RoutedEnvelope {
    /// Parses a message received on a ROUTER, counting it as received, or as dropped by error
    /// kind and returning nil when invalid.
    public static func accept(_ frames: [Data], counters: MessageCounters) -> RoutedEnvelope? {
        counters.accept { try parse(frames) }
    }
}
