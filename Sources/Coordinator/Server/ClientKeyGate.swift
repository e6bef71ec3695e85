import Dispatch
import Foundation
import Wire

/// The coordinator's side of CURVE ("Ironhouse"): the ZeroMQ context its ROUTER must live in,
/// the ZAP handler that admits exactly the public keys in `keys/allowed/`, and the reload of
/// that folder without a restart.
///
/// Exists so that the server loop has one thing to poll per tick. The handler is bound and
/// started in `init`, before any ROUTER of ``context`` binds: libzmq admits every CURVE client
/// while no handler is bound, and the ZAP endpoint belongs to one context.
public final class ClientKeyGate {
    public let context: ZMQContext
    /// The coordinator's secret key, for the ROUTER's `ZMQ_CURVE_SECRETKEY`.
    public let serverSecretKey: String
    public let directory: CurveKeyDirectory
    private let authenticator: ZAPAuthenticator
    private let hangup = HangupSignal()
    private var allowed: [String: String]
    private var folderModified: Date?
    private var lastCheck: ContinuousClock.Instant?

    /// The folder's modification time is looked at no more often than this.
    static let checkInterval = Duration.seconds(1)

    public init(keys: CurveKeyDirectory) throws {
        directory = keys
        serverSecretKey = try keys.coordinator().keyPair().secretKey
        folderModified = Self.modificationDate(keys.allowedDirectory)
        allowed = try Self.read(keys)
        context = try ZMQContext()
        authenticator = try ZAPAuthenticator(context: context, allowedClientKeys: Set(allowed.keys))
        authenticator.start()
    }

    deinit { stop() }

    /// The allowed keys' file names, sorted, for logs.
    public var allowedNames: [String] { allowed.values.sorted() }

    public func admits(_ key: String) -> Bool { allowed[key] != nil }

    /// The allowed/ file a key came from, or its fingerprint when it is not (or no longer) allowed.
    public func describe(_ key: String) -> String {
        allowed[key].map { "\($0) (\(CurveCertificate.fingerprint(of: key)))" } ?? CurveCertificate.fingerprint(of: key)
    }

    /// Handshakes refused so far.
    public var refused: Int { authenticator.rejected }

    public func drainRefusals() -> [ZAPRefusal] { authenticator.drainRefusals() }

    /// Re-reads `allowed/` after a SIGHUP, or when the folder's modification time changed (looked
    /// at once per ``checkInterval``). A folder that cannot be read keeps the old list.
    public func reloadIfChanged(now: ContinuousClock.Instant) -> KeyReload? {
        let signalled = hangup.take()
        if !signalled, let lastCheck, now - lastCheck < Self.checkInterval { return nil }
        lastCheck = now
        let modified = Self.modificationDate(directory.allowedDirectory)
        guard signalled || modified != folderModified else { return nil }
        folderModified = modified
        do {
            let keys = try Self.read(directory)
            try authenticator.replaceAllowedClientKeys(Set(keys.keys))
            let before = allowed
            allowed = keys
            return .reloaded(added: keys.filter { before[$0.key] == nil }.values.sorted(),
                             removed: Set(before.keys).subtracting(keys.keys).sorted(), trigger: signalled ? "SIGHUP" : "folder change")
        } catch {
            return .failed("\(error)")
        }
    }

    /// Stops the ZAP handler; the ROUTER must be closed first. Idempotent.
    public func stop() { authenticator.stop() }

    private static func read(_ keys: CurveKeyDirectory) throws -> [String: String] {
        var byKey: [String: String] = [:]
        for (file, certificate) in try keys.allowedKeys() { byKey[certificate.publicKey] = file }
        return byKey
    }

    private static func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}

/// What one look at `allowed/` found.
public enum KeyReload: Equatable, Sendable {
    /// The new list is in force; `added` names files, `removed` the z85 keys no longer allowed.
    case reloaded(added: [String], removed: [String], trigger: String)
    /// The folder could not be read; the previous list stays in force.
    case failed(String)
}

/// Counts SIGHUPs (an operator's "re-read the keys") so the server loop can take them when it
/// polls. The signal's default action, ending the process, is replaced while one exists.
/// `@unchecked Sendable`: `pending` is guarded by `lock`.
final class HangupSignal: @unchecked Sendable {
    private let source: DispatchSourceSignal
    private let lock = NSLock()
    private var pending = false

    init() {
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { [weak self] in self?.mark() }
        source.resume()
    }

    deinit { source.cancel() }

    private func mark() { lock.withLock { pending = true } }

    /// True once per SIGHUP received since the last call.
    func take() -> Bool {
        lock.withLock {
            defer { pending = false }
            return pending
        }
    }
}

/// Thins the refusal log: libzmq retries a refused client every 100 ms, so each key is logged
/// at its first refusal and then at most once per ``quietPeriod``, with the repeats in between.
struct RefusalDigest {
    static let quietPeriod = Duration.seconds(30)
    private var lastLogged: [String: (at: ContinuousClock.Instant, suppressed: Int)] = [:]

    /// The refusals to log now, each with how many of its kind were not logged since the last one.
    mutating func admit(_ refusals: [ZAPRefusal], now: ContinuousClock.Instant) -> [(refusal: ZAPRefusal, repeats: Int)] {
        var shown: [(ZAPRefusal, Int)] = []
        for refusal in refusals {
            let kind = refusal.fingerprint ?? refusal.reason
            if let last = lastLogged[kind], now - last.at < Self.quietPeriod {
                lastLogged[kind]?.suppressed += 1
                continue
            }
            shown.append((refusal, lastLogged[kind]?.suppressed ?? 0))
            lastLogged[kind] = (now, 0)
        }
        return shown
    }
}
