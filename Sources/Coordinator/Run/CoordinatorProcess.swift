import Foundation
import Registry
#if canImport(Glibc)
import Glibc
#endif

/// The coordinator process a run records, so that `--resume` can tell a run whose
/// coordinator died (resumable) from one whose coordinator is still serving it.
public struct CoordinatorProcess: Sendable, Equatable {
    public let host: String
    public let pid: Int

    public init(host: String, pid: Int) {
        self.host = host
        self.pid = pid
    }

    /// Nil when the run does not say (a registry written before coordinators were recorded).
    public init?(host: String?, pid: Int?) {
        guard let host, let pid else { return nil }
        self.init(host: host, pid: pid)
    }

    public static var current: CoordinatorProcess {
        CoordinatorProcess(host: ProcessInfo.processInfo.hostName, pid: Int(getpid()))
    }

    /// True when this is another live process on this host. A coordinator on another host
    /// cannot be checked from here and counts as gone.
    public var isAliveElsewhere: Bool {
        guard host == ProcessInfo.processInfo.hostName, pid != Int(getpid()) else { return false }
        return Self.isRunning(pid: pid)
    }

    /// Whether process `pid` on this host is alive; a zombie (killed, not yet reaped) is not.
    public static func isRunning(pid: Int) -> Bool {
        guard pid > 0 else { return false }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
            return state != "Z" && state != "X"
        }
        return kill(pid_t(pid), 0) == 0 || errno == EPERM
    }

    /// The coordinator that still serves `run` from another live process on this host, if any.
    public static func liveCoordinator(of run: RunRecord) -> CoordinatorProcess? {
        guard run.status == .running, let coordinator = CoordinatorProcess(host: run.coordinatorHost, pid: run.coordinatorPID),
              coordinator.isAliveElsewhere else { return nil }
        return coordinator
    }

    /// A run's status for people: `running` is shown as `interrupted` when its coordinator, on
    /// this host, is gone (a crash or SIGKILL never reaches `finishRun`); such a run can be resumed.
    public static func displayStatus(of run: RunRecord) -> RunStatus {
        guard run.status == .running, let coordinator = CoordinatorProcess(host: run.coordinatorHost, pid: run.coordinatorPID),
              coordinator.host == ProcessInfo.processInfo.hostName else { return run.status }
        return liveCoordinator(of: run) != nil || coordinator == .current ? .running : .interrupted
    }
}
