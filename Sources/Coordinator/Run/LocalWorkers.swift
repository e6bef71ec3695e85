import Foundation
import Logging
import Wire

/// Worker child processes that `engage run` starts on this machine and stops at the end.
/// With CURVE, local worker I authenticates with `KEYS/workers/worker-I.key_secret`, the names
/// `engage keys generate --workers N` writes.
public final class LocalWorkers: @unchecked Sendable {
    private let processes: [Process]

    private init(processes: [Process]) { self.processes = processes }

    public static func start(count: Int, executable: String, endpoint: String, threads: Int, cacheRoot: String,
                             heartbeatMs: Int, curveKeys: String? = nil, logDirectory: String? = nil, logger: Logger) throws -> LocalWorkers {
        if let curveKeys {
            let directory = CurveKeyDirectory(path: curveKeys)
            for index in 0..<count where !FileManager.default.fileExists(atPath: directory.workerBase("worker-\(index + 1)") + ".key_secret") {
                throw CurveFileError(path: directory.workerBase("worker-\(index + 1)") + ".key_secret",
                                     reason: "does not exist: local worker \(index + 1) of \(count) needs it (`engage keys generate --out \(curveKeys) --workers \(count)`)")
            }
        }
        var processes: [Process] = []
        for index in 0..<count {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["worker", "--connect", endpoint, "--id", "local-\(index + 1)", "--threads", String(threads),
                                 "--cache", (cacheRoot as NSString).appendingPathComponent("local-\(index + 1)"),
                                 "--heartbeat-ms", String(heartbeatMs), "--exit-with-parent", "--parent-pid", String(getpid())]
                + (curveKeys.map { ["--keys", $0, "--name", "worker-\(index + 1)"] } ?? [])
            if let logDirectory { process.standardError = try LocalWorkers.logFile(directory: logDirectory, worker: index + 1) }
            try process.run()
            logger.info("started worker local-\(index + 1) (pid \(process.processIdentifier))")
            processes.append(process)
        }
        return LocalWorkers(processes: processes)
    }

    /// `DIR/local-N.log`, appended to so a resumed run keeps the earlier lines.
    static func logFile(directory: String, worker: Int) throws -> FileHandle {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("local-\(worker).log")
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        return handle
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
