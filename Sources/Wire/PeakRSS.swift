import Foundation

/// The peak resident set size of this process, in bytes: what a worker reports of itself on
/// HEARTBEAT and RESULT (`peakRSSBytes`), and what the coordinator prints for its own process.
///
/// On Linux it is `VmHWM` of `/proc/self/status`, the high-water mark of this process's own
/// address space. `getrusage(RUSAGE_SELF).ru_maxrss` would be wrong for a worker that the
/// coordinator started: Linux carries the parent's peak into a child across `exec` (the child
/// of a `posix_spawn` shares the parent's address space until it execs), so every local worker
/// would report at least the coordinator's size at the moment it was started. On other systems
/// it is `ru_maxrss` (bytes there).
public enum PeakRSS {
    public static func currentBytes() -> UInt64? {
        #if os(Linux)
        return procStatus().flatMap(highWaterMark(status:))
        #else
        var usage = rusage()
        guard getrusage(RUSAGE_SELF, &usage) == 0, usage.ru_maxrss > 0 else { return nil }
        return UInt64(usage.ru_maxrss)
        #endif
    }

    /// `/proc/self/status`, read with `read(2)` to the end: procfs files report a size of 0, so
    /// readers that trust the size (`String(contentsOfFile:)`) see an empty file.
    static func procStatus() -> String? {
        let descriptor = open("/proc/self/status", O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The `VmHWM:` line of a `/proc/PID/status` text (kB there), in bytes; nil without one.
    public static func highWaterMark(status: String) -> UInt64? {
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.dropFirst("VmHWM:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let kilobytes = fields.first.flatMap({ UInt64($0) }), fields.dropFirst().first == "kB" else { return nil }
            return kilobytes * 1024
        }
        return nil
    }
}
