import Foundation
import Wire

/// The producer side of ``StreamFrames``: sends batches to `engage stream --from zmq:…` and
/// resends each one that is not answered within `resendAfter` seconds, until every batch is
/// acknowledged or rejected. This is the at-least-once half of the contract, and the shape a
/// Kafka consumer takes in front of the stream (docs/serving.md): commit a Kafka offset only
/// once the batch holding it is acknowledged.
public final class StreamProducer {
    private let context: ZMQContext
    private let socket: ZMQSocket
    public let counters = MessageCounters()
    /// Sends of a batch after its first, all batches together.
    public private(set) var resends = 0

    /// `curve`: the stream's public key and this producer's key pair (one admitted in the
    /// stream's `allowed/`), for a stream secured with `--keys`.
    public init(connect endpoint: String, curve: (serverPublicKey: String, keys: CurveKeyPair)? = nil) throws {
        context = try ZMQContext()
        socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setLinger(milliseconds: 0)
        try socket.setMaxMessageSize(1 << 20)
        if let curve { try socket.makeCurveClient(serverPublicKey: curve.serverPublicKey, publicKey: curve.keys.publicKey, secretKey: curve.keys.secretKey) }
        try socket.connect(endpoint)
    }

    deinit {
        socket.close()
        context.terminate()
    }

    /// Sends `batches` (id, CSV body) with at most `window` unanswered at a time; returns each
    /// batch's reply, or throws when `timeout` passes first.
    public func deliver(_ batches: [(id: String, body: Data)], window: Int = 8, resendAfter: Double = 2, timeout: Double = 300) throws -> [String: StreamFrames.Reply] {
        var replies: [String: StreamFrames.Reply] = [:]
        var next = 0
        var inFlight: [String: (body: Data, sent: Date)] = [:]
        let deadline = Date().addingTimeInterval(timeout)
        while replies.count < batches.count {
            guard Date() < deadline else {
                throw StreamError("\(batches.count - replies.count) of \(batches.count) batches unanswered after \(Int(timeout)) s")
            }
            while inFlight.count < window, next < batches.count {
                let batch = batches[next]
                next += 1
                guard replies[batch.id] == nil else { continue }
                try send(batch.id, batch.body)
                inFlight[batch.id] = (batch.body, Date())
            }
            for (id, flight) in inFlight where Date().timeIntervalSince(flight.sent) >= resendAfter {
                try send(id, flight.body)
                inFlight[id] = (flight.body, Date())
                resends += 1
            }
            guard let frames = try socket.receive(timeoutMs: 100) else { continue }
            do {
                let reply = try StreamFrames.decodeReply(frames)
                counters.countReceived()
                guard inFlight.removeValue(forKey: reply.batchID) != nil || batches.contains(where: { $0.id == reply.batchID }) else { continue }
                replies[reply.batchID] = reply
            } catch {
                counters.countDropped(for: error)
            }
        }
        return replies
    }

    /// Queues one batch without blocking: with no stream to route to (not up yet, or a CURVE
    /// handshake it refused) the send is skipped, and the batch goes again after `resendAfter`.
    private func send(_ id: String, _ body: Data) throws {
        if try !socket.trySend(StreamFrames.encodeEvents(batchID: id, body: body)) { counters.countDropped("no stream to send to") }
    }
}
