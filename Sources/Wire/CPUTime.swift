import Foundation

/// CPU seconds used so far, by this process (every thread) or by the calling thread: what the
/// run's timeline reports beside wall seconds, since on a busy host wall time says as much about
/// the other processes as about the work.
public enum CPUTime {
    /// User plus system seconds of every thread of this process.
    public static func processSeconds() -> Double {
        seconds(of: CLOCK_PROCESS_CPUTIME_ID)
    }

    /// User plus system seconds of the calling thread.
    public static func threadSeconds() -> Double {
        seconds(of: CLOCK_THREAD_CPUTIME_ID)
    }

    private static func seconds(of clock: clockid_t) -> Double {
        var time = timespec()
        guard clock_gettime(clock, &time) == 0 else { return 0 }
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
