import ArgumentParser
import Glibc
import SurgeConfig
import SurgeDaemon
import SurgeJournal
import SurgeStore

struct ForgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Forget a span of ticks whose metrics or SLO labels were wrong, so online learning does not learn from them.",
        discussion: """
            Deletes the span's samples and predictions, and the checkpoints saved since it \
            began, so that learning resumes from the weights of before it; alerts are kept. \
            Without --yes it only says what it would delete. A running daemon is asked to \
            forget it itself (SIGUSR1), since it holds what it learned from the span, and \
            starts its pipeline again from what stays, without a stop:
              surgewatch forget --from 2026-12-07T10:00:00Z --to 2026-12-07T13:00:00Z --yes
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Where the span begins: a time (2026-12-07T10:00:00Z, or with an offset such as +08:00) or how long ago (3h).")
    var from: String

    @Option(help: "Where it ends, written the same way (default: now).")
    var to: String?

    @Flag(help: "Delete; without it, only say what would be deleted.")
    var yes = false

    func validate() throws {
        _ = try HistorySpan.moment(from, option: "--from", now: 0)
        _ = try to.map { try HistorySpan.moment($0, option: "--to", now: 0) }
    }

    func run() throws {
        let (path, config) = try database.resolve()
        let identifier = config.journal.identifier
        let now = HistorySpan.now()
        let start = try HistorySpan.moment(from, option: "--from", now: now)
        let end = try to.map { try HistorySpan.moment($0, option: "--to", now: now) } ?? now
        guard start < end else {
            throw ValidationError("--to (\(RFC3339.format(end))) must be later than --from (\(RFC3339.format(start)))")
        }
        let span = "\(RFC3339.format(start)) to \(RFC3339.format(end))"
        try reportingFailures {
            guard yes else {
                let found = try ForgottenSpan.find(in: path, from: start, to: end)
                print("\(path), \(span): would forget \(found.summary); \(found.resumption). Alerts are kept.")
                print("Nothing was changed: run this again with --yes (a running daemon forgets it itself).")
                return
            }
            // No daemon may write the file meanwhile: it would save its learned weights again.
            let lockExisted = access(path + ".lock", F_OK) == 0
            let lock: InstanceLock
            do {
                lock = try InstanceLock(databasePath: path)
            } catch let error as InstanceLockError {
                guard case .held(_, let pid) = error else { throw error }
                guard let pid, InstanceLock.holderTakesForget(databasePath: path) else {
                    // A surgewatch from before the requests: SIGUSR1 would end it.
                    throw ToolFailure("another surgewatch\(pid.map { " (pid \($0))" } ?? "") is running on \(path), one that takes no "
                                      + "request to forget: stop it first (systemctl stop surgewatch), then forget, then start it; nothing was changed")
                }
                try RunningDaemonForget(path: path, pid: pid, from: start, to: end, interval: config.sampling.interval).ask()
                return
            }
            // A lock file made here by root belongs to the database's owner (the unit's dynamic
            // user, as SQLite does with its own -wal and -shm), or the daemon could not open it.
            var owner = stat()
            if !lockExisted, stat(path, &owner) == 0 { _ = chown(path + ".lock", owner.st_uid, owner.st_gid) }
            let forgotten = try withExtendedLifetime(lock) { try ForgottenSpan.forget(in: path, from: start, to: end) }
            let said = "\(path), \(span): forgot \(forgotten.summary); \(forgotten.resumption). Alerts are kept."
            print(said)
            // An operator's deletion of history belongs in the journal beside the daemon's lines.
            try? JournalEntry.send([
                ("MESSAGE", "surgewatch forget: " + said), ("PRIORITY", "5"), ("SYSLOG_IDENTIFIER", identifier),
                ("MESSAGE_ID", JournalLogHandler.MessageID.spanForgotten), ("SURGE_DATABASE", path),
                ("SURGE_FORGOT_FROM", RFC3339.format(start)), ("SURGE_FORGOT_TO", RFC3339.format(end)),
                ("SURGE_FORGOT_SAMPLES", "\(forgotten.samples)"), ("SURGE_FORGOT_CHECKPOINTS", "\(forgotten.checkpoints)"),
            ])
        }
    }

}
