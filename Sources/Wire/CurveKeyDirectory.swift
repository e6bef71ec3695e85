import Foundation

/// The key folder of a CURVE ("Ironhouse") cluster, as `engage keys generate` writes it:
///
/// ```
/// keys/coordinator.key            the coordinator's public key: every worker needs it
/// keys/coordinator.key_secret     the coordinator's key pair (0600): stays on its host
/// keys/workers/NAME.key_secret    a worker's key pair (0600): copy it to that worker's host only
/// keys/allowed/NAME.key           the allow-list: public keys the coordinator admits
/// ```
///
/// Exists so that the coordinator, the workers and the key command agree on one layout, and an
/// operator revokes a worker by deleting its file from `allowed/`.
public struct CurveKeyDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var coordinatorBase: String { (path as NSString).appendingPathComponent("coordinator") }
    public var allowedDirectory: String { (path as NSString).appendingPathComponent("allowed") }
    public var workersDirectory: String { (path as NSString).appendingPathComponent("workers") }

    public func workerBase(_ name: String) -> String { (workersDirectory as NSString).appendingPathComponent(name) }

    /// The coordinator's key pair (its secret file).
    public func coordinator() throws -> CurveCertificate { try CurveCertificate.read(path: coordinatorBase + ".key_secret") }

    /// The coordinator's public key alone, as a worker reads it.
    public func coordinatorPublicKey() throws -> String { try CurveCertificate.read(path: coordinatorBase + ".key").publicKey }

    /// A worker's key pair.
    public func worker(_ name: String) throws -> CurveCertificate { try CurveCertificate.read(path: workerBase(name) + ".key_secret") }

    /// The public keys in `allowed/`, by file; a file that is not a valid public key is an error naming it.
    public func allowedKeys() throws -> [String: CurveCertificate] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: allowedDirectory)
        } catch {
            throw CurveFileError(path: allowedDirectory, reason: "cannot be listed (\(error.localizedDescription)); `engage keys generate` creates it")
        }
        var keys: [String: CurveCertificate] = [:]
        for file in files.sorted() where file.hasSuffix(".key") {
            keys[file] = try CurveCertificate.read(path: (allowedDirectory as NSString).appendingPathComponent(file))
        }
        return keys
    }

    /// A name usable as a file name and in logs.
    public static func validate(name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        guard !name.isEmpty, name.count <= 64, name.allSatisfy(allowed.contains), !name.hasPrefix(".") else {
            throw CurveFileError(path: name, reason: "is not a key name: use 1-64 letters, digits, '-', '_' or '.'")
        }
    }

    /// Writes the coordinator's key pair unless it exists, and one key pair per new worker name,
    /// each also admitted in `allowed/`. An existing key is never overwritten.
    /// Returns the names of the keys written.
    @discardableResult
    public func generate(workers names: [String]) throws -> [String] {
        for name in names { try Self.validate(name: name) }
        for directory in [path, workersDirectory, allowedDirectory] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        var written: [String] = []
        if !FileManager.default.fileExists(atPath: coordinatorBase + ".key_secret") {
            try CurveCertificate(name: "coordinator", keys: try CurveKeyPair.generate()).write(base: coordinatorBase)
            written.append("coordinator")
        }
        for name in names {
            guard !FileManager.default.fileExists(atPath: workerBase(name) + ".key_secret") else {
                throw CurveFileError(path: workerBase(name) + ".key_secret", reason: "exists already; a key is never overwritten (delete it first to replace it)")
            }
            let certificate = CurveCertificate(name: name, keys: try CurveKeyPair.generate())
            try certificate.write(base: workerBase(name))
            try CurveCertificate(name: name, publicKey: certificate.publicKey, secretKey: nil)
                .write(base: (allowedDirectory as NSString).appendingPathComponent(name))
            written.append(name)
        }
        return written
    }
}
