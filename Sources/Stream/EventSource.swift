import Coordinator
import Foundation
import Logging
import Wire

/// Where `engage stream` takes its deliveries from, and how it tells that source a delivery is
/// safely committed. Two implementations: the inbox folder and a ZeroMQ socket.
public protocol EventSource {
    associatedtype Token

    /// Deliveries that arrived, waiting at most `timeout` seconds for one; `wanted` is how many
    /// more events the stream can buffer (a source may stop taking once it has that many).
    /// A delivery the source cannot parse is refused by the source itself and not returned.
    mutating func receive(timeout: Double, wanted: Int) throws -> [(batch: EventBatch, token: Token)]

    /// Every row of the delivery is committed (now, or by an earlier stream).
    func acknowledge(_ token: Token, batch: EventBatch) throws

    /// The delivery will never be accepted.
    func refuse(_ token: Token, reason: String) throws

    /// `inbox` or `zmq`: the `source` column of the deliveries table.
    var kind: String { get }
}

/// The inbox folder as an event source: the watch inbox's claim rule (write, then rename; a file
/// is claimed by renaming it into `processing/`), each file one delivery, moved to `done/` once
/// all its rows are committed, or to `failed/` with a `.error` note beside it.
///
/// A stream killed at any point leaves its files in `processing/`; the next one takes those first
/// and scores them again, and the sink's event-id key makes that change nothing.
public struct InboxEventSource: EventSource {
    public let inbox: Inbox
    private let categorical: Set<String>
    private let validate: (EventBatch) throws -> Void
    private let logger: Logger
    private var recovered = false

    public init(directory: String, categorical: Set<String>, validate: @escaping (EventBatch) throws -> Void, logger: Logger) throws {
        inbox = try Inbox(directory: directory)
        self.categorical = categorical
        self.validate = validate
        self.logger = logger
    }

    public var kind: String { "inbox" }

    public mutating func receive(timeout: Double, wanted: Int) throws -> [(batch: EventBatch, token: String)] {
        var names: [String] = []
        if !recovered {
            names = try inbox.unfinished()
            recovered = true
            if !names.isEmpty { logger.info("taking \(names.count) file(s) an earlier stream left in processing/") }
        }
        var deliveries: [(batch: EventBatch, token: String)] = []
        var rows = 0
        func read(_ name: String) throws {
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: inbox.path("processing", name)))
                let batch = try EventBatch.parse(data, source: name, categorical: categorical)
                try validate(batch)
                deliveries.append((batch, name))
                rows += batch.count
            } catch let error as CocoaError {
                throw error
            } catch {
                try refuse(name, reason: (error as? LocalizedError)?.errorDescription ?? "\(error)")
            }
        }
        for name in names { try read(name) }
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            for name in try inbox.waiting() where rows < wanted {
                if try inbox.claim(name) != nil { try read(name) }
            }
            if !deliveries.isEmpty || Date() >= deadline { break }
            Thread.sleep(forTimeInterval: min(0.2, max(0, deadline.timeIntervalSinceNow)))
        } while true
        return deliveries
    }

    public func acknowledge(_ token: String, batch: EventBatch) throws {
        try inbox.finish(token, failed: false)
    }

    public func refuse(_ token: String, reason: String) throws {
        logger.error("\(token): refused, moved to failed/: \(reason)")
        try inbox.finish(token, failed: true)
        try Data((reason + "\n").utf8).write(to: URL(fileURLWithPath: inbox.path("failed", token + ".error")), options: .atomic)
    }
}

/// A ROUTER socket as an event source: producers send `EVENTS` batches (``StreamFrames``), and
/// each is answered `ACK` once its rows are committed, so a producer that resends what was not
/// acknowledged gets at-least-once delivery and, through the sink's event-id key, exactly-once
/// results. Malformed messages are dropped and counted in ``counters``.
///
/// Loopback only unless secured by CURVE (`keys`, the Ironhouse pattern of the cluster: the
/// folder's coordinator key pair is the socket's, and only producers whose public keys are in its
/// `allowed/` get through): whoever reaches an open socket could write predictions and alerts.
public final class ZMQEventSource: EventSource {
    public typealias Token = (identity: Data, batchID: String)

