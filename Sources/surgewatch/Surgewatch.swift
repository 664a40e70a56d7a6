import SurgeDaemon
import ArgumentParser

@main
struct Surgewatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "surgewatch",
        abstract: "Predicts flash-sale overload before it breaks the shop's SLO.",
        version: "0.1.0",
        subcommands: [RunCommand.self, CheckConfigCommand.self, ReplayCommand.self, TrainCommand.self, SimulateCommand.self, AlertsCommand.self, ExportCommand.self, TestAlertCommand.self])

    static func main() async {
        CPUCheck.exitIfUnsupported()
        do {
            var command = try parseAsRoot()
            // The daemon's global jobs run on a thread of its own, not Dispatch's pool, whose
            // monitor would wake the process every second (GlobalJobs); before the first await.
            if command is RunCommand { GlobalJobs.takeOver() }
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
