/// Paranoid Pirate liveness (ZeroMQ Guide, chapter 4) for one peer: heartbeats go out every
/// `heartbeatMs`, and the peer counts as dead once `liveness` whole intervals pass without
/// hearing anything from it. Time is passed in, so the logic is testable without sleeping.
public struct Liveness: Sendable {
    public let heartbeatMs: Int
    public let liveness: Int
    public private(set) var lastHeard: ContinuousClock.Instant
    public private(set) var lastSent: ContinuousClock.Instant?

    /// `now` starts the silence clock: a peer never heard from dies `liveness` intervals later.
    /// Both values may come off the wire (WELCOME), so they are clamped to 1…Int32.max
    /// instead of trapping.
    public init(heartbeatMs: Int, liveness: Int, now: ContinuousClock.Instant = .now) {
        self.heartbeatMs = min(max(heartbeatMs, 1), Int(Int32.max))
        self.liveness = min(max(liveness, 1), Int(Int32.max))
        lastHeard = now
    }

    public var interval: Duration { .milliseconds(heartbeatMs) }

    /// Silence longer than this means the peer is dead.
    public var expiry: Duration { interval * liveness }

    /// Any message from the peer counts, not only HEARTBEAT.
    public mutating func heard(at instant: ContinuousClock.Instant) {
        if instant > lastHeard { lastHeard = instant }
    }

    public func isDead(now: ContinuousClock.Instant) -> Bool {
        lastHeard.duration(to: now) >= expiry
    }

    public func heartbeatDue(now: ContinuousClock.Instant) -> Bool {
        guard let lastSent else { return true }
        return lastSent.duration(to: now) >= interval
    }

    public mutating func sentHeartbeat(at instant: ContinuousClock.Instant) {
        lastSent = instant
    }

    /// The peer's remaining lives, as in the Guide's counter: `liveness` right after hearing
    /// from it, one less per silent interval, 0 when dead.
    public func remainingLiveness(now: ContinuousClock.Instant) -> Int {
        let silent = lastHeard.duration(to: now)
        guard silent > .zero else { return liveness }
        return max(0, liveness - Int(silent / interval))
    }

    /// How long an I/O loop may poll before it must send a heartbeat or check for death.
    public func pollTimeoutMs(now: ContinuousClock.Instant) -> Int32 {
        let toHeartbeat = lastSent.map { now.duration(to: $0 + interval) } ?? .zero
        let toDeath = now.duration(to: lastHeard + expiry)
        let wait = max(.zero, min(toHeartbeat, toDeath))
        let (seconds, attoseconds) = wait.components
        return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}

/// The reconnect delays of a worker that lost its coordinator: starts at `initialMs` and
/// doubles on every attempt up to `maxMs`, back to the start after a successful connection.
public struct ReconnectBackoff: Sendable {
    public let initialMs: Int
    public let maxMs: Int
    private var currentMs: Int

    /// `initialMs` is raised to at least 1 and `maxMs` to at least `initialMs`.
    public init(initialMs: Int = 1000, maxMs: Int = 32000) {
        self.initialMs = max(initialMs, 1)
        self.maxMs = max(maxMs, self.initialMs)
        currentMs = self.initialMs
    }

    /// The delay before the next attempt, in milliseconds.
    public mutating func next() -> Int {
        let delay = currentMs
        currentMs = currentMs > maxMs / 2 ? maxMs : currentMs * 2
        return delay
    }

    public mutating func reset() {
        currentMs = initialMs
    }
}
