import ArgumentParser
import Glibc
import Logging
import SurgeConfig
import SurgeDaemon
import SurgeDetection
import SurgeJournal
import SurgeSampling
import SurgeStore

struct TestAlertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-alert",
        abstract: "Send a test alert (fired, escalated, resolved) to journald, the database and the [alertmanager] URLs.",
        discussion: """
            Every entry says TEST and carries SURGE_TEST=1, so filters and dashboards can be \
            checked end to end:
              journalctl -t surgewatch SURGE_TEST=1 -o json
            An Alertmanager gets OverloadPredicted and OverloadBreached with the label \
            test="true", firing for 5 minutes, so its receivers are reached too.
            """)

    @Option(help: "The config file (journal.identifier, store.path, [alertmanager]).", completion: .file())
    var config = ConfigLoader.defaultPath

    @Option(help: "The state directory relative store paths live in.", completion: .directory)
    var stateDir: String?

    func run() throws {
        var loaded: SurgeConfig
        do {
            loaded = try ConfigLoader.load(path: config, sourceFiles: false)
            // Only then are the request options' files read (an Alertmanager's token or TLS
            // files), with the sources': a config without one needs no secret read.
            if !loaded.alertmanager.urls.isEmpty { loaded = try ConfigLoader.load(path: config) }
        } catch {
            writeAll(error.description + "\n", to: STDERR_FILENO)
            throw ExitCode(1)
        }
        let directory = StateDirectory.resolve(override: stateDir)
        let store: SurgeStore
        do {
            try StateDirectory.prepare(directory, holding: loaded.store.path)
            store = try SurgeStore(path: StateDirectory.file(loaded.store.path, in: directory))
        } catch {
            writeAll("surgewatch test-alert: \(error)\n", to: STDERR_FILENO)
            throw ExitCode(1)
        }
        let journal = JournalAlertSink(identifier: loaded.journal.identifier)
        // Its failures are said below, once each, not logged as the daemon logs them.
        let alertmanager = AlertmanagerSink(settings: loaded.alertmanager, logger: Logger(label: "surgewatch") { _ in SwiftLogNoOpLogHandler() })
        let fanOut = AlertFanOut([journal, SQLiteAlertSink(store: store), alertmanager])
        let id = AlertEvent.newID()
        let start = Double(time(nil))
        let horizon = Double(loaded.model.horizonTicks) * loaded.sampling.interval.seconds
        func event(_ kind: AlertEvent.Event, _ alertKind: AlertEvent.Kind, _ offset: Double, _ p: Double) -> AlertEvent {
            var event = AlertEvent(alertID: id, event: kind, kind: alertKind, at: start + offset, probability: p,
                                   peakProbability: 0.95, horizonSeconds: horizon,
                                   escalatedFrom: kind == .fired && alertKind == .breached ? .predicted : nil,
                                   firedAt: kind == .resolved ? start : nil,
                                   note: kind == .resolved ? "test alert from surgewatch test-alert" : nil)
            event.isTest = true
            return event
        }
        // Like a real predicted alert, it quotes how such a p came true here, once the stored
        // history has enough ticks in its band (so the SURGE_P_* fields can be checked too).
        var predicted = event(.fired, .predicted, 0, 0.9)
        let stored = try? Reliability.stored(in: store.path, config: loaded)
        predicted.pastOutcome = stored.flatMap { RunningReliability(horizon: loaded.model.horizonTicks, table: $0).outcome(of: 0.9) }
        // With sales announced, it names the next one as a predicted alert in its window would
        // (SURGE_SALE_START), so the schedule's part of the message can be seen too.
        predicted.saleStart = loaded.schedule.nextStart(after: start)
        // And the `fire_when` levels, as an alert that a level fired names those that held
        // (SURGE_SALE_LEVEL).
        if predicted.saleStart != nil, !loaded.schedule.fireWhen.isEmpty {
            predicted.saleLevel = loaded.schedule.fireWhen.map(\.description).joined(separator: " or ")
        }
        // And the rule one tick from holding, as an alert fired on a pending rule names it
        // (SURGE_RULE_PENDING), when the config fires there.
        if loaded.alert.firePendingProbability < 1 {
            predicted.rulePending = OverloadRule.pendingDescription(of: loaded.overload)
        }
        var failures: [AlertFanOut.Failure] = []
        for step in [predicted, event(.fired, .breached, 0, 0.95), event(.resolved, .breached, 0, 0.1)] {
            failures += fanOut.deliver(step)
        }
        do {
            try store.commit()
        } catch {
            writeAll("surgewatch test-alert: database: \(error)\n", to: STDERR_FILENO)
            throw ExitCode(1)
        }
        for failure in failures { writeAll("surgewatch test-alert: \(failure)\n", to: STDERR_FILENO) }
        let unsent = alertmanager.waitUntilSent(within: loaded.alertmanager.timeout.seconds + 1)
        alertmanager.stop(waitingUpTo: 0)
        for (url, error) in unsent {
            writeAll("surgewatch test-alert: test alert \(id) not delivered to Alertmanager \(url): \(error)\n", to: STDERR_FILENO)
        }
        // The daemon goes on to stderr without journald; a test of the path it takes must not pass.
        guard !journal.fellBackToStderr else {
            writeAll("surgewatch test-alert: test alert \(id) is in the database, but journald did not get it (written to stderr above), "
                     + "so journalctl and what forwards the journal will not show it\n", to: STDERR_FILENO)
            throw ExitCode(1)
        }
        print("sent test alert \(id): journalctl -t \(loaded.journal.identifier) SURGE_ALERT_ID=\(id)")
        let reached = loaded.alertmanager.endpoints.filter { url in !unsent.contains { $0.url == url } }
        if !reached.isEmpty {
            print("and to \(reached.joined(separator: ", ")): OverloadPredicted and OverloadBreached with test=\"true\", firing for 5 minutes")
        }
        if !failures.isEmpty || !unsent.isEmpty { throw ExitCode(1) }
    }
}
