import FoundationEssentials
import Glibc
import Logging
import ServiceLifecycle
import SurgeConfig
import SurgeJournal

/// What `surgewatch run` was asked to do.
public struct DaemonOptions: Sendable {
    public var configPath: String
    public var stateDirectory: String?
    /// nil: text when stdout is a terminal or file, none when it is the journal.
    public var tickOutput: TickOutput?
    /// Stop after this many ticks (tests, benchmarks).
    public var maxTicks: Int?
    /// Replaces `sampling.interval`, below its 1 s floor too (benchmarks run an accelerated clock).
    public var intervalOverride: Duration?

    public init(configPath: String, stateDirectory: String? = nil, tickOutput: TickOutput? = nil,
                maxTicks: Int? = nil, intervalOverride: Duration? = nil) {
        self.configPath = configPath
        self.stateDirectory = stateDirectory
        self.tickOutput = tickOutput
        self.maxTicks = maxTicks
        self.intervalOverride = intervalOverride
    }
}

public enum Daemon {
    /// Runs until SIGTERM/SIGINT (or `maxTicks`); returns the process exit code.
    public static func run(_ options: DaemonOptions, logger: Logger) async -> Int32 {
        let config: SurgeConfig
        do {
            config = try ConfigLoader.load(path: options.configPath)
        } catch {
            for line in error.errors { logger.critical("\(line.description)") }
            return 1
        }
        let stateDirectory = StateDirectory.resolve(override: options.stateDirectory)
        do {
            try StateDirectory.prepare(stateDirectory)
        } catch {
            logger.critical("\(error)")
            return 1
        }
        logger.info("config \(options.configPath), state directory \(stateDirectory)")

        let notifier = SystemdNotifier()
        let mailbox = ReloadMailbox()
        let output = options.tickOutput ?? (stdoutIsJournal() ? .none : .text)
        let ticks = TickService(config: config, options: options, mailbox: mailbox,
                                notifier: notifier, output: output, logger: logger)
        let reload = ReloadService(configPath: options.configPath, mailbox: mailbox, notifier: notifier, logger: logger)
        var groupConfig = ServiceGroupConfiguration(
            services: [
                .init(service: ticks, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "ticks"),
                .init(service: reload, serviceName: "reload"),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // systemd waits TimeoutStopSec; we promise far less so a stop never looks hung.
        groupConfig.maximumGracefulShutdownDuration = .milliseconds(1500)
        do {
            try await ServiceGroup(configuration: groupConfig).run()
        } catch {
            logger.critical("stopped by an error: \(error)")
            return 1
        }
        return 0
    }

    /// systemd sets JOURNAL_STREAM=<dev>:<inode> when stdout/stderr go to the journal; if
    /// stdout is that stream, per-tick lines would flood the journal (STATUS= carries them).
    static func stdoutIsJournal() -> Bool {
        guard let stream = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(STDOUT_FILENO, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}
