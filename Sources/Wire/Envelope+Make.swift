import Foundation

extension Envelope {
    /// An envelope for one of the protocol's own header types, whose encoding cannot fail
    /// (plain structs of strings and numbers); falls back to an empty header if it ever did.
    public static func make<H: Encodable>(_ command: Command, _ header: H, payload: Data? = nil) -> Envelope {
        (try? Envelope(command: command, header: header, payload: payload)) ?? Envelope(command: command)
    }
}
