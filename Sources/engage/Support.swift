import ArgumentParser
import Coordinator
import Foundation
import Logging

/// Logging to standard error, set up once per process.
enum CLILogging {
    nonisolated(unsafe) private static var bootstrapped = false
    /// The live view log lines are printed above, while one is on the terminal.
    nonisolated(unsafe) static var console: TerminalRunView?

    static func logger(_ label: String, verbose: Bool) -> Logger {
        if !bootstrapped {
            LoggingSystem.bootstrap { ConsoleLogHandler(label: $0) }
            bootstrapped = true
        }
        var logger = Logger(label: label)
        logger.logLevel = verbose ? .debug : .info
        return logger
    }
}

/// Turns any error into a clear message on standard error and a non-zero exit.
struct CLIFailure: Error, CustomStringConvertible {
    let description: String
    init(_ error: Error) {
        if let localized = error as? LocalizedError, let text = localized.errorDescription {
            description = text
        } else {
            description = String(describing: error)
        }
    }
    init(message: String) { description = message }
}

func failing<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(CLIFailure(error).description)\n".utf8))
        throw ExitCode.failure
    }
}

/// The path of this executable, used to start worker processes.
func currentExecutable() -> String {
    if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
    return CommandLine.arguments[0]
}

/// A plain text table with aligned columns.
func renderTable(header: [String], rows: [[String]]) -> String {
    let widths = header.indices.map { column in ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0 }
    func line(_ cells: [String]) -> String {
        zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line)).joined(separator: "\n")
}

func format(_ value: Double, digits: Int = 4) -> String { String(format: "%.\(digits)f", value) }
