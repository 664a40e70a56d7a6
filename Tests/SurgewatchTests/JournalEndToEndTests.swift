import Foundation
import Testing
import SurgeConfig
import SurgeDetection
import SurgeJournal
import SurgeSampling
import SurgeStore

/// A real systemd-journald, private to each test (see scripts/with-private-journald), read
/// back with `journalctl -o json`.
@Suite(.serialized, .enabled(if: PrivateJournal.available, "needs root, unshare and systemd-journald"))
struct JournalEndToEndTests {
    static let fixtures = DaemonEndToEndTests.fixtures

    func config(identifier: String = "shop-surge") -> String {
        DaemonEndToEndTests.config(procRoot: Self.fixtures + "/t2") + "[journal]\nidentifier = \"\(identifier)\"\n"
    }

    @Test func testAlertEntriesCarryEveryContractField() throws {
        let scratch = try Scratch(config: config())
        let run = try PrivateJournal.run(["test-alert", "--config", scratch.config, "--state-dir", scratch.state])
        #expect(run.status == 0, "\(run.stderr)")
        let entries = run.entries.filter { $0["SURGE_TEST"] == "1" }
        #expect(entries.count == 3)
        guard entries.count == 3 else { return }
        let expected: [(event: String, kind: String, priority: String, id: String)] = [
            ("fired", "predicted", "4", JournalAlertSink.MessageID.predictedFired),
            ("fired", "breached", "2", JournalAlertSink.MessageID.breachedFired),
            ("resolved", "breached", "5", JournalAlertSink.MessageID.resolved),
        ]
        for (entry, want) in zip(entries, expected) {
            #expect(entry["SYSLOG_IDENTIFIER"] == "shop-surge")
            #expect(entry["SURGE_EVENT"] == want.event)
            #expect(entry["SURGE_KIND"] == want.kind)
            #expect(entry["PRIORITY"] == want.priority)
            #expect(entry["MESSAGE_ID"] == want.id)
            #expect(entry["MESSAGE"]?.hasPrefix("TEST (no overload): ") == true)
            for field in ["SURGE_PROBABILITY", "SURGE_ALERT_ID", "SURGE_HORIZON_SECONDS", "SURGE_TOP_FEATURES"] {
                #expect(entry[field] != nil, "\(field) missing")
            }
            #expect(entry["SURGE_HORIZON_SECONDS"] == "3")
        }
        let id = try #require(entries[0]["SURGE_ALERT_ID"])
        #expect(entries.allSatisfy { $0["SURGE_ALERT_ID"] == id }, "one id from fired to resolved")
        #expect(entries[1]["SURGE_ESCALATED_FROM"] == "predicted")
        #expect(entries[2]["SURGE_NOTE"] == "test alert from surgewatch test-alert")
        #expect(entries[0]["SURGE_P_BAND"] == nil, "no stored history to say how p came true here")

        // The database and `surgewatch alerts` agree with the journal.
        let (code, json, _) = try DaemonProcess.run(["alerts", "--config", scratch.config, "--state-dir", scratch.state, "--json"])
        #expect(code == 0)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        #expect(list.count == 1)
        #expect(list.first?["id"] as? String == id)
        #expect(list.first?["kind"] as? String == "breached")
        #expect(list.first?["resolved_at"] is String)
        #expect(list.first?["message"] as? String == entries[0]["MESSAGE"])
    }

