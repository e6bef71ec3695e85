import Foundation
import Wire

/// The frames between a producer (a ZeroMQ DEALER) and `engage stream --from zmq:…` (a ROUTER).
///
/// Producer → stream: `EVENTS` · batch id · body, where the body is a CSV with a header
/// (`event_id`, `user_id`, the model's features) and the batch id is 1–256 bytes of UTF-8 the
/// producer chooses (it is echoed, not trusted: a delivery is known by the SHA-256 of its body).
/// Stream → producer: `ACK` · batch id · row count, sent only after every row of the batch is
/// committed; or `REJECT` · batch id · reason, for a body the stream will never accept (a
/// missing column, a bad number): resending it is pointless. Anything else (a wrong frame count,
/// an unknown command, an empty or oversized id) is dropped and counted, never answered.
public enum StreamFrames {
    public static let events = "EVENTS"
    public static let ack = "ACK"
    public static let reject = "REJECT"
    public static let maxBatchIDBytes = 256
    /// The largest message the stream accepts (`ZMQ_MAXMSGSIZE`): a peer cannot make it allocate more.
    public static let maxMessageBytes: Int64 = 256 << 20

    /// A producer's batch as the stream receives it.
    public struct Events: Sendable, Equatable {
        public var batchID: String
        public var body: Data
    }

    /// What the stream answered about one batch.
    public enum Reply: Sendable, Equatable {
        case ack(batchID: String, rows: Int)
        case reject(batchID: String, reason: String)

        public var batchID: String {
            switch self {
            case .ack(let id, _), .reject(let id, _): id
            }
        }
    }

    public static func encodeEvents(batchID: String, body: Data) -> [Data] {
        [Data(events.utf8), Data(batchID.utf8), body]
    }

    /// The frames after the ROUTER's identity frame; throws ``DroppedMessage`` with the reason to count.
    public static func decodeEvents(_ frames: [Data]) throws -> Events {
        guard frames.count == 3 else { throw DroppedMessage("frames") }
        guard frames[0] == Data(events.utf8) else { throw DroppedMessage("command") }
        return Events(batchID: try batchID(frames[1]), body: frames[2])
    }

    public static func encodeAck(batchID: String, rows: Int) -> [Data] {
        [Data(ack.utf8), Data(batchID.utf8), Data(String(rows).utf8)]
    }

    public static func encodeReject(batchID: String, reason: String) -> [Data] {
        [Data(reject.utf8), Data(batchID.utf8), Data(reason.utf8)]
    }

    public static func decodeReply(_ frames: [Data]) throws -> Reply {
        guard frames.count == 3 else { throw DroppedMessage("frames") }
        let id = try batchID(frames[1])
        switch String(decoding: frames[0], as: UTF8.self) {
        case ack:
            guard let rows = Int(String(decoding: frames[2], as: UTF8.self)), rows >= 0 else { throw DroppedMessage("rows") }
            return .ack(batchID: id, rows: rows)
        case reject:
            return .reject(batchID: id, reason: String(decoding: frames[2], as: UTF8.self))
        default:
            throw DroppedMessage("command")
        }
    }

    private static func batchID(_ frame: Data) throws -> String {
        guard !frame.isEmpty, frame.count <= maxBatchIDBytes, let id = String(data: frame, encoding: .utf8),
              !id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw DroppedMessage("batch id")
        }
        return id
    }
}
