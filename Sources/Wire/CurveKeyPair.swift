import CZeroMQ
import Foundation

/// A CURVE key pair in z85 text (40 characters each), the form libzmq options and
/// engage's key files use.
public struct CurveKeyPair: Sendable, Equatable {
    public let publicKey: String
    public let secretKey: String

    /// Length of a z85-encoded 32-byte CURVE key.
    public static let z85KeyLength = 40

    public init(publicKey: String, secretKey: String) throws {
        try Self.validateZ85Key(publicKey, role: "public key")
        try Self.validateZ85Key(secretKey, role: "secret key")
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A fresh random key pair (`zmq_curve_keypair`).
    public static func generate() throws -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: z85KeyLength + 1)
        var secretKey = [CChar](repeating: 0, count: z85KeyLength + 1)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else {
            throw ZMQError.last("zmq_curve_keypair")
        }
        return try CurveKeyPair(publicKey: string(publicKey), secretKey: string(secretKey))
    }

    /// The z85 public key belonging to a z85 secret key (`zmq_curve_public`).
    public static func publicKey(forSecretKey secretKey: String) throws -> String {
        try validateZ85Key(secretKey, role: "secret key")
        var publicKey = [CChar](repeating: 0, count: z85KeyLength + 1)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else {
            throw ZMQError.last("zmq_curve_public")
        }
        return string(publicKey)
    }

    /// The z85 text of a raw 32-byte key, as CURVE ZAP requests carry it.
    static func z85(ofRawKey key: Data) -> String? {
        guard key.count == 32 else { return nil }
        var text = [CChar](repeating: 0, count: z85KeyLength + 1)
        let encoded = key.withUnsafeBytes { raw in
            zmq_z85_encode(&text, raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
        }
        return encoded == nil ? nil : string(text)
    }

    /// The raw 32 bytes of a z85 key; nil when it is not 40 characters of valid z85.
    static func rawKey(ofZ85 key: String) -> Data? {
        guard key.utf8.count == z85KeyLength else { return nil }
        var decoded = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&decoded, key) != nil else { return nil }
        return Data(decoded)
    }

    static func validateZ85Key(_ key: String, role: String) throws {
        guard rawKey(ofZ85: key) != nil else { throw CurveKeyError(role: role, key: key) }
    }

    private static func string(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A CURVE key that is not 40 characters of valid z85, caught before libzmq sees it.
public struct CurveKeyError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public let role: String
    public let length: Int

    init(role: String, key: String) {
        self.role = role
        length = key.utf8.count
    }

    public var description: String {
        "invalid CURVE \(role): expected \(CurveKeyPair.z85KeyLength) characters of z85 text, got \(length) characters"
            + (length == CurveKeyPair.z85KeyLength ? " that are not valid z85" : "")
    }

    public var errorDescription: String? { description }
}
