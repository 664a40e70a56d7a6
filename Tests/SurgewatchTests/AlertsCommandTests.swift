import Foundation
import Testing
import SurgeConfig
import SurgeDetection
import SurgeSampling
import SurgeStore

/// `surgewatch alerts` against a database with a resolved and an open alert.
@Suite final class AlertsCommandTests {
    let directory = NSTemporaryDirectory() + "surgewatch-alerts-\(UUID().uuidString.prefix(8))"
    var database: String { directory + "/surgewatch.db" }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try SurgeStore(path: directory + "/surgewatch.db")
        let sink = SQLiteAlertSink(store: store)
        let now = Double(time(nil))
        // Fired 3 h ago and resolved 10 min later; fired 20 min ago and still open.
        try sink.deliver(AlertEvent(alertID: "old", event: .fired, kind: .breached, at: now - 10800, probability: 0.99,
                                    peakProbability: 0.99, horizonSeconds: 30))
        try sink.deliver(AlertEvent(alertID: "old", event: .resolved, kind: .breached, at: now - 10200, probability: 0.1,
                                    peakProbability: 0.99, horizonSeconds: 30))
        try sink.deliver(AlertEvent(alertID: "new", event: .fired, kind: .predicted, at: now - 1200, probability: 0.86,
                                    peakProbability: 0.88, horizonSeconds: 30,
                                    topFeatures: [.init(name: "psi_cpu_some_avg10", baseline: 8, recent: 61)]))
        try store.commit()
    }

    /// `alerts` with TZ set, as the journal would show its lines there.
    func table(zone: String) throws -> (Int32?, String, String) {
        let tool = try DaemonProcess(["alerts", "--db", database], environment: ["TZ": zone])
        return (tool.waitForExit(.seconds(30)), tool.stdout, tool.stderr)
    }

    @Test func tableNewestFirstWithDurations() throws {
        let (code, out, err) = try table(zone: "UTC0")
        #expect(code == 0, "\(err)")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("KIND       FIRED (UTC)          RESOLVED / DURATION  PEAK P  MESSAGE"))
        #expect(lines[1].hasPrefix("predicted  "))
        #expect(lines[1].contains("open for 20m"))
        #expect(lines[1].hasSuffix("0.88    overload predicted within 30s (p=0.86): psi_cpu_some_avg10 8% -> 61%"))
        #expect(lines[2].hasPrefix("breached   "))
        #expect(lines[2].contains(" / 10m "))
    }

    /// The table reads in the host's zone, named in the header (the journal shows its lines
    /// there); JSON stays in UTC. "CST-8" is UTC+08:00 without a zone database.
    @Test func theTableReadsInTheHostsZone() throws {
        let (code, out, err) = try table(zone: "CST-8")
        #expect(code == 0, "\(err)")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("KIND       FIRED (UTC+08:00)    RESOLVED / DURATION  PEAK P  MESSAGE") == true, "\(out)")
        let (_, utc, _) = try table(zone: "UTC0")
        // The old alert fired 3 h ago: its date and time 8 h later than the UTC table's.
        let firedUTC = try #require(utc.split(separator: "\n").last.map { String($0.dropFirst(11).prefix(19)) })
        let firedHere = try #require(lines.last.map { String($0.dropFirst(11).prefix(19)) })
        let format = DateFormatter()
        format.dateFormat = "yyyy-MM-dd HH:mm:ss"
        format.timeZone = TimeZone(identifier: "UTC")
        let (a, b) = (try #require(format.date(from: firedUTC), "\(utc)"), try #require(format.date(from: firedHere), "\(out)"))
        #expect(b.timeIntervalSince(a) == 8 * 3600, "\(firedUTC) against \(firedHere)")
        let (_, json, _) = try DaemonProcess.run(["alerts", "--db", database, "--json"])
        #expect(json.contains("Z\""), "JSON in UTC: \(json)")
    }

    @Test func sinceFiltersAndJSONIsMachineReadable() throws {
        let (code, out, _) = try DaemonProcess.run(["alerts", "--db", database, "--since", "2h", "--json"])
        #expect(code == 0)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]])
        #expect(list.map { $0["id"] as? String } == ["new"])
        #expect(list.first?["resolved_at"] is NSNull)
        #expect((list.first?["top_features"] as? [[String: Any]])?.first?["recent"] as? Int == 61)
    }

    /// `--since` and `--until` take a duration before now or a time with its offset: the old
    /// alert alone between 4 h and 1 h ago, written either way.
    @Test func aSpanInThePastIsListedAlone() throws {
        let now = Date().timeIntervalSince1970
        let hoursAgo = { (hours: Double) in ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: now - hours * 3600)) }
        for span in [["--since", "4h", "--until", "1h"], ["--since", hoursAgo(4), "--until", hoursAgo(1)]] {
            let (code, out, err) = try DaemonProcess.run(["alerts", "--db", database, "--json"] + span)
            #expect(code == 0, "\(span): \(err)")
            let list = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]], "\(out)")
            #expect(list.map { $0["id"] as? String } == ["old"], "\(span)")
        }
        let (code, out, _) = try DaemonProcess.run(["alerts", "--db", database, "--json", "--until", "2h"])
        #expect(code == 0 && out.contains("\"id\":\"old\"") && !out.contains("\"id\":\"new\""), "\(out)")
    }

    /// One run of the daemon's prediction rows, a tick every `every` seconds from `start`:
    /// `states` has `p` (predicted), `b` (breached) or `.` (normal) after each tick, with p 0.9
    /// under an alert and 0.1 otherwise; `labels` has `x` where the SLO rule held.
    static func stageRun(_ store: SurgeStore, from start: Double, every: Double, states: String, labels: String) {
        for (index, (state, label)) in zip(states, labels).enumerated() {
            let name = state == "p" ? "predicted" : state == "b" ? "breached" : "normal"
            store.stage(PredictionRecord(timestamp: start + Double(index) * every, tick: index + 1,
                                         probability: state == "." ? 0.1 : 0.9, state: name, label: label == "x"))
        }
    }

    /// `alerts --record` over predictions written by the daemon's store: a run that warned of
    /// its breach 20 s ahead, a restart, a run that caught a breach only as it came and raised
    /// a false alarm. Ticks of 10 s, as in the built-in defaults `--db` scores with.
    @Test func recordScoresWhatTheDaemonStored() throws {
        let path = directory + "/record.db"
        let store = try SurgeStore(path: path)
        let start = Double(time(nil)) - 7200
        Self.stageRun(store, from: start, every: 10, states: "....ppbbbb..........", labels: "......xxx...........")
        Self.stageRun(store, from: start + 1000, every: 10, states: "...bb.......ppp.....", labels: "...xx...............")
        try store.commit()

        let (code, out, err) = try DaemonProcess.run(["alerts", "--db", path, "--record"])
        #expect(code == 0, "\(err)")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasSuffix(": 40 ticks covering 6m40s, in 2 runs of the daemon") == true, "\(out)")
        #expect(lines.contains("overload episodes      2   runs of ticks where the [overload] rule held"), "\(out)")
        #expect(lines.contains("warned early           1   an alert at most 30m old was open the tick before; median lead 20s"), "\(out)")
        #expect(lines.contains("not warned             1   1 of them alerted once breached"), "\(out)")
        // The first run's alert closed a tick after its breach, the second's on its last tick.
        #expect(lines.contains("resolved               2   alerts that covered a breach and closed; open a median 5s after it"), "\(out)")
        // One false alarm in 6m40s of ticks is 216 a day, and the line says it was scaled up.
        #expect(lines.contains { $0.hasPrefix("false alarms           1   216.00 a day (scaled up from 6m40s): ") }, "\(out)")
        // p was stored as 0.1 on calm ticks and 0.9 under an alert. Before a breach, 23 and 6
        // ticks have a known target (overload within 30 s); 4 and 2 of them were followed by it.
        #expect(lines.contains("  p 0.10-0.50          23 ticks    17.4 %"), "\(out)")
        #expect(lines.contains("  p 0.80-0.95           6 ticks    33.3 %"), "\(out)")

        let (_, json, _) = try DaemonProcess.run(["alerts", "--db", path, "--record", "--json"])
        let record = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(record["episodes"] as? Int == 2 && record["caught_early"] as? Int == 1 && record["continuing"] as? Int == 0)
        #expect(record["false_alarms"] as? Int == 1 && record["runs"] as? Int == 2 && record["ticks"] as? Int == 40)
        #expect(record["median_lead_seconds"] as? Int == 20)
        #expect(record["resolved_after_breach"] as? Int == 2 && record["median_after_breach_seconds"] as? Int == 5)
        let bands = try #require(record["reliability"] as? [[String: Any]])
        #expect(bands.map { $0["ticks"] as? Int } == [0, 23, 0, 6, 0])
        #expect(bands.map { $0["overload_within_horizon"] as? Int } == [0, 4, 0, 2, 0])

        #expect(record["referee"] is NSNull, "no referee record in this database")

        let (_, recent, _) = try DaemonProcess.run(["alerts", "--db", path, "--record", "--since", "10m"])
        #expect(recent == "no predictions stored in that time\n")
        // The first run alone: until a time between the runs (its 20 ticks end 200 s in).
        let between = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: start + 500))
        let (_, first, firstErr) = try DaemonProcess.run(["alerts", "--db", path, "--record", "--until", between])
        #expect(first.split(separator: "\n").first?.hasSuffix(": 20 ticks covering 3m20s, in 1 run of the daemon") == true, "\(first)\(firstErr)")
        #expect(first.contains("warned early           1   "), "\(first)")
    }

    /// A host ticking every minute with a horizon of 5 ticks, read with `--db` (no config): the
    /// tick length and horizon come from the database. With the built-in 10 s, every 60 s gap
    /// would end a run (a stall is three intervals without a tick), so no episode could be
    /// warned, and the horizon would read 30 s.
    /// `--record` says how near the SLO rule's own metrics ran to their limits over its ticks:
    /// the default rule's PSI 0..99 % (one a tick), no listen overflow, a tick's PSI missing.
    @Test func recordSaysHowNearTheRulesMetricsRan() throws {
        let path = directory + "/headroom.db"
        let store = try SurgeStore(path: path)
        let schema = MetricSchema(["psi_cpu_some_avg10", "tcp_listen_overflows_per_s"])
        let start = Double(time(nil)) - 7200
        for tick in 0...100 {
            let psi = tick == 100 ? Double.nan : Double(tick)
            store.stage(Sample(timestamp: start + Double(tick) * 10, tick: tick + 1, schema: schema, values: [psi, 0]))
            store.stage(PredictionRecord(timestamp: start + Double(tick) * 10, tick: tick + 1, probability: 0.1, state: "normal",
                                         label: tick == 100 ? nil : psi > 50))
        }
        try store.commit()
        let (code, out, err) = try DaemonProcess.run(["alerts", "--db", path, "--record"])
        #expect(code == 0, "\(err)")
        let lines = out.split(separator: "\n").map(String.init)
        let heading = try #require(lines.firstIndex(of: "the [overload] rule's own metrics over these ticks (how near its limits they ran):"), "\(out)")
        #expect(lines[heading + 1] == "  tcp_listen_overflows_per_s > 0/s: highest 0/s, p99 0/s, p90 0/s; past the limit on 0 of 101 ticks")
        #expect(lines[heading + 2] == "  psi_cpu_some_avg10 > 50%: highest 99%, p99 98%, p90 89%; past the limit on 49 of 100 ticks", "\(out)")
        let (_, json, _) = try DaemonProcess.run(["alerts", "--db", path, "--record", "--json"])
        let record = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let metrics = try #require(record["rule_metrics"] as? [[String: Any]], "\(json)")
        #expect(metrics.last?["condition"] as? String == "psi_cpu_some_avg10 > 50")
        #expect(metrics.last?["past_ticks"] as? Int == 49 && metrics.last?["known_ticks"] as? Int == 100 && metrics.last?["extreme"] as? Int == 99)

        // With predictions alone (no samples stored) there is nothing to say, and it says nothing.
        let bare = directory + "/bare.db"
        let predictionsOnly = try SurgeStore(path: bare)
        Self.stageRun(predictionsOnly, from: start, every: 10, states: "....pp....", labels: "..........")
        try predictionsOnly.commit()
        let (_, plain, _) = try DaemonProcess.run(["alerts", "--db", bare, "--record"])
        #expect(!plain.contains("the [overload] rule's own metrics"), "\(plain)")
    }

    /// Each false alarm is listed with how near the SLO rule came while it was open, read from
    /// the stored samples: a near miss (PSI to 49.5 % under the default rule's 50 %) and a
    /// warning where nothing moved, one in each of two runs of the daemon; the alert that
    /// covered a breach is not listed.
    @Test func recordSaysHowNearTheRuleCameInEachFalseAlarm() throws {
        let path = directory + "/quiet.db"
        let store = try SurgeStore(path: path)
        let schema = MetricSchema(["psi_cpu_some_avg10", "tcp_listen_overflows_per_s"])
        let start = (Double(time(nil)) - 7200).rounded(.down)
        let runs: [(states: String, labels: String, psi: [Double])] = [
            ("....ppppp...........", "....................", [5, 5, 5, 5, 30, 45, 49.5, 40, 20, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5]),
            ("...pp.....pbb.......", "...........xx.......", [5, 5, 5, 5, 5, 5, 5, 5, 5, 40, 45, 70, 80, 10, 5, 5, 5, 5, 5, 5]),
        ]
        for (run, (states, labels, psi)) in runs.enumerated() {
            let from = start + Double(run) * 1000
            Self.stageRun(store, from: from, every: 10, states: states, labels: labels)
            for (index, value) in psi.enumerated() {
                store.stage(Sample(timestamp: from + Double(index) * 10, tick: index + 1, schema: schema, values: [value, 0]))
            }
        }
        try store.commit()
        let (code, out, err) = try DaemonProcess.run(["alerts", "--db", path, "--record"])
        #expect(code == 0, "\(err)")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("false alarms           2   ") }, "\(out)")
        let heading = try #require(lines.firstIndex(of: "alerts no overload was in or followed (the false alarms above), with how near the SLO rule came: 2"), "\(out)")
        let time = { (seconds: Double) in RFC3339.format(seconds) }
        #expect(lines[heading + 1] == "  \(time(start + 40)), open 50s, p up to 0.90: SLO rule not broken: "
                + "tcp_listen_overflows_per_s up to 0/s (rule > 0/s), psi_cpu_some_avg10 up to 49.5% (rule > 50%)", "\(out)")
        #expect(lines[heading + 2] == "  \(time(start + 1030)), open 20s, p up to 0.90: SLO rule not broken: "
                + "tcp_listen_overflows_per_s up to 0/s (rule > 0/s), psi_cpu_some_avg10 up to 5% (rule > 50%)", "\(out)")
        #expect(!lines[heading + 3].hasPrefix("  "), "the breach's alert is not listed: \(out)")

        let (_, json, _) = try DaemonProcess.run(["alerts", "--db", path, "--record", "--json"])
        let record = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let quiet = try #require(record["quiet_alerts"] as? [[String: Any]], "\(json)")
        #expect(quiet.map { $0["fired_at"] as? String } == [time(start + 40), time(start + 1030)])
        #expect(quiet.map { $0["ticks"] as? Int } == [5, 2] && quiet.map { $0["false_alarms"] as? Int } == [1, 1])
        let approach = try #require(quiet.first?["rule_approach"] as? [String: Any])
        let reached = try #require(approach["reached"] as? [[String: Any]])
        #expect(reached.last?["condition"] as? String == "psi_cpu_some_avg10 > 50" && reached.last?["value"] as? Double == 49.5)
        #expect(approach["broken_ticks"] as? Int == 0 && approach["complete"] as? Bool == true)
    }

    /// The record reads the samples too (the rule's metrics): a damaged page of them is said,
    /// exit 1, not figures from the rows SQLite could still make out.
    @Test func recordOnADamagedDatabaseSaysSo() throws {
        let path = directory + "/damaged.db"
        let store = try SurgeStore(path: path)
        let schema = MetricSchema(["psi_cpu_some_avg10", "tcp_listen_overflows_per_s"])
        let start = Double(time(nil)) - 7200
        for tick in 1...400 {
            store.stage(Sample(timestamp: start + Double(tick) * 10, tick: tick, schema: schema, values: [Double(tick % 100), 0]))
            store.stage(PredictionRecord(timestamp: start + Double(tick) * 10, tick: tick, probability: 0.1, state: "normal", label: false))
        }
        try store.commit()
        _ = try store.rows("PRAGMA wal_checkpoint(TRUNCATE)")
        try damageSamplesPage(of: path, leaf: 0, pointers: .intoThePage)
        let (code, out, err) = try DaemonProcess.run(["alerts", "--db", path, "--record"])
        #expect(code == 1, "\(out)")
        #expect(err == "surgewatch alerts: \(path): the database is damaged: database disk image is malformed; the daemon moves it aside "
            + "at its next start (systemctl restart surgewatch) and copies every row it can still read into a new one\n", "\(err)")
    }

    @Test func recordWithoutAConfigTakesTheTickAndHorizonFromTheDatabase() throws {
        let path = directory + "/minutes.db"
        let store = try SurgeStore(path: path)
        let start = Double(time(nil)) - 7200
        let sink = SQLiteAlertSink(store: store)
        try sink.deliver(AlertEvent(alertID: "m", event: .fired, kind: .predicted, at: start + 240, probability: 0.9,
                                    peakProbability: 0.9, horizonSeconds: 300))
        Self.stageRun(store, from: start, every: 60, states: "....ppbbbb..........", labels: "......xxx...........")
        try store.commit()

        let (code, out, err) = try DaemonProcess.run(["alerts", "--db", path, "--record"])
        #expect(code == 0, "\(err)")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasSuffix(": 20 ticks covering 20m, in 1 run of the daemon") == true, "\(out)")
        #expect(lines.count > 1 && lines[1] == "no config (--db): scored with ticks of 1m as stored, a horizon of 5 ticks as the newest alert names it, "
                + "the built-in defaults otherwise (resolve_after 3); --config scores with the host's own", "\(out)")
        #expect(lines.contains("warned early           1   an alert at most 3h old was open the tick before; median lead 2m"), "\(out)")
        #expect(lines.contains { $0.hasSuffix("the share followed by overload within 5m):") }, "\(out)")

        let (_, json, _) = try DaemonProcess.run(["alerts", "--db", path, "--record", "--json"])
        let record = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(record["runs"] as? Int == 1 && record["caught_early"] as? Int == 1 && record["median_lead_seconds"] as? Int == 120)
        #expect((record["assumed"] as? String)?.hasPrefix("no config (--db): scored with ticks of 1m as stored") == true, "\(json)")
    }

    /// The referee's record as the daemon saves it, and the newest checkpoint's serving weights:
    /// `alerts --record` says which weights serve and the record that decided it.
    @Test func recordSaysWhichWeightsServeAndWhy() throws {
        let path = directory + "/referee.db"
        let store = try SurgeStore(path: path)
        let start = Double(time(nil)) - 20000
        for tick in 0..<20 {
            store.stage(PredictionRecord(timestamp: start + Double(tick) * 10, tick: tick + 1, probability: 0.1, state: "normal", label: false))
        }
        try store.commit()
        // 1,000 ticks with an overload of 5 ticks in every 50: the learned weights see each one
        // coming 3 ticks ahead (p 0.97, which fires at once), the trained ones none.
        let config = SurgeConfig()
        var referee = WeightsReferee(alert: AlertPolicy(config.alert), horizon: config.model.horizonTicks)
        for tick in 0..<1000 {
            let phase = tick % 50
            _ = referee.observe(timestamp: start + Double(tick) * 10, trained: 0.05, learned: (37..<45).contains(phase) ? 0.97 : 0.05,
                                label: (40..<45).contains(phase), holding: false)
        }
        try store.saveRefereeRecord(referee.encodedRecord(), ticks: referee.recordCount, context: "test", at: start + 10000)
        try store.saveCheckpoint(version: 1, model: [1, 2, 3], metricsJSON: "{\"steps\":90,\"serving\":\"learned\"}", at: start + 9990)

        let (code, out, err) = try DaemonProcess.run(["alerts", "--db", path, "--record"])
        #expect(code == 0, "\(err)")
        let line = try #require(out.split(separator: "\n").map(String.init).first { $0.hasPrefix("which weights serve: ") }, "\(out)")
        #expect(line.hasPrefix("which weights serve: the learned ones (the checkpoint of "), "\(line)")
        #expect(line.contains("; on the referee's record saved "), "\(line)")
        #expect(line.contains(", over the last 2h47m (1000 ticks) the learned weights warned of 20 of 20 overloads with 0 false alarms, "
                              + "the trained ones warned of 0 of 20 overloads with 0 false alarms; the learned ones serve once they net 2 more"),
                "\(line)")

        let (_, json, _) = try DaemonProcess.run(["alerts", "--db", path, "--record", "--json"])
        let record = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let standing = try #require(record["referee"] as? [String: Any], "\(json)")
        #expect(standing["serving"] as? String == "learned" && standing["record_ticks"] as? Int == 1000)
        #expect((standing["learned"] as? [String: Any])?["warned"] as? Int == 20)
        #expect((standing["trained"] as? [String: Any])?["warned"] as? Int == 0)

        _ = try store.rows("UPDATE referee_record SET record = x'00'")
        let (brokenCode, broken, _) = try DaemonProcess.run(["alerts", "--db", path, "--record"])
        #expect(brokenCode == 0)
        #expect(broken.contains("which weights serve: the learned ones (the checkpoint of "), "\(broken)")
        #expect(broken.contains("; the referee's record is unreadable: referee record: not a referee record (no SWRR header)"), "\(broken)")

        // A fresh model's checkpoint, newer: since session 24 it has no referee, and the record
        // left from before is not about the weights that serve.
        try store.saveCheckpoint(version: 2, model: [1, 2, 3], metricsJSON: "{\"steps\":120,\"rollbacks\":0,\"loss\":0.1,\"trained\":\"none\"}",
                                 at: start + 10010)
        let (freshCode, fresh, _) = try DaemonProcess.run(["alerts", "--db", path, "--record"])
        #expect(freshCode == 0 && !fresh.contains("which weights serve"), "\(fresh)")
        let (_, freshJSON, _) = try DaemonProcess.run(["alerts", "--db", path, "--record", "--json"])
        let freshRecord = try #require(try JSONSerialization.jsonObject(with: Data(freshJSON.utf8)) as? [String: Any])
        #expect(freshRecord["referee"] == nil || freshRecord["referee"] is NSNull, "\(freshJSON)")
    }

    /// Two runs in which p rose to 0.6 for the two ticks before each breach: under the default
    /// policy (p ≥ 0.8) neither was warned; the grid replays the stored p and finds the lower
    /// threshold that would have warned both with no false alarm.
    @Test func policyGridReplaysOtherPoliciesOnTheStoredProbabilities() throws {
        let path = directory + "/grid.db"
        let store = try SurgeStore(path: path)
        let start = Double(time(nil)) - 7200
        for runStart in [start, start + 1000] {
            for index in 0..<30 {
                let overload = (8...10).contains(index)
                let p = (6...7).contains(index) ? 0.6 : overload ? 0.9 : 0.05
                store.stage(PredictionRecord(timestamp: runStart + Double(index) * 10, tick: index + 1, probability: p,
                                             state: (8...13).contains(index) ? "breached" : "normal", label: overload))
            }
        }
        try store.commit()

        let (code, out, err) = try DaemonProcess.run(["alerts", "--db", path, "--record", "--policy-grid"])
        #expect(code == 0, "\(err)")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.contains("not warned             2   2 of them alerted once breached"), "\(out)")
        // Two episodes in 60 ticks of 10 s: the suggestions are given, under a caution.
        let caution = "note: 2 overload episodes over 10m: too little history to choose [alert] settings on (fewer than 5 episodes or under a day); "
            + "what follows fits this span alone, so let a week and a few sales pass before you copy from it"
        let cautionAt = try #require(lines.firstIndex(of: caution), "\(out)")
        #expect(lines[cautionAt + 1] == "other [alert] policies replayed on the stored p (in hindsight, on this host's own history):", "\(out)")
        #expect(lines.contains { $0.hasPrefix("  the config's policy:  2 episodes, 0 early (0 %), 0.0 false alarms/day") }, "\(out)")
        let best = try #require(lines.first { $0.hasPrefix("  best early - false alarms:  ") }, "\(out)")
        #expect(best.contains("2 episodes, 2 early (100 %), 0.0 false alarms/day, median lead 20 s"), "\(best)")
        #expect(best.contains("[fire_probability = 0."), "\(best)")

        let (_, json, _) = try DaemonProcess.run(["alerts", "--db", path, "--record", "--policy-grid", "--json"])
        let record = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let grid = try #require(record["policy_grid"] as? [String])
        #expect(grid.count == 4 && grid[1].hasPrefix("best early - false alarms:  2 episodes, 2 early"), "\(grid)")
        #expect(record["policy_grid_caution"] as? String == caution, "\(json)")
        let (_, plain, _) = try DaemonProcess.run(["alerts", "--db", path, "--record", "--json"])
        #expect(!plain.contains("policy_grid"))
        let (_, plainText, _) = try DaemonProcess.run(["alerts", "--db", path, "--record"])
        #expect(!plainText.contains("too little history"), "said only with the suggestions it is about")

        let (alone, _, aloneErr) = try DaemonProcess.run(["alerts", "--db", path, "--policy-grid"])
        #expect(alone != 0 && aloneErr.contains("--policy-grid goes with --record"), "\(aloneErr)")
    }

    /// Two days of 5-minute ticks with six episodes: enough history that the suggestions come
    /// without the caution.
    @Test func policyGridOnEnoughHistoryHasNoCaution() throws {
        let path = directory + "/enough.db"
        let store = try SurgeStore(path: path)
        let start = Double(time(nil)) - 3 * 86400
        for index in 0..<576 {
            let overload = index % 96 == 50
            store.stage(PredictionRecord(timestamp: start + Double(index) * 300, tick: index + 1, probability: index % 96 == 49 || overload ? 0.9 : 0.05,
                                         state: "normal", label: overload))
        }
        try store.commit()
        let (code, out, err) = try DaemonProcess.run(["alerts", "--db", path, "--record", "--policy-grid"])
        #expect(code == 0, "\(err)")
        #expect(out.contains("overload episodes      6 "), "\(out)")
        #expect(out.contains("other [alert] policies replayed on the stored p") && !out.contains("too little history"), "\(out)")
    }

    /// The hold search on the host's own history: two runs of stored predictions and samples.
    /// The first is quiet; in the second, CPU stays high through a hot spell with a warned
    /// breach at each end and p low between them. Without a hold the alert resolves in the lull
    /// and a spike of p in it is a false alarm; held on CPU at this host's own high level, one
    /// alert covers the spell. The samples are joined to the predictions by their time.
    @Test func policyGridSearchesAHoldOnTheStoredSamples() throws {
        let path = directory + "/hold.db"
        let store = try SurgeStore(path: path)
        let schema = MetricSchema(["cpu_busy", "load1"])
        let start = Double(time(nil)) - 20000
        for (run, runStart) in [start, start + 4000].enumerated() {
            for tick in 0..<300 {
                let spell = run == 1 && (100..<200).contains(tick)
                let breach = run == 1 && ((110..<113).contains(tick) || (180..<183).contains(tick))
                let warning = run == 1 && ((107..<110).contains(tick) || (177..<180).contains(tick) || (140..<142).contains(tick))
                let time = runStart + Double(tick) * 10
                store.stage(Sample(timestamp: time, tick: tick + 1, schema: schema, values: [spell ? 0.9 : 0.3, 1]))
                store.stage(PredictionRecord(timestamp: time, tick: tick + 1, probability: warning || breach ? 0.97 : 0.05,
                                             state: "normal", label: breach))
            }
        }
        try store.commit()

        let (code, out, err) = try DaemonProcess.run(["alerts", "--db", path, "--record", "--policy-grid"])
        #expect(code == 0, "\(err)")
        let lines = out.split(separator: "\n").map(String.init)
        let heading = try #require(lines.firstIndex { $0.hasPrefix("[alert] hold levels at this host's quantiles") }, "\(out)")
        #expect(lines[heading + 1].hasPrefix("  the config's policy with no hold:  2 episodes, 2 early (100 %)"), "\(out)")
        #expect(!lines[heading + 1].contains(" 0.0 false alarms/day"), "the spike in the lull is a false alarm without a hold: \(out)")
        #expect(lines[heading + 2].hasPrefix("  with the hold that nets most:  2 episodes, 2 early (100 %), 0.0 false alarms/day"),
                "\(out)")
        #expect(lines[heading + 2].hasSuffix("[hold = [\"cpu_busy >= 0.90\"]]"), "\(out)")

        let (_, json, _) = try DaemonProcess.run(["alerts", "--db", path, "--record", "--policy-grid", "--json"])
        let record = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let holds = try #require(record["hold_search"] as? [String])
        #expect(holds.count == 3 && holds[1].hasSuffix("[hold = [\"cpu_busy >= 0.90\"]]"), "\(holds)")
        #expect(holds[2].hasSuffix("[hold = [\"cpu_busy >= 0.90\"]; the config's fire and resolve settings]"), "\(holds)")
    }

    /// `surgewatch alerts --record --policy-grid` over the last day of the scratch's state.
    func recordGrid(_ scratch: Scratch, json: Bool = false) throws -> String {
        let (code, out, err) = try DaemonProcess.run(["alerts", "--config", scratch.config, "--state-dir", scratch.state,
                                                      "--record", "--policy-grid", "--since", "1d"] + (json ? ["--json"] : []))
        #expect(code == 0, "\(err)")
        return out
    }

    /// The lines of `out` after the first that starts with `heading`.
    func section(of out: String, under heading: String) throws -> [String] {
        let lines = out.split(separator: "\n").map(String.init)
        let at = try #require(lines.firstIndex { $0.hasPrefix(heading) }, "\(out)")
        return Array(lines[(at + 1)...])
    }

    /// The `[schedule] fire_when` search on the host's own history: twelve past sales listed in
    /// the config, the odd ones on a host already busy on the tick before their start (0.6
    /// against 0.2) and breaching two ticks after it, while p never rose. The stored samples
    /// name the level between the two kinds.
    @Test func policyGridNamesASaleLevelFromThePastSales() throws {
        let scratch = try Scratch(config: "")
        try FileManager.default.createDirectory(atPath: scratch.state, withIntermediateDirectories: true)
        let store = try SurgeStore(path: scratch.state + "/surgewatch.db")
        let schema = MetricSchema(["cpu_busy", "load1"])
        let start = (Double(time(nil)) - 20000).rounded(.down)
        let saleTicks = (0..<12).map { 50 + $0 * 100 }
        for tick in 0..<1_250 {
            let sale = saleTicks.firstIndex(of: tick + 1)
            let breach = saleTicks.indices.contains { $0 % 2 == 1 && ((saleTicks[$0] + 2)...(saleTicks[$0] + 4)).contains(tick) }
            let time = start + Double(tick) * 10
            store.stage(Sample(timestamp: time, tick: tick + 1, schema: schema, values: [sale.map { $0 % 2 == 1 ? 0.6 : 0.2 } ?? 0.1, 1]))
            store.stage(PredictionRecord(timestamp: time, tick: tick + 1, probability: 0.05, state: breach ? "breached" : "normal", label: breach))
            if tick % 100 == 99 { try store.commit() }  // the store stages a bounded number of rows between commits
        }
        try store.commit()
        let sales = saleTicks.map { "\"" + RFC3339.format(start + Double($0) * 10) + "\"" }.joined(separator: ", ")
        try scratch.write(config: "[schedule]\nsales = [\(sales)]\n")

        let out = try recordGrid(scratch)
        let lines = try section(of: out, under: "[schedule] fire_when levels between each feature's values")
        #expect(lines[0].hasPrefix("  the config's policy with no level:  6 episodes, 0 early (0 %)"), "\(out)")
        #expect(lines[1].hasPrefix("  suggested for [schedule] on these 12 sales:  6 episodes, 6 early (100 %), 0.0 false alarms/day"), "\(out)")
        #expect(lines[1].hasSuffix("[fire_when = [\"cpu_busy >= 0.40\"]]"), "\(out)")
        // Sale by sale: the odd ones broke the rule two ticks after their start, with no alert
        // open before (p never rose); the even ones passed quietly.
        #expect(out.contains("\nannounced sales in these ticks (each from 10m before its start to 30m after): 12 sales, 6 broke the SLO rule, "
                             + "0 of them warned ahead; 0 with an alert and no overload\n"), "\(out)")
        let sold = try section(of: out, under: "announced sales in these ticks")
        #expect(sold[0] == "  \(RFC3339.format(start + 500)): no overload, no alert", "\(out)")
        #expect(sold[1] == "  \(RFC3339.format(start + 1500)): the SLO rule broke 20s after the start, no alert ahead of it", "\(out)")

        let record = try #require(try JSONSerialization.jsonObject(with: Data(try recordGrid(scratch, json: true).utf8)) as? [String: Any])
        let outcomes = try #require(record["sales"] as? [[String: Any]])
        #expect(outcomes.count == 12 && outcomes[1]["overload_at"] as? String == RFC3339.format(start + 1520)
                && outcomes[1]["warned_seconds"] is NSNull, "\(outcomes)")
        let levels = try #require(record["sale_level_search"] as? [String])
        #expect(levels.count == 5 && levels[1].hasSuffix("[fire_when = [\"cpu_busy >= 0.40\"]]"), "\(levels)")
        #expect(levels.last == "the config's fire_probability (0.70) nets as much as any with it", "p never rose: \(levels)")
    }

    /// The `[alert] fire_on_pending_probability` search on the host's own history, with a rule
    /// that waits 3 ticks: six spells of load1 above 1, the even ones going on to breach with
    /// p 0.75 on their second tick, the odd ones falling back after two ticks with p 0.4
    /// there. The rule's run is read from the stored samples; 0.5 tells the two kinds apart.
    @Test func policyGridNamesAPendingLevelFromTheStoredSamples() throws {
        let scratch = try Scratch(config: "[overload]\nany = [\"load1 > 1\"]\nfor_ticks = 3\n")
        try FileManager.default.createDirectory(atPath: scratch.state, withIntermediateDirectories: true)
        let store = try SurgeStore(path: scratch.state + "/surgewatch.db")
        let schema = MetricSchema(["cpu_busy", "load1"])
        let start = (Double(time(nil)) - 20000).rounded(.down)
        for tick in 0..<650 {
            let spell = (0..<6).first { (50 + $0 * 100..<50 + $0 * 100 + ($0 % 2 == 0 ? 5 : 2)).contains(tick) }
            let offset = spell.map { tick - (50 + $0 * 100) }
            let breach = spell.map { $0 % 2 == 0 } == true && offset! >= 2
            let p = offset == 1 ? (spell! % 2 == 0 ? 0.75 : 0.4) : 0.05
            let time = start + Double(tick) * 10
            store.stage(Sample(timestamp: time, tick: tick + 1, schema: schema, values: [0.3, spell == nil ? 0.5 : 2]))
            store.stage(PredictionRecord(timestamp: time, tick: tick + 1, probability: p, state: breach ? "breached" : "normal", label: breach))
            if tick % 100 == 99 { try store.commit() }
        }
        try store.commit()

        let out = try recordGrid(scratch)
        let lines = try section(of: out, under: "[alert] fire_on_pending_probability: p on the tick before the rule holds")
        #expect(lines[0].hasPrefix("  the config's policy firing on no pending tick:  3 episodes, 0 early (0 %)"), "\(out)")
        #expect(lines[1].hasPrefix("  suggested for [alert] a tick before the rule holds:  3 episodes, 3 early (100 %), 0.0 false alarms/day"), "\(out)")
        #expect(lines[1].hasSuffix("[fire_on_pending_probability = 0.50]"), "\(out)")
        #expect(lines[2] == "  levels that net within 1 of it: 0.50, 0.60, 0.70", "\(out)")

        let record = try #require(try JSONSerialization.jsonObject(with: Data(try recordGrid(scratch, json: true).utf8)) as? [String: Any])
        let levels = try #require(record["pending_level_search"] as? [String])
        #expect(levels.count == 3 && levels[1].hasSuffix("[fire_on_pending_probability = 0.50]"), "\(levels)")

        // p never reaches the default at-once level (0.96): it changes nothing here, so the
        // search does not offer to turn it off.
        let atOnce = try section(of: out, under: "[alert] fire_at_once_probability: p on one tick that fires without waiting")
        #expect(atOnce[0].hasPrefix("  the config's policy firing only after fire_after ticks:  3 episodes, 0 early (0 %)"), "\(out)")
        #expect(atOnce[1].hasPrefix("  with the config's level:  3 episodes, 0 early (0 %)") && atOnce[1].hasSuffix("[fire_at_once_probability = 0.96]"), "\(out)")
        #expect(atOnce[2] == "  no level of p on one tick nets more than waiting for fire_after ticks", "\(out)")
        #expect(record["at_once_level_search"] as? [String] == atOnce.prefix(3).map { String($0.dropFirst(2)) })
    }

    @Test func badArgumentsAndMissingFilesAreClear() throws {
        let (both, _, bothErr) = try DaemonProcess.run(["alerts", "--db", database, "--config", "/etc/x.toml"])
        #expect(both != 0 && bothErr.contains("give --config or --db, not both"))
        let (since, _, sinceErr) = try DaemonProcess.run(["alerts", "--db", database, "--since", "yesterday"])
        #expect(since != 0 && sinceErr.contains("--since: expected a time such as 2026-12-07T10:00:00Z or a duration such as 3h, got yesterday"),
                "\(sinceErr)")
        let (local, _, localErr) = try DaemonProcess.run(["alerts", "--db", database, "--until", "2026-12-06T20:00:00"])
        #expect(local != 0 && localErr.contains("--until: give the time's offset from UTC (Z or +08:00), got 2026-12-06T20:00:00"), "\(localErr)")
        let (reversed, _, reversedErr) = try DaemonProcess.run(["alerts", "--db", database, "--since", "1h", "--until", "2h"])
        #expect(reversed != 0 && reversedErr.contains("--until (") && reversedErr.contains(") must be later than --since ("), "\(reversedErr)")
        let (missing, _, missingErr) = try DaemonProcess.run(["alerts", "--db", directory + "/nope.db"])
        #expect(missing == 1)
        #expect(missingErr.hasPrefix("surgewatch alerts: \(directory)/nope.db: no database there; the daemon creates it when it starts"), "\(missingErr)")
        let (exported, _, exportErr) = try DaemonProcess.run(["export", "--db", directory + "/nope.db", "--output", directory + "/x.csv"])
        #expect(exported == 1 && exportErr.contains("\(directory)/nope.db: no database there"), "\(exportErr)")
        let (record, _, recordErr) = try DaemonProcess.run(["alerts", "--db", directory + "/nope.db", "--record"])
        #expect(record == 1 && recordErr.contains("\(directory)/nope.db: no database there"), "\(recordErr)")
    }
}
