import Foundation

/// Starts the real `engage` binary (built by `swift build` next to the test bundle) as child
/// processes: the integration tests' proof that the real thing works.
public struct EngageBinary: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The built binary; a missing one is an error (a test that cannot find what it tests fails, it does not skip).
    public static func locate() throws -> EngageBinary {
        if let explicit = ProcessInfo.processInfo.environment["ENGAGE_BIN"] { return EngageBinary(path: explicit) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("engage").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return EngageBinary(path: candidate) }
            directory = directory.deletingLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/engage").path
        guard FileManager.default.isExecutableFile(atPath: fallback) else {
            throw HarnessError("the engage executable was not built; run `swift build` before `swift test` (make test does)")
        }
        return EngageBinary(path: fallback)
    }

    /// A started process whose output is collected into a file.
    public final class Child: @unchecked Sendable {
        public let process: Process
        public let logPath: String

        init(process: Process, logPath: String) {
            self.process = process
            self.logPath = logPath
        }

        public var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

        public func waitForExit(timeout: TimeInterval) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            return !process.isRunning
        }

        public func kill(_ signal: Int32 = SIGKILL) {
            if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
        }
    }

    public func start(_ arguments: [String], in directory: String, log: String) throws -> Child {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let logPath = (directory as NSString).appendingPathComponent(log)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return Child(process: process, logPath: logPath)
    }

    /// Starts `engage coordinator ARGUMENTS` and returns it with the endpoint it logged as bound.
    public func startCoordinator(_ arguments: [String] = ["--config", "cluster.yaml"], in directory: String,
                                 log: String = "coordinator.log", launcher: [String] = []) throws -> (Child, String) {
        let coordinator = try start(launcher + ["coordinator"] + arguments, in: directory, log: log)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let range = coordinator.output.range(of: #"listening on (tcp://[0-9.]+:[0-9]+)"#, options: .regularExpression) {
                return (coordinator, coordinator.output[range].replacingOccurrences(of: "listening on ", with: ""))
            }
            if !coordinator.process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        coordinator.kill()
        throw HarnessError("the coordinator did not start:\n\(coordinator.output)")
    }

    /// Runs to completion; returns the exit status and everything printed.
    public func run(_ arguments: [String], in directory: String, timeout: TimeInterval = 300) throws -> (status: Int32, output: String) {
        let child = try start(arguments, in: directory, log: "out-\(UUID().uuidString.prefix(8)).log")
        if !child.waitForExit(timeout: timeout) {
            child.kill()
            _ = child.waitForExit(timeout: 5)
            throw HarnessError("engage \(arguments.joined(separator: " ")) did not finish in \(timeout) s:\n\(child.output)")
        }
        return (child.process.terminationStatus, child.output)
    }
}

/// Why the harness could not run what a test asked for; thrown, so the test fails with the reason.
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
