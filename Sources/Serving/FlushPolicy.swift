import Foundation
import ModelZoo

/// When rows gathered for one scoring call are scored: once `maxRows` wait, or once the oldest
/// of them has waited `maxWait`, whichever comes first.
///
/// Exists so that the server's batching of single-row requests (`MicroBatcher`) and the stream's
/// micro-batches (`DeliveryQueue` in `Stream`) follow one rule with one pair of settings.
public struct FlushPolicy: Sendable, Equatable {
    /// Rows scored together at most; 1 turns gathering off.
    public var maxRows: Int
    /// How long the oldest waiting row waits at most.
    public var maxWait: Duration

    public init(maxRows: Int = 32, maxWait: Duration = .microseconds(500)) {
        precondition(maxRows >= 1 && maxWait >= .zero, "a flush policy needs maxRows ≥ 1 and a non-negative maxWait")
        self.maxRows = maxRows
        self.maxWait = maxWait
    }

    /// Every row is scored on its own, at once.
    public static let off = FlushPolicy(maxRows: 1, maxWait: .zero)
    public var isOff: Bool { maxRows <= 1 || maxWait <= .zero }

    /// When rows that began waiting at `oldest` must be scored at the latest.
    public func deadline(oldest: Date) -> Date { oldest.addingTimeInterval(maxWait.seconds) }

    /// Whether `rows` rows, the oldest waiting since `oldest` (nil: nothing waits), are due at `now`.
    public func isDue(rows: Int, oldest: Date?, now: Date) -> Bool {
        guard let oldest else { return false }
        return rows >= maxRows || now >= deadline(oldest: oldest)
    }
}