    /// With a stored history in which p 0.8-0.95 came true 6 times of 24 before a breach, a
    /// predicted alert at p 0.9 (the test alert's) quotes it in its message and its fields.
    @Test func aPredictedAlertQuotesHowItsBandCameTrueHere() throws {
        let scratch = try Scratch(config: config())
        try FileManager.default.createDirectory(atPath: scratch.state, withIntermediateDirectories: true)
        let store = try SurgeStore(path: scratch.state + "/surgewatch.db")
        let start = Double(time(nil)) - 86400
        // 24 rounds of 5 ticks: p 0.9 then four at p 0.05; every fourth round breaches on its
        // second tick, within the horizon (3 ticks) of the 0.9.
        for index in 0..<120 {
            let round = index / 5, position = index % 5
            let overload = round % 4 == 0 && position == 1
            store.stage(PredictionRecord(timestamp: start + Double(index), tick: index + 1,  // the config's 1 s ticks
                                         probability: position == 0 ? 0.9 : 0.05, state: overload ? "breached" : "normal", label: overload))
        }
        try store.commit()

        let run = try PrivateJournal.run(["test-alert", "--config", scratch.config, "--state-dir", scratch.state])
        #expect(run.status == 0, "\(run.stderr)")
        let predicted = try #require(run.entries.first { $0["SURGE_TEST"] == "1" && $0["SURGE_KIND"] == "predicted" })
        #expect(predicted["SURGE_P_BAND"] == "0.80-0.95")
        #expect(predicted["SURGE_P_BAND_TICKS"] == "24")
        #expect(predicted["SURGE_P_CAME_TRUE"] == "0.2500")
        #expect(predicted["MESSAGE"]?.contains("(p=0.90; here p 0.80-0.95 came true 25 % of 24 times)") == true, "\(predicted["MESSAGE"] ?? "")")
        let breached = try #require(run.entries.first { $0["SURGE_TEST"] == "1" && $0["SURGE_KIND"] == "breached" })
        #expect(breached["SURGE_P_BAND"] == nil)
    }

    /// With sales announced, the predicted entry names the next one, as an alert fired in a
    /// sale's window does (`[schedule]`).
    @Test func aPredictedAlertNamesTheAnnouncedSale() throws {
        let scratch = try Scratch(config: config() + "[schedule]\nsales = [\"2000-01-01T00:00:00Z\", \"2999-12-12T12:00:00Z\"]\n")
        let run = try PrivateJournal.run(["test-alert", "--config", scratch.config, "--state-dir", scratch.state])
        #expect(run.status == 0, "\(run.stderr)")
        let predicted = try #require(run.entries.first { $0["SURGE_TEST"] == "1" && $0["SURGE_KIND"] == "predicted" })
        #expect(predicted["SURGE_SALE_START"] == "2999-12-12T12:00:00Z", "the next sale, not the past one")
        #expect(predicted["MESSAGE"]?.contains("(p=0.90; sale at 2999-12-12T12:00:00Z)") == true, "\(predicted["MESSAGE"] ?? "")")
        let breached = try #require(run.entries.first { $0["SURGE_TEST"] == "1" && $0["SURGE_KIND"] == "breached" })
        #expect(breached["SURGE_SALE_START"] == nil)
        #expect(predicted["SURGE_SALE_LEVEL"] == nil, "no fire_when in this config")
    }

