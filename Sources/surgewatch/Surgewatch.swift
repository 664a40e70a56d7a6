import SurgeDaemon
import ArgumentParser
import Dispatch

struct Surgewatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "surgewatch",
        abstract: "Predicts flash-sale overload before it breaks the shop's SLO.",
        discussion: "The manual: man surgewatch (signals, files, journal fields, exit status). Running it for a shop: "
            + "OPERATING.md, installed in /usr/local/share/doc/surgewatch.",
        version: "0.1.0",
        subcommands: [RunCommand.self, CheckConfigCommand.self, ReplayCommand.self, TrainCommand.self, SimulateCommand.self, AlertsCommand.self, ExportCommand.self, TestAlertCommand.self, ForgetCommand.self])
}

/// The entry point. Synchronous, so that `surgewatch run` can keep the main thread for its own
/// jobs (GlobalJobs: no Dispatch thread wakes the daemon, none asks for a raised priority);
/// the other commands run as an async `main` would run them, with Dispatch serving the main
/// queue.
@main
enum SurgewatchMain {
    static func main() {
        CPUCheck.exitIfUnsupported()
        let command: ParsableCommand
        do {
            command = try Surgewatch.parseAsRoot()
        } catch {
            Surgewatch.exit(withError: error)
        }
        let box = CommandBox(command)
        if command is RunCommand {
            GlobalJobs.serveOnThisThread { await box.run() }
        }
        Task.detached { await box.run() }
        dispatchMain()
    }
}

/// The parsed command, handed to the task that runs it; nothing else touches it.
private final class CommandBox: @unchecked Sendable {
    private var command: ParsableCommand

    init(_ command: ParsableCommand) {
        self.command = command
    }

    /// Runs the command and ends the process with its outcome, as ArgumentParser's `main` does.
    func run() async -> Never {
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            Surgewatch.exit(withError: error)
        }
        Surgewatch.exit()
    }
}
