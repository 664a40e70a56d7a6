import Logging
import ServiceLifecycle
import Synchronization
import SurgeConfig
import SurgeJournal

/// Hands a validated configuration from the SIGHUP handler to the tick loop, which applies it
/// at the start of its next tick.
public final class ReloadMailbox: Sendable {
    private let pending = Mutex<SurgeConfig?>(nil)

    public init() {}

    public func post(_ config: SurgeConfig) { pending.withLock { $0 = config } }
    public func take() -> SurgeConfig? { pending.withLock { value in defer { value = nil }; return value } }
}

/// `surgewatch forget` asked (SIGUSR1): the tick loop looks for the request between ticks.
public final class ForgetMailbox: Sendable {
    private let asked = Atomic<Bool>(false)

    public init() {}

    public func post() { asked.store(true, ordering: .relaxed) }
    public func take() -> Bool { asked.exchange(false, ordering: .relaxed) }
}

/// On SIGHUP: tells systemd it is reloading, reads and validates the config file, and either
/// posts it for the next tick or logs every error and keeps the running config.
final class ReloadService: Service {
    let configPath: String
    /// One element per SIGHUP (DaemonSignals); hangups while a reload runs fold into one more.
    let hangups: AsyncStream<Void>
    let mailbox: ReloadMailbox
    let notifier: SystemdNotifier
    let logger: Logger

    init(configPath: String, hangups: AsyncStream<Void>, mailbox: ReloadMailbox, notifier: SystemdNotifier, logger: Logger) {
        self.configPath = configPath
        self.hangups = hangups
        self.mailbox = mailbox
        self.notifier = notifier
        self.logger = logger
    }

    func run() async throws {
        for await _ in hangups.cancelOnGracefulShutdown() {
            notifier.reloading()
            do {
                let config = try ConfigLoader.load(path: configPath)
                mailbox.post(config)
                logger.notice("SIGHUP: \(configPath) is valid; it applies from the next tick")
            } catch {
                for line in error.errors {
                    logger.error("SIGHUP: \(line.description)")
                }
                logger.error("SIGHUP: \(configPath) rejected (\(error.errors.count) error(s)); the running configuration stays")
            }
            notifier.ready(status: "configuration reload handled")
        }
    }
}