    /// With `[schedule] fire_when`, the predicted entry names the levels too, as an alert that
    /// a level fired on the tick before a start names the one that held.
    @Test func aPredictedAlertNamesTheSaleLevel() throws {
        let scratch = try Scratch(config: config() + "[schedule]\nsales = [\"2999-12-12T12:00:00Z\"]\n"
                                  + "fire_when = [\"cpu_busy >= 0.3\", \"load1 > 4\"]\n")
        let run = try PrivateJournal.run(["test-alert", "--config", scratch.config, "--state-dir", scratch.state])
        #expect(run.status == 0, "\(run.stderr)")
        let predicted = try #require(run.entries.first { $0["SURGE_TEST"] == "1" && $0["SURGE_KIND"] == "predicted" })
        #expect(predicted["SURGE_SALE_LEVEL"] == "cpu_busy >= 0.3 or load1 > 4")
        #expect(predicted["MESSAGE"]?.contains("(p=0.90; sale at 2999-12-12T12:00:00Z, host past cpu_busy >= 0.3 or load1 > 4)") == true,
                "\(predicted["MESSAGE"] ?? "")")
        let breached = try #require(run.entries.first { $0["SURGE_TEST"] == "1" && $0["SURGE_KIND"] == "breached" })
        #expect(breached["SURGE_SALE_LEVEL"] == nil)
    }

    /// With `[alert] fire_on_pending_probability`, the predicted test entry names the rule as an
    /// alert fired on a pending rule would.
    @Test func aPredictedTestAlertNamesThePendingRule() throws {
        let scratch = try Scratch(config: config() + "[overload]\nany = [\"load1 > 4\"]\nfor_ticks = 6\n"
                                  + "[alert]\nfire_on_pending_probability = 0.6\n")
        let run = try PrivateJournal.run(["test-alert", "--config", scratch.config, "--state-dir", scratch.state])
        #expect(run.status == 0, "\(run.stderr)")
        let predicted = try #require(run.entries.first { $0["SURGE_TEST"] == "1" && $0["SURGE_KIND"] == "predicted" })
        #expect(predicted["SURGE_RULE_PENDING"] == "load1 > 4 held 5 of 6 ticks")
        #expect(predicted["MESSAGE"]?.contains("; SLO rule load1 > 4 held 5 of 6 ticks)") == true, "\(predicted["MESSAGE"] ?? "")")
        let breached = try #require(run.entries.first { $0["SURGE_TEST"] == "1" && $0["SURGE_KIND"] == "breached" })
        #expect(breached["SURGE_RULE_PENDING"] == nil)
        let plain = try PrivateJournal.run(["test-alert", "--config", try Scratch(config: config()).config, "--state-dir", scratch.state])
        #expect(plain.entries.allSatisfy { $0["SURGE_RULE_PENDING"] == nil }, "not set: not named")
    }

    /// The journal's `fired` entries of `surgewatch run` for `ticks` ticks under `config`.
    func firedByTheDaemon(_ config: String, ticks: Int) throws -> (Scratch, [[String: String]]) {
        let scratch = try Scratch(config: config)
        let run = try PrivateJournal.run(["run", "--config", scratch.config, "--state-dir", scratch.state,
                                          "--max-ticks", "\(ticks)", "--tick-output", "none"])
        #expect(run.status == 0, "\(run.stderr)")
        return (scratch, run.entries.filter { $0["SURGE_EVENT"] == "fired" })
    }

    /// The daemon itself: on the last tick before an announced sale, with the host past a
    /// `fire_when` level (the fixture's load1 is 1.02), a predicted alert fires whatever p (no
    /// p yet here: the window is still filling) and journald gets the level in its own field.
    @Test func theDaemonFiresOnASaleLevelAndNamesItInTheJournal() throws {
        let start = (Double(time(nil)) + 5).rounded(.up)  // room for a slow start on a busy machine
        let (scratch, fired) = try firedByTheDaemon(config() + "[schedule]\nsales = [\"\(RFC3339.format(start))\"]\n"
                                                    + "fire_when = [\"load1 >= 1\", \"load1 >= 50\"]\n", ticks: 9)
        #expect(fired.count == 1, "\(fired)")
        let predicted = try #require(fired.first)
        #expect(predicted["SURGE_KIND"] == "predicted")
        #expect(predicted["SURGE_SALE_LEVEL"] == "load1 >= 1", "the condition that held, not the one that did not")
        #expect(predicted["SURGE_SALE_START"] == RFC3339.format(start))
        #expect(predicted["SURGE_PROBABILITY"] == nil, "fired before the model had a window to predict from")
        #expect(predicted["MESSAGE"]?.contains("sale at \(RFC3339.format(start)), host past load1 >= 1)") == true,
                "\(predicted["MESSAGE"] ?? "")")
        let stored = try #require(try AlertHistory(path: scratch.state + "/surgewatch.db").alerts(since: nil).first)
        #expect(stored.kind == .predicted && stored.message.contains("host past load1 >= 1"), "\(stored)")
    }

    /// The daemon with a rule held for 3 ticks (the fixture's load1 is 1.02 at every tick) and
    /// `fire_on_pending_probability = 0`: a predicted alert on the second tick names the rule
    /// in its own field, and the breach on the third escalates it.
    @Test func theDaemonFiresOnAPendingRuleAndNamesItInTheJournal() throws {
        let (scratch, fired) = try firedByTheDaemon(config() + "[overload]\nany = [\"load1 > 1\"]\nfor_ticks = 3\n"
                                                    + "[alert]\nfire_on_pending_probability = 0\n", ticks: 4)
        #expect(fired.map { $0["SURGE_KIND"] } == ["predicted", "breached"], "\(fired)")
        let predicted = try #require(fired.first)
        #expect(predicted["SURGE_RULE_PENDING"] == "load1 > 1 held 2 of 3 ticks")
        #expect(predicted["MESSAGE"]?.contains("; SLO rule load1 > 1 held 2 of 3 ticks)") == true, "\(predicted["MESSAGE"] ?? "")")
        #expect(fired.last?["SURGE_RULE_PENDING"] == nil)
        #expect(fired.last?["SURGE_ALERT_ID"] == predicted["SURGE_ALERT_ID"], "one alert, escalated")
        let stored = try #require(try AlertHistory(path: scratch.state + "/surgewatch.db").alerts(since: nil).first)
        #expect(stored.message.contains("SLO rule load1 > 1 held 2 of 3 ticks"), "\(stored)")
    }

    /// A predicted alert that ends without a breach says how near the SLO rule came, in its
    /// resolved entry (MESSAGE, SURGE_NOTE, SURGE_RULE_APPROACH) and in the database's note:
    /// a sale level fires it (the fixture's load1 is 1.02), the rule load1 > 50 never holds.
    @Test func aWarningThatEndsWithoutABreachSaysHowNearTheRuleCame() throws {
        let start = (Double(time(nil)) + 5).rounded(.up)
        let scratch = try Scratch(config: config() + "[overload]\nany = [\"load1 > 50\"]\n[schedule]\nsales = [\"\(RFC3339.format(start))\"]\n"
                                  + "fire_when = [\"load1 >= 1\"]\n")
        let run = try PrivateJournal.run(["run", "--config", scratch.config, "--state-dir", scratch.state,
                                          "--max-ticks", "12", "--tick-output", "none"])
        #expect(run.status == 0, "\(run.stderr)")
        let text = "SLO rule not broken: load1 up to 1.02 (rule > 50)"
        let resolved = try #require(run.entries.first { $0["SURGE_EVENT"] == "resolved" }, "\(run.entries)")
        #expect(resolved["SURGE_KIND"] == "predicted")
        #expect(resolved["SURGE_NOTE"] == text)
        #expect(resolved["MESSAGE"]?.hasSuffix("): " + text) == true, "\(resolved["MESSAGE"] ?? "")")
        let approach = try #require(resolved["SURGE_RULE_APPROACH"])
        #expect(approach.hasPrefix("{\"reached\":[{\"condition\":\"load1 > 50\",\"value\":1.02}],\"longest_run\":0,\"for_ticks\":1,"), "\(approach)")
        #expect(run.entries.first { $0["SURGE_EVENT"] == "fired" }?["SURGE_RULE_APPROACH"] == nil)
        let stored = try #require(try AlertHistory(path: scratch.state + "/surgewatch.db").alerts(since: nil).first)
        #expect(stored.note == text && stored.resolvedAt != nil, "\(stored)")
    }

    @Test func daemonLogsAreStructuredJournalEntries() throws {
        let scratch = try Scratch(config: config())
        let run = try PrivateJournal.run(["run", "--config", scratch.config, "--state-dir", scratch.state,
                                          "--max-ticks", "2", "--tick-output", "none", "--log-target", "journal"])
        #expect(run.status == 0, "\(run.stderr)")
        let sampling = try #require(run.entries.first { $0["MESSAGE"]?.hasPrefix("sampling 29 metrics") == true }, "\(run.entries.count) entries")
        #expect(sampling["SYSLOG_IDENTIFIER"] == "shop-surge")
        #expect(sampling["PRIORITY"] == "5", "notice")
        #expect(sampling["CODE_FILE"]?.hasSuffix("TickService.swift") == true)
        #expect(sampling["CODE_LINE"].flatMap { Int($0) } != nil)
        #expect(sampling["CODE_FUNC"] != nil)
        let stopped = try #require(run.entries.first { $0["MESSAGE"] == "stopped after 2 ticks" })
        #expect(stopped["PRIORITY"] == "5")
        #expect(run.stderr.isEmpty, "logs went to the journal, not stderr: \(run.stderr)")
    }

    /// The database of an earlier run in the scratch state directory: `ticks` of load1 (the
    /// tick number), `every` seconds apart from 2023-11-14T22:13:20Z. Its path.
    static func storeTicks(_ ticks: ClosedRange<Int>, every seconds: Double, in scratch: Scratch) throws -> String {
        try FileManager.default.createDirectory(atPath: scratch.state, withIntermediateDirectories: true)
        let path = scratch.state + "/surgewatch.db"
        let store = try SurgeStore(path: path)
        let schema = MetricSchema(["load1"])
        for tick in ticks { store.stage(Sample(timestamp: 1_700_000_000 + Double(tick) * seconds, tick: tick, schema: schema, values: [Double(tick)])) }
        try store.commit()
        return path
    }

    /// A damaged database set aside at start is an error entry with its catalog's MESSAGE_ID
    /// (`journalctl -x` explains it) and the moved file's path as a field of its own.
    @Test func aDatabaseSetAsideIsAnErrorEntryTheCatalogExplains() throws {
        let scratch = try Scratch(config: config())
        let path = try Self.storeTicks(1...300, every: 1, in: scratch)
        let page = try damageSamplesPage(of: path)
        let run = try PrivateJournal.run(["run", "--config", scratch.config, "--state-dir", scratch.state,
                                          "--max-ticks", "1", "--tick-output", "none", "--log-target", "journal"])
        #expect(run.status == 0, "\(run.stderr)")
        let entry = try #require(run.entries.first { $0["MESSAGE_ID"] == JournalLogHandler.MessageID.databaseSetAside }, "\(run.entries.count) entries")
        #expect(entry["PRIORITY"] == "3")
        let movedTo = try #require(entry["SURGE_MOVED_TO"])
        #expect(movedTo.hasPrefix(path + ".damaged-") && FileManager.default.fileExists(atPath: movedTo), "\(movedTo)")
        #expect(entry["MESSAGE"]?.hasPrefix("\(path) is damaged (On tree page \(page) cell ") == true, "\(entry["MESSAGE"] ?? "")")
        #expect(entry["SURGE_MESSAGE_ID"] == nil, "journald's own field, not a SURGE_ one")
    }

    /// `surgewatch forget` leaves a notice in the journal, under the config's identifier, that
    /// the catalog explains: an operator's deletion of history is found beside the daemon's lines.
    @Test func aForgottenSpanIsANoticeTheCatalogExplains() throws {
        let scratch = try Scratch(config: config())
        let path = try Self.storeTicks(1...100, every: 10, in: scratch)
        let run = try PrivateJournal.run(["forget", "--config", scratch.config, "--state-dir", scratch.state,
                                          "--from", "2023-11-14T22:15:00Z", "--to", "2023-11-14T22:20:00Z", "--yes"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains(": forgot 31 ticks' samples, "), "\(run.stdout)")
        let entry = try #require(run.entries.first { $0["MESSAGE_ID"] == JournalLogHandler.MessageID.spanForgotten }, "\(run.entries)")
        #expect(entry["PRIORITY"] == "5" && entry["SYSLOG_IDENTIFIER"] == "shop-surge")
        #expect(entry["MESSAGE"] == "surgewatch forget: " + run.stdout.dropLast(), "\(entry)")
        #expect(entry["SURGE_DATABASE"] == path && entry["SURGE_FORGOT_FROM"] == "2023-11-14T22:15:00Z"
                && entry["SURGE_FORGOT_TO"] == "2023-11-14T22:20:00Z" && entry["SURGE_FORGOT_SAMPLES"] == "31", "\(entry)")
    }

    @Test func anAlertLeftOpenByACrashIsResolvedInTheJournalAtRestart() throws {
        let scratch = try Scratch(config: config())
        try FileManager.default.createDirectory(atPath: scratch.state, withIntermediateDirectories: true)
        do {
            let store = try SurgeStore(path: scratch.state + "/surgewatch.db")
            try SQLiteAlertSink(store: store).deliver(AlertEvent(
                alertID: "0123456789abcdef0123456789abcdef", event: .fired, kind: .predicted, at: 1_700_000_000,
                probability: 0.9, peakProbability: 0.93, horizonSeconds: 30))
            try store.commit()
        }
        let run = try PrivateJournal.run(["run", "--config", scratch.config, "--state-dir", scratch.state,
                                          "--max-ticks", "1", "--tick-output", "none"])
        #expect(run.status == 0, "\(run.stderr)")
        let resolved = try #require(run.entries.first { $0["SURGE_ALERT_ID"] == "0123456789abcdef0123456789abcdef" })
        #expect(resolved["SURGE_EVENT"] == "resolved")
        #expect(resolved["MESSAGE_ID"] == JournalAlertSink.MessageID.resolved)
        #expect(resolved["PRIORITY"] == "5")
        #expect(resolved["SURGE_NOTE"] == AlertRecord.restartNote)
        #expect(resolved["SURGE_PROBABILITY"] == nil, "closed at restart: no prediction behind it, so no probability")
        #expect(resolved["SURGE_PEAK_PROBABILITY"] == "0.9300")
        #expect(run.stderr.contains("was open when surgewatch last stopped; closed now"))
        let row = try #require(try AlertHistory(path: scratch.state + "/surgewatch.db").alerts(since: nil).first)
        #expect(row.resolvedAt != nil && row.note == AlertRecord.restartNote)
    }

    @Test func withoutAJournalSocketAlertsGoToStderrWithOneWarning() throws {
        let scratch = try Scratch(config: config())
        let run = try PrivateJournal.run(["test-alert", "--config", scratch.config, "--state-dir", scratch.state], listener: .absent)
        // The alerts go on to stderr, as the daemon's do; the test of the journal path fails.
        #expect(run.status == 1, "\(run.stderr)")
        #expect(!run.stdout.contains("sent test alert"), "\(run.stdout)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.filter { $0.contains("warning: journald is not listening") }.count == 1)
        #expect(lines.last?.hasSuffix("is in the database, but journald did not get it (written to stderr above), "
                                      + "so journalctl and what forwards the journal will not show it") == true, "\(lines)")
        #expect(lines.filter { $0.hasPrefix("shop-surge: alert: TEST (no overload)") }.count == 3)
        #expect(lines.contains { $0.contains("SURGE_EVENT=resolved") && $0.contains("SURGE_ALERT_ID=") })
        #expect(try AlertHistory(path: scratch.state + "/surgewatch.db").alerts(since: nil).count == 1, "SQLite still got it")
    }

    /// Two ticks of `run` logging to the journal, with `listener` at its socket: the scratch
    /// directory and the lines the run wrote to stderr, once it exited 0.
    func twoTicksLoggedToTheJournal(_ listener: PrivateJournal.Listener) throws -> (Scratch, [String]) {
        let scratch = try Scratch(config: config())
        let run = try PrivateJournal.run(["run", "--config", scratch.config, "--state-dir", scratch.state,
                                          "--max-ticks", "2", "--tick-output", "none", "--log-target", "journal"], listener: listener)
        #expect(run.status == 0, "logging that finds no journald stops nothing: \(run.stderr)")
        return (scratch, run.stderr.split(separator: "\n").map(String.init))
    }

    @Test func aJournalSocketNobodyReadsRefusesAndEverythingGoesToStderr() throws {
        let (scratch, lines) = try twoTicksLoggedToTheJournal(.dead)
        #expect(lines.filter { $0.hasSuffix("warning: journald refused the entry: Connection refused; log lines are written to stderr instead") }.count == 1,
                "\(lines)")
        #expect(lines.filter { $0.hasPrefix("notice ") && $0.hasSuffix(": stopped after 2 ticks") }.count == 1, "\(lines)")
        let alert = try PrivateJournal.run(["test-alert", "--config", scratch.config, "--state-dir", scratch.state], listener: .dead)
        #expect(alert.status == 1, "\(alert.stderr)")
        let alertLines = alert.stderr.split(separator: "\n")
        #expect(alertLines.filter { $0.hasSuffix("warning: journald refused the entry: Connection refused; alerts are written to stderr instead") }.count == 1,
                "\(alertLines)")
        #expect(alertLines.filter { $0.hasPrefix("shop-surge: alert: TEST (no overload)") }.count == 3)
    }

    @Test func withoutAJournalSocketLogLinesGoToStderrAndTheRunGoesOn() throws {
        let (scratch, lines) = try twoTicksLoggedToTheJournal(.absent)
        #expect(lines.filter { $0.contains("warning: journald is not listening") && $0.hasSuffix("log lines are written to stderr instead") }.count == 1,
                "one warning, not one per line: \(lines)")
        // Each entry that found no journald is one plain line, its level first, none lost or doubled.
        #expect(lines.filter { $0.hasPrefix("notice ") && $0.contains(": sampling 29 metrics") }.count == 1, "\(lines)")
        #expect(lines.filter { $0.hasPrefix("notice ") && $0.hasSuffix(": stopped after 2 ticks") }.count == 1, "\(lines)")
        #expect(!lines.contains { $0.contains("MESSAGE=") || $0.contains("CODE_FILE=") }, "plain lines, not journal fields")
        let database = try SQLiteDatabase(path: scratch.state + "/surgewatch.db", mode: .readOnly)
        #expect(try database.rows("SELECT tick FROM samples ORDER BY id") == [[.integer(1)], [.integer(2)]], "the ticks were stored")
    }
}

/// Runs the built binary inside scripts/with-private-journald.
enum PrivateJournal {
    static let script = DaemonProcess.repository + "/scripts/with-private-journald"

    static let available = MountNamespace.available && FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd-journald")

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Every journal entry, each field as text.
        var entries: [[String: String]]
    }

    /// What listens at journald's socket: journald, nothing (no socket file), or a socket file
    /// that nothing reads (a journald that died), which refuses every entry.
    enum Listener { case journald, absent, dead }

    static func run(_ arguments: [String], listener: Listener = .journald) throws -> Run {
        let journald = listener == .journald
        let output = NSTemporaryDirectory() + "surgewatch-journal-\(UUID().uuidString.prefix(8)).json"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = [output, DaemonProcess.binary] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SW_NO_JOURNALD"] = switch listener { case .journald: "0"; case .absent: "1"; case .dead: "dead" }
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        environment.removeValue(forKey: "JOURNAL_STREAM")
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var entries: [[String: String]] = []
        if journald, let text = try? String(contentsOfFile: output, encoding: .utf8) {
            for line in text.split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
                entries.append(object.compactMapValues { $0 as? String })
            }
        }
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self), entries: entries)
    }
}
