import Foundation

/// Where the coordinator and the worker read "now" for heartbeats and liveness, so that tests
/// can move time forward instead of sleeping.
public protocol MonotonicClock: Sendable {
    var now: ContinuousClock.Instant { get }
}

/// The real clock.
public struct SystemClock: MonotonicClock {
    public init() {}
    public var now: ContinuousClock.Instant { .now }
}

/// A clock that stands still until ``advance(by:)`` moves it; for tests.
/// `@unchecked Sendable`: the instant is guarded by `lock`.
public final class ManualClock: MonotonicClock, @unchecked Sendable {
    private let lock = NSLock()
    private var instant: ContinuousClock.Instant

    public init(start: ContinuousClock.Instant = .now) {
        instant = start
    }

    public var now: ContinuousClock.Instant {
        lock.withLock { instant }
    }

    public func advance(by duration: Duration) {
        lock.withLock { instant = instant.advanced(by: duration) }
    }
}
