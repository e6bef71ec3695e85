import Foundation

/// A named CURVE key on disk, in the text layout czmq's `zcert` uses (ZPL): the public half in
/// `NAME.key`, the public and secret halves in `NAME.key_secret`, readable by its owner only.
///
/// Exists so that keys move between hosts as plain files an operator can read, copy and audit,
/// and so that a secret file another user can read is refused rather than trusted.
public struct CurveCertificate: Sendable, Equatable {
    public let name: String
    public let publicKey: String
    /// nil when only the public file was read.
    public let secretKey: String?

    public init(name: String, keys: CurveKeyPair) {
        self.name = name
        publicKey = keys.publicKey
        secretKey = keys.secretKey
    }

    init(name: String, publicKey: String, secretKey: String?) {
        self.name = name
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The key pair, when the secret half is known.
    public func keyPair() throws -> CurveKeyPair {
        guard let secretKey else { throw CurveFileError(path: name, reason: "holds no secret key") }
        return try CurveKeyPair(publicKey: publicKey, secretKey: secretKey)
    }

    /// A short, stable name for the public key in logs: its first 12 z85 characters.
    public var fingerprint: String { Self.fingerprint(of: publicKey) }

    public static func fingerprint(of publicKey: String) -> String { String(publicKey.prefix(12)) }

    /// Writes `BASE.key` (mode 0644) and, with a secret, `BASE.key_secret` (mode 0600, created that way).
    public func write(base: String) throws {
        try Self.write(text(includingSecret: false), to: base + ".key", mode: 0o644)
        if secretKey != nil { try Self.write(text(includingSecret: true), to: base + ".key_secret", mode: 0o600) }
    }

    /// Reads a public `.key` file or a `.key_secret` file; a secret file that group or others can read is refused.
    public static func read(path: String) throws -> CurveCertificate {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CurveFileError(path: path, reason: "cannot be read (\(error.localizedDescription))")
        }
        var name = (path as NSString).lastPathComponent
        var publicKey: String?, secretKey: String?
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            var value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            switch key {
            case "name": name = value
            case "public-key": publicKey = value
            case "secret-key": secretKey = value
            default: throw CurveFileError(path: path, reason: "line \(number + 1): unknown field '\(key)'")
            }
        }
        guard let publicKey else { throw CurveFileError(path: path, reason: "has no public-key line") }
        do {
            try CurveKeyPair.validateZ85Key(publicKey, role: "public key")
            if let secretKey {
                try CurveKeyPair.validateZ85Key(secretKey, role: "secret key")
                guard try CurveKeyPair.publicKey(forSecretKey: secretKey) == publicKey else {
                    throw CurveFileError(path: path, reason: "its public key does not belong to its secret key")
                }
            }
        } catch let error as CurveKeyError {
            throw CurveFileError(path: path, reason: error.description)
        }
        if secretKey != nil {
            let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? 0
            guard mode & 0o077 == 0 else {
                throw CurveFileError(path: path, reason: String(format: "holds a secret key but has mode %o; run chmod 600 on it", mode))
            }
        }
        return CurveCertificate(name: name, publicKey: publicKey, secretKey: secretKey)
    }

    private func text(includingSecret: Bool) -> String {
        var lines = [
            "#   engage CURVE certificate for \(name)" + (includingSecret ? ": the secret half, never share it" : ""),
            "metadata",
            "    name = \"\(name)\"",
            "curve",
            "    public-key = \"\(publicKey)\"",
        ]
        if includingSecret, let secretKey { lines.append("    secret-key = \"\(secretKey)\"") }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func write(_ text: String, to path: String, mode: Int) throws {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode_t(mode))
        guard descriptor >= 0 else { throw CurveFileError(path: path, reason: "cannot be created: \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced, chmod(temporary, mode_t(mode)) == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CurveFileError(path: path, reason: "cannot be written: \(String(cString: strerror(errno)))")
        }
    }
}

/// A key file that cannot be used, with the path and the reason.
public struct CurveFileError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
    public var errorDescription: String? { description }
}
