import Foundation
import Serving

/// Cuts the events of arriving deliveries into micro-batches by a `FlushPolicy`: a batch is due
/// when `maxRows` events wait, or when the oldest waiting event has waited `maxWait`, whichever
/// comes first.
///
/// A delivery larger than `size` is spread over several batches; it is *completed* by the batch
/// that holds its last event, and only then may it be acknowledged (the file moved to `done/`,
/// the producer's batch ACKed), after that batch is committed.
public struct DeliveryQueue<Token> {
    public let policy: FlushPolicy
    private var queue: [(batch: EventBatch, token: Token, offset: Int, arrived: Date)] = []

    public init(policy: FlushPolicy) { self.policy = policy }

    /// Events per micro-batch at most.
    public var size: Int { policy.maxRows }

    /// Events waiting, all deliveries together.
    public private(set) var pending = 0

    public var isEmpty: Bool { queue.isEmpty }

    /// When the oldest waiting event's wait runs out; nil when nothing waits.
    public var deadline: Date? { queue.first.map { policy.deadline(oldest: $0.arrived) } }

    public mutating func add(_ batch: EventBatch, token: Token, at time: Date) {
        queue.append((batch, token, 0, time))
        pending += batch.count
    }

    public func isDue(at time: Date) -> Bool {
        policy.isDue(rows: pending, oldest: queue.first?.arrived, now: time)
    }

    /// The next micro-batch: at most `size` events, oldest first, and the deliveries it completes.
    /// A delivery of no events is completed by the first batch taken after it.
    public mutating func take() -> MicroBatch<Token> {
        var result = MicroBatch<Token>()
        var room = size
        while let head = queue.first {
            let remaining = head.batch.count - head.offset
            if remaining > room {
                if room > 0 {
                    result.pieces.append(head.batch.slice(head.offset..<head.offset + room))
                    queue[0].offset += room
                    queue[0].arrived = min(head.arrived, queue[0].arrived)
                    pending -= room
                }
                break
            }
            if remaining > 0 { result.pieces.append(head.batch.slice(head.offset..<head.batch.count)) }
            room -= remaining
            pending -= remaining
            result.completed.append((head.batch, head.token))
            queue.removeFirst()
        }
        return result
    }
}

/// One micro-batch: the slices of deliveries to score and commit together, and the deliveries
/// whose last events are among them.
public struct MicroBatch<Token> {
    public var pieces: [EventBatch] = []
    public var completed: [(batch: EventBatch, token: Token)] = []

    public var count: Int { pieces.reduce(0) { $0 + $1.count } }
}
