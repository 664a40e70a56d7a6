import ArgumentParser

@main
struct Surgewatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "surgewatch",
        abstract: "Predicts flash-sale overload before it breaks the shop's SLO.",
        version: "0.1.0",
        subcommands: [RunCommand.self, CheckConfigCommand.self, AlertsCommand.self, TestAlertCommand.self])
}
