import ArgumentParser
import Foundation

extension Engage {
    /// ArgumentParser exits 64 on a usage error; `engage drift` promises 2 instead, because its 1
    /// already means "the data drifted" to the schedulers that read it.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            if arguments.first == DriftCommand.configuration.commandName, exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(DriftCommand.usageStatus)
            }
            exit(withError: error)
        }
    }
}
