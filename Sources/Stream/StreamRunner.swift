import Foundation
import Logging
import Serving

/// `engage stream`'s loop: take deliveries from the source, cut them into micro-batches, score
/// each batch with the model the reference names now, commit it, then acknowledge the deliveries
/// it completed. Acknowledging only after the commit is what makes a crash anywhere safe: an
/// unacknowledged delivery comes back (the file is still in `processing/`, the producer resends)
/// and its already committed rows are ignored by the sink.
public struct StreamRunner<Source: EventSource> {
    public var source: Source
    public let scorer: StreamScorer
    public let store: StreamStore
    public let threshold: Double
    public var batcher: DeliveryQueue<Source.Token>
    public var logger: Logger
    public private(set) var totals = StreamTotals()
    /// Deliveries buffered and not yet committed, by SHA-256, with the tokens of copies that
    /// arrived meanwhile (a producer's resend): those are acknowledged with the first.
    private var buffered: [String: [Source.Token]] = [:]

    public init(source: Source, scorer: StreamScorer, store: StreamStore, threshold: Double, batchSize: Int, maxWait: Double, logger: Logger) {
        self.source = source
        self.scorer = scorer
        self.store = store
        self.threshold = threshold
        self.batcher = DeliveryQueue(policy: FlushPolicy(maxRows: batchSize, maxWait: .seconds(maxWait)))
        self.logger = logger
    }

    /// Runs until `shouldStop` (then commits what is buffered) or, with `untilIdle`, until the
    /// source has nothing more and every buffered event is committed.
    public mutating func run(untilIdle: Bool = false, shouldStop: () -> Bool) throws {
        while !shouldStop() {
            let now = Date()
            let wait = untilIdle ? 0 : min(0.5, max(0, batcher.deadline?.timeIntervalSince(now) ?? 0.5))
            let room = max(0, 4 * batcher.size - batcher.pending)
            let arrivals = try source.receive(timeout: wait, wanted: room)
            for (batch, token) in arrivals {
                totals.deliveries += 1
                if buffered[batch.sha256] != nil {
                    buffered[batch.sha256]?.append(token)
                    totals.repeatedDeliveries += 1
                } else if try store.delivery(sha256: batch.sha256) != nil {
                    logger.info("\(batch.source): its \(batch.count) events were committed before; acknowledged again")
                    try source.acknowledge(token, batch: batch)
                    totals.repeatedDeliveries += 1
                } else {
                    buffered[batch.sha256] = []
                    batcher.add(batch, token: token, at: Date())
                }
            }
            while batcher.isDue(at: Date()) { try flush() }
            if untilIdle, arrivals.isEmpty, room > 0 {
                while !batcher.isEmpty { try flush() }
                return
            }
        }
        while !batcher.isEmpty { try flush() }
    }

    private mutating func flush() throws {
        let batch = batcher.take()
        do {
            if try scorer.refresh() { logger.info("\(scorer.reference) now names \(scorer.model)@\(scorer.version); scoring with it") }
        } catch {
            logger.warning("\(scorer.reference) could not be read again (\(error)); still scoring with \(scorer.model)@\(scorer.version)")
        }
        let events = try batch.pieces.flatMap { try scorer.score($0) }
        let completing = batch.completed.map { DeliveryRecord(sha256: $0.batch.sha256, source: source.kind, label: $0.batch.source, rows: $0.batch.count) }
        let result = try store.commit(events, threshold: threshold, completing: completing)
        totals.batches += 1
        totals.inserted += result.inserted
        totals.duplicates += result.duplicates
        totals.alerts += result.alerts
        logger.debug("committed \(events.count) events (\(result.inserted) new, \(result.alerts) alerts) with \(scorer.model)@\(scorer.version)")
        for (delivery, token) in batch.completed {
            for copy in [token] + (buffered.removeValue(forKey: delivery.sha256) ?? []) { try source.acknowledge(copy, batch: delivery) }
        }
    }
}

/// What one `engage stream` process did: its summary line.
public struct StreamTotals: Codable, Sendable, Equatable {
    public var deliveries = 0
    /// Deliveries whose content had been committed before (a producer's resend, a file moved too late).
    public var repeatedDeliveries = 0
    public var batches = 0
    public var inserted = 0
    /// Events already in the predictions table (scored again after a restart or a resend).
    public var duplicates = 0
    public var alerts = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case deliveries, batches, inserted, duplicates, alerts
        case repeatedDeliveries = "repeated_deliveries"
    }
}
