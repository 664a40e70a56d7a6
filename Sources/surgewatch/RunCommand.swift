import ArgumentParser
import Logging
import SurgeConfig
import SurgeDaemon
import SurgeJournal
#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon in the foreground (systemd Type=notify).")

    @Option(help: "The config file.", completion: .file())
    var config = ConfigLoader.defaultPath

    @Option(help: "Where the database and model live (default: $STATE_DIRECTORY, else /var/lib/surgewatch).", completion: .directory)
    var stateDir: String?

    @Option(help: "Per-tick lines on stdout: text, json or none (default: text unless stdout is the journal).")
    var tickOutput: TickOutputArgument?

    @Option(help: "Least severe log level shown: trace, debug, info, notice, warning, error, critical.")
    var logLevel: LogLevelArgument = .init(.info)

    @Option(help: "Where logs go: journal, stderr, or auto (the journal when stderr is connected to it).")
    var logTarget: LogTarget = .auto

    @Option(help: .hidden)
    var maxTicks: Int?

    @Option(help: .hidden)
    var tickInterval: String?

    func run() async throws {
        var interval: Duration?
        if let tickInterval {
            guard let parsed = DurationText.parse(tickInterval), parsed > .zero else {
                throw ValidationError("--tick-interval: expected a duration such as 10ms or 1s, got \(tickInterval)")
            }
            interval = parsed
        }
        let level = logLevel.level
        let useJournal = logTarget == .journal
            || (logTarget == .auto && isJournalStream(STDERR_FILENO, journalStream: getenv("JOURNAL_STREAM").map { String(cString: $0) }))
        // Read once: the logger needs the journal identifier before the daemon starts, and a bad
        // config is reported through that logger.
        let loaded: Result<SurgeConfig, ConfigErrors>
        do {
            loaded = .success(try ConfigLoader.load(path: config))
        } catch {
            loaded = .failure(error)
        }
        let identifier = (try? loaded.get())?.journal.identifier ?? "surgewatch"
        LoggingSystem.bootstrap { label in
            if useJournal {
                var handler = JournalLogHandler(label: label, identifier: identifier)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "surgewatch")
        let options = DaemonOptions(
            configPath: config, stateDirectory: stateDir, tickOutput: tickOutput?.value,
            maxTicks: maxTicks, intervalOverride: interval)
        let code = await Daemon.run(options, config: loaded, logger: logger)
        if code != 0 { throw ExitCode(code) }
    }
}

struct TickOutputArgument: ExpressibleByArgument {
    let value: TickOutput
    init?(argument: String) {
        guard let value = TickOutput(rawValue: argument) else { return nil }
        self.value = value
    }
    static var allValueStrings: [String] { TickOutput.allCases.map(\.rawValue) }
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

struct LogLevelArgument: ExpressibleByArgument {
    let level: Logger.Level
    init(_ level: Logger.Level) { self.level = level }
    init?(argument: String) {
        guard let level = Logger.Level(rawValue: argument) else { return nil }
        self.level = level
    }
    var defaultValueDescription: String { level.rawValue }
    static var allValueStrings: [String] { Logger.Level.allCases.map(\.rawValue) }
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

enum LogTarget: String, ExpressibleByArgument, CaseIterable {
    case auto, journal, stderr
}
