import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The live view on a terminal: redraws the ``LiveViewRenderer`` frame in place with ANSI
/// cursor moves, at most `maxRate` times a second.
///
/// Each frame is written with one `write(2)`: the cursor goes up over the previous frame, each
/// line is cleared and rewritten, and leftover lines are cleared below, so nothing blinks.
/// Log lines that must reach the terminal meanwhile go through ``printAbove(_:)``.
/// `@unchecked Sendable`: all state is guarded by `lock`.
public final class TerminalRunView: RunEventSink, @unchecked Sendable {
    private let lock = NSLock()
    private let fd: Int32
    private let renderer = LiveViewRenderer()
    private let minInterval: TimeInterval
    private var lastState = RunState()
    private var drawnLines = 0
    private var lastFrame: [String] = []
    private var lastDraw = Date.distantPast
    private var closed = false

    public init(fd: Int32 = 1, maxRate: Double = 5) {
        self.fd = fd
        minInterval = 1 / maxRate
    }

    /// True when `fd` is a terminal at least `minColumns` wide: below that the plain log reads better.
    public static func usable(fd: Int32 = 1, minColumns: Int = 40) -> Bool {
        isatty(fd) == 1 && columns(fd: fd) >= minColumns
    }

    static func columns(fd: Int32) -> Int {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    public func receive(_ event: RunEvent, state: RunState) {
        lock.withLock {
            lastState = state
            draw(now: event.time, force: event.type == .runFinished)
        }
    }

    public func tick(state: RunState, now: Date) {
        lock.withLock {
            lastState = state
            draw(now: now, force: false)
        }
    }

    /// Leaves the final frame on screen; what is printed next starts below it.
    public func close(state: RunState) {
        lock.withLock {
            lastState = state
            draw(now: Date(), force: true)
            closed = true
        }
    }

    /// Prints `text` (one or more lines) above the view, then redraws the view under it.
    public func printAbove(_ text: String) {
        lock.withLock {
            var out = erase()
            out += text.hasSuffix("\n") ? text : text + "\n"
            drawnLines = 0
            if !closed {
                let frame = renderer.lines(lastState, now: Date(), width: Self.columns(fd: fd))
                out += frame.map { $0 + "\n" }.joined()
                drawnLines = frame.count
                lastFrame = frame
            }
            emit(out)
        }
    }

    private func draw(now: Date, force: Bool) {
        guard !closed, force || now.timeIntervalSince(lastDraw) >= minInterval else { return }
        let frame = renderer.lines(lastState, now: now, width: Self.columns(fd: fd))
        lastDraw = now
        guard frame != lastFrame || force else { return }
        var out = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
        for line in frame { out += "\r\u{1B}[2K" + line + "\n" }
        if frame.count < drawnLines { out += "\u{1B}[J" }
        drawnLines = frame.count
        lastFrame = frame
        emit(out)
    }

    private func erase() -> String {
        drawnLines > 0 ? "\u{1B}[\(drawnLines)A\r\u{1B}[J" : ""
    }

    private func emit(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { if errno == EINTR { continue } else { return } }
            offset += written
        }
    }
}