    private let context: ZMQContext
    private let gate: ClientKeyGate?
    private let socket: ZMQSocket
    private let categorical: Set<String>
    private let validate: (EventBatch) throws -> Void
    private let logger: Logger
    public let counters = MessageCounters()
    /// The bound endpoint, with the port the system chose for `:*`.
    public let endpoint: String

    public init(endpoint requested: String, keys: CurveKeyDirectory?, categorical: Set<String>, validate: @escaping (EventBatch) throws -> Void,
                logger: Logger) throws {
        if case .network(let host) = BindScope(endpoint: requested), keys == nil {
            throw StreamError("""
                refusing to bind \(requested): '\(host)' is reachable from other hosts, and without CURVE the stream socket \
                authenticates no one, so anyone who reaches it could write predictions and alerts. Bind a loopback address \
                (zmq:tcp://127.0.0.1:5600) and put the producer on this host, or secure the socket: `engage keys generate \
                --out keys --workers producer-1` and `--keys keys` (producers connect with keys/workers/NAME.key_secret).
                """)
        }
        gate = try keys.map { try ClientKeyGate(keys: $0) }
        context = try gate?.context ?? ZMQContext()
        socket = try ZMQSocket(context: context, type: .router)
        try socket.setMaxMessageSize(StreamFrames.maxMessageBytes)
        try socket.setLinger(milliseconds: 1000)
        if let gate { try socket.makeCurveServer(secretKey: gate.serverSecretKey) }
        try socket.bind(requested)
        endpoint = socket.lastEndpoint ?? requested
        self.categorical = categorical
        self.validate = validate
        self.logger = logger
        if let gate {
            logger.info("CURVE: admitting the producers in \(gate.directory.allowedDirectory): \(gate.allowedNames.joined(separator: ", "))")
        }
    }

    deinit {
        socket.close()
        gate?.stop()
        context.terminate()
    }

    public var kind: String { "zmq" }

    public func receive(timeout: Double, wanted: Int) throws -> [(batch: EventBatch, token: Token)] {
        if let gate {
            for refusal in gate.drainRefusals() {
                logger.warning("CURVE: refused a producer from \(refusal.address) (key \(refusal.fingerprint ?? "none")): \(refusal.reason)")
            }
            switch gate.reloadIfChanged(now: .now) {
            case .reloaded(let added, let removed, let trigger)?: logger.info("CURVE: allowed producers reloaded (\(trigger)): \(added.count) added, \(removed.count) removed")
            case .failed(let reason)?: logger.error("CURVE: allowed producers not reloaded, the old list stays: \(reason)")
            case nil: break
            }
        }
        var deliveries: [(batch: EventBatch, token: Token)] = []
        var rows = 0
        var wait = Int32(max(0, min(timeout, 60)) * 1000)
        while rows < wanted, deliveries.count < 1000, let frames = try socket.receive(timeoutMs: wait) {
            wait = 0
            guard frames.count >= 2 else {
                counters.drop(DroppedMessage("frames"), what: "a message without frames") { logger.warning("\($0)") }
                continue
            }
            let identity = frames[0]
            let message: StreamFrames.Events
            do {
                message = try StreamFrames.decodeEvents(Array(frames.dropFirst()))
            } catch {
                counters.drop(error, what: "a malformed stream message") { logger.warning("\($0)") }
                continue
            }
            counters.countReceived()
            do {
                let batch = try EventBatch.parse(message.body, source: "zmq:\(message.batchID)", categorical: categorical)
                try validate(batch)
                deliveries.append((batch, (identity, message.batchID)))
                rows += batch.count
            } catch {
                try refuse((identity, message.batchID), reason: (error as? LocalizedError)?.errorDescription ?? "\(error)")
            }
        }
        return deliveries
    }

    public func acknowledge(_ token: Token, batch: EventBatch) throws {
        try reply(token.identity, StreamFrames.encodeAck(batchID: token.batchID, rows: batch.count))
    }

    public func refuse(_ token: Token, reason: String) throws {
        counters.countDropped("refused batch")
        logger.error("zmq batch \(token.batchID): refused: \(reason)")
        try reply(token.identity, StreamFrames.encodeReject(batchID: token.batchID, reason: reason))
    }

    /// A producer that went away is not an error: its reply is lost, and it resends when it comes back.
    private func reply(_ identity: Data, _ frames: [Data]) throws {
        if try socket.trySend([identity] + frames) { counters.countSent() }
    }
}
