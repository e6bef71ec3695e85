import Foundation
import Logging

/// Worker child processes that `engage run` starts on this machine and stops at the end.
public final class LocalWorkers: @unchecked Sendable {
    private let processes: [Process]

    private init(processes: [Process]) { self.processes = processes }

    public static func start(count: Int, executable: String, endpoint: String, threads: Int, cacheRoot: String,
                             heartbeatMs: Int, logger: Logger) throws -> LocalWorkers {
        var processes: [Process] = []
        for index in 0..<count {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["worker", "--connect", endpoint, "--id", "local-\(index + 1)", "--threads", String(threads),
                                 "--cache", (cacheRoot as NSString).appendingPathComponent("local-\(index + 1)"),
                                 "--heartbeat-ms", String(heartbeatMs), "--exit-with-parent"]
            try process.run()
            logger.info("started worker local-\(index + 1) (pid \(process.processIdentifier))")
            processes.append(process)
        }
        return LocalWorkers(processes: processes)
    }

    public var pids: [Int32] { processes.map(\.processIdentifier) }

    public var allExited: Bool { !processes.isEmpty && processes.allSatisfy { !$0.isRunning } }

    /// Waits up to `seconds` for the workers to leave on their own (after BYE).
    public func waitForExit(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while processes.contains(where: \.isRunning), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    }

    /// Terminates any worker still running.
    public func stop() {
        for process in processes where process.isRunning { process.terminate() }
        waitForExit(seconds: 2)
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
