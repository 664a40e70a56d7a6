import CMalloc
import FoundationEssentials
import Glibc
import Logging
import ServiceLifecycle
import SurgeConfig
import SurgeDetection
import SurgeJournal
import SurgeStore
import Synchronization

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
    /// Runs until SIGTERM/SIGINT (or `maxTicks`); returns the process exit code. `loaded` is
    /// the result of reading `options.configPath` (SIGHUP reads that path again).
    public static func run(_ options: DaemonOptions, config loaded: Result<SurgeConfig, ConfigErrors>, logger: Logger) async -> Int32 {
        // Before any thread of the daemon starts: they all inherit the mask (DaemonSignals).
        DaemonSignals.block()
        // glibc raises its mmap threshold after the first large buffer is freed, and then serves
        // later large buffers (a reload's recall of stored ticks, the new pipeline's window and
        // replay buffer) from a heap that keeps their pages; with the threshold held at 128 KiB
        // they are mapped and unmapped whole, and a daemon that reloads stays within 2 MiB of
        // one that never did (Benchmarks/soak.py --reloads, BENCHMARKS.md). Ticks and learning
        // steps allocate no such buffers, so they cost the same.
        _ = mallopt(M_MMAP_THRESHOLD, 128 * 1024)
        let config: SurgeConfig
        switch loaded {
        case .success(let value):
            config = value
        case .failure(let error):
            for line in error.errors { logger.critical("\(line.description)") }
            return 1
        }
        let stateDirectory = StateDirectory.resolve(override: options.stateDirectory)
        do {
            try StateDirectory.prepare(stateDirectory, holding: config.store.path)
        } catch {
            logger.critical("\(error)")
            return 1
        }
        let storePath = StateDirectory.file(config.store.path, in: stateDirectory)
        var instanceLock: InstanceLock?
        do {
            instanceLock = try InstanceLock(databasePath: storePath, takesForget: true)
        } catch let error where error.isHeld {
            logger.critical("\(error)")
            return 1
        } catch {
            // A database that cannot be opened yet (its directory not mounted) is waited for
            // below; the start goes on without the guard rather than not at all.
            logger.warning("\(error); a second daemon on this database would not be refused")
        }
        defer { withExtendedLifetime(instanceLock) {} }  // held until the daemon's last write
        let store: SurgeStore
        do {
            // A file that cannot be opened yet (a full disk) must not leave the host unwatched:
            // the daemon predicts and alerts to the journal, and the rows wait for the file.
            // A damaged file is moved aside for a new one, as journald does with its own files.
            store = try SurgeStore(path: storePath, waitingForTheFile: true, settingAsideDamage: true)
        } catch {
            logger.critical("cannot open the database: \(error)")
            return 1
        }
        logger.info("config \(options.configPath), database \(storePath)")
        sayDatabaseFileChanges(store, logger: logger)
        if let reason = store.unavailable {
            logger.critical("cannot open the database yet: \(reason); predicting and alerting to the journal meanwhile, the rows wait in memory (up to \(store.maxPendingTicks) ticks) and the file is tried again each tick")
        }

        let model: ModelSource
        do {
            model = try ModelSource.choose(config: config, explicitPath: nil, stateDirectory: stateDirectory)
        } catch {
            logger.critical("cannot load the model: \(error)")
            return 1
        }

        let journal = JournalAlertSink(identifier: config.journal.identifier)
        let alertmanager = AlertmanagerSink(settings: config.alertmanager, logger: logger)
        let alerts = AlertFanOut([journal, SQLiteAlertSink(store: store), alertmanager])
        // Alerts an earlier run left open are closed (or one continued) by the ticks' service,
        // which knows whether this start resumes the window.

        let notifier = SystemdNotifier()
        let mailbox = ReloadMailbox()
        let forgetRequests = ForgetMailbox()
        let output = options.tickOutput ?? (stdoutIsJournal() ? .none : .text)
        let ticks = TickService(config: config, model: model, stateDirectory: stateDirectory, options: options, mailbox: mailbox,
                                forgetRequests: forgetRequests, store: store, alerts: alerts, alertmanager: alertmanager,
                                notifier: notifier, output: output, logger: logger) { continuing in
            closeAlertsLeftOpen(store: store, sinks: [journal, alertmanager], continuing: continuing, logger: logger)
        }
        let hangups = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let reload = ReloadService(configPath: options.configPath, hangups: hangups.stream, mailbox: mailbox, notifier: notifier, logger: logger)
        var groupConfig = ServiceGroupConfiguration(
            services: [
                .init(service: ticks, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "ticks"),
                .init(service: reload, serviceName: "reload"),
            ],
            // SIGTERM and SIGINT come from DaemonSignals, not ServiceLifecycle's Dispatch sources.
            gracefulShutdownSignals: [],
            logger: logger)
        // systemd waits TimeoutStopSec; we promise far less so a stop never looks hung: the
        // ticks' service arms a ShutdownDeadline (1.8 s, on a plain thread) at the stop request,
        // which ends the process if anything holds the stop up. Not the group's own bound: its
        // timer is a Task.sleep, which on this runtime goes to Dispatch whatever executor runs
        // it, starting Dispatch's threads at every stop (and the refused nice -4 with them).
        groupConfig.maximumGracefulShutdownDuration = nil
        let group = ServiceGroup(configuration: groupConfig)
        // A second stop signal (Ctrl-C twice; `timeout`, which signals the child and then its
        // whole group) changes nothing: the log says so rather than "stopping" again.
        let stopRequested = Atomic<Bool>(false)
        let waiting = DaemonSignals.startWaiting { signal in
            let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
            if signal == SIGHUP {
                hangups.continuation.yield()
            } else if signal == SIGUSR1 {
                forgetRequests.post()
            } else if stopRequested.exchange(true, ordering: .relaxed) {
                logger.notice("\(name) again: already stopping")
            } else {
                logger.notice("\(name): stopping")
                Task { await group.triggerGracefulShutdown() }
            }
        }
        guard waiting else {
            logger.critical("cannot start the thread that takes SIGTERM and SIGHUP")
            return 1
        }
        do {
            try await group.run()
        } catch {
            logger.critical("stopped by an error: \(error)")
            return 1
        }
        return 0
    }

    /// Alerts a crash or kill left open are closed at this start, with a note, in SQLite and in
    /// `sinks` (the journal, the Alertmanagers), so no `fired` entry stays without its
    /// `resolved`; but `continuing`, which this start goes on with.
    static func closeAlertsLeftOpen(store: SurgeStore, sinks: [any AlertSink], continuing: String?, logger: Logger) {
        do {
            let closed = try store.closeDanglingAlerts(at: store.startedAt, continuing: continuing)
            sayClosed(closed, logger: logger) { event in for sink in sinks { try? sink.deliver(event) } }
        } catch {
            logger.error("could not close alerts left open: \(error)")
        }
    }

    /// What happened to the database file since the store was last asked. A file removed or
    /// replaced under the daemon: a warning, since the rows written to it went with it. A
    /// damaged file moved aside: an error, since the rows on the damaged pages are lost to the
    /// daemon and the disk may be failing.
    static func sayDatabaseFileChanges(_ store: SurgeStore, logger: Logger) {
        for lost in store.takeLostFiles() { logger.warning("\(lost.message)") }
        for setAside in store.takeSetAside() {
            logger.error("\(setAside.message)", metadata: [JournalLogHandler.MessageID.key: "\(JournalLogHandler.MessageID.databaseSetAside)",
                                                           "moved_to": "\(setAside.movedTo)"])
        }
    }

    /// Logs alerts closed at this start and sends their `resolved` entries to `deliver`.
    static func sayClosed(_ closed: [AlertRecord], logger: Logger, deliver: (AlertEvent) -> Void) {
        for alert in closed {
            logger.warning("alert \(alert.id) (\(alert.kind.rawValue), fired \(TickLine.rfc3339(alert.firedAt))) was open when surgewatch last stopped; closed now")
            if let event = alert.resolvedEvent { deliver(event) }
        }
    }

    /// If stdout is the journal, per-tick lines would flood it (STATUS= carries them instead).
    static func stdoutIsJournal() -> Bool {
        isJournalStream(STDOUT_FILENO, journalStream: ProcessInfo.processInfo.environment["JOURNAL_STREAM"])
    }
}
