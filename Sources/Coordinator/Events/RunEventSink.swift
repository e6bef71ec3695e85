import Foundation

/// Something that shows or records a run's events: the terminal view, the plain log, the
/// JSON-lines file, the metrics.
///
/// Called on the coordinator's loop thread, one call at a time (``RunEventHub`` serialises them).
public protocol RunEventSink: AnyObject {
    /// `event` has already been applied to `state`.
    func receive(_ event: RunEvent, state: RunState)
    /// Called every round of the coordinator loop (at most every 100 ms), so a view can redraw its clock.
    func tick(state: RunState, now: Date)
    /// The run is over: flush, draw the final frame, close files.
    func close(state: RunState)
}

extension RunEventSink {
    public func tick(state: RunState, now: Date) {}
    public func close(state: RunState) {}
}

/// Keeps the ``RunState`` of one run and hands every event, with that state, to each sink.
///
/// `@unchecked Sendable`: `state` and the calls to the sinks are guarded by `lock`, so a log
/// handler on another thread may emit too.
public final class RunEventHub: @unchecked Sendable {
    private let lock = NSLock()
    private var sinks: [any RunEventSink]
    private var closed = false
    public private(set) var state = RunState()

    public init(sinks: [any RunEventSink] = []) {
        self.sinks = sinks
    }

    public func add(_ sink: any RunEventSink) {
        lock.withLock { sinks.append(sink) }
    }

    public func emit(_ event: RunEvent) {
        lock.withLock {
            guard !closed else { return }
            let completed = state.apply(event)
            for sink in sinks { sink.receive(completed, state: state) }
        }
    }

    public func tick(now: Date = Date()) {
        lock.withLock {
            guard !closed else { return }
            for sink in sinks { sink.tick(state: state, now: now) }
        }
    }

    /// Closes every sink once; later events are ignored.
    public func close() {
        lock.withLock {
            guard !closed else { return }
            closed = true
            for sink in sinks { sink.close(state: state) }
        }
    }
}
