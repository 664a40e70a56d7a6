import Foundation
import Synchronization
import Testing
import SurgeConfig

/// `surgewatch replay` and `train`, the real binary, on a short committed trace: a simulated
/// flash sale (held-out seed, see Fixtures/replay/README.md) with one overload episode.
@Suite final class ReplayCommandTests {
    static let trace = Bundle.module.path(forResource: "Fixtures/replay/flash-sale-episode", ofType: "csv")!
    static let config = DaemonProcess.repository + "/config/surgewatch.toml"
    let directory = NSTemporaryDirectory() + "surgewatch-replay-\(UUID().uuidString.prefix(8))"

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func rows(_ path: String) throws -> [[String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    func replay(_ extra: [String], output: String) throws -> (Int32?, String, String) {
        try DaemonProcess.run(["replay", "--config", Self.config, "--input", Self.trace, "--output", output] + extra, timeout: .seconds(120))
    }

    @Test func warnsBeforeTheBreachAndWritesTheContractRowForRow() throws {
        let output = directory + "/pred.csv"
        let (code, out, err) = try replay(["--no-learn"], output: output)
        #expect(code == 0, "\(err)")
        #expect(out.contains("with the built-in default model, online learning off"))
        let input = try rows(Self.trace), predicted = try rows(output)
        // The trace's span as a duration under a day, not "0.03 days".
        #expect(out.contains("\n\(input.count - 1) ticks of 10 s (\(DurationText.format(seconds: Double(input.count - 1) * 10))) in "), "\(out)")
        // Under a day, the rates a day are said to be scaled up: one alarm in 55 minutes.
        #expect(input.count - 1 == 330 && out.contains("\nfalse alarms/day scaled up from 55m of ticks: one alarm reads as 26.18 a day\n"), "\(out)")
        #expect(predicted.first == ["timestamp", "probability", "alerting", "label"])
        #expect(predicted.count == input.count, "one row per input row")
        let header = input[0]
        let overflow = header.firstIndex(of: "tcp_listen_overflows_per_s")!, psi = header.firstIndex(of: "psi_cpu_some_avg10")!
        var firstBreach: Int?, lastBreach: Int?, firstAlert: Int?, lastAlert: Int?
        for row in 1..<input.count {
            #expect(Double(predicted[row][0]) == Double(input[row][0]), "same timestamps, same order (row \(row))")
            let probability = predicted[row][1]
            if row <= 29 {
                #expect(probability.isEmpty, "no prediction before the window of 30 ticks is full (row \(row))")
            } else {
                let p = try #require(Double(probability))
                #expect(p >= 0 && p <= 1)
            }
            #expect(["0", "1"].contains(predicted[row][2]))
            // The label, recomputed here from the default rule.
            let rule = Double(input[row][overflow])! > 0 || Double(input[row][psi])! > 50
            #expect(predicted[row][3] == (rule ? "1" : "0"), "label of row \(row)")
            if rule && firstBreach == nil { firstBreach = row }
            if rule { lastBreach = row }
            if predicted[row][2] == "1" {
                if firstAlert == nil { firstAlert = row }
                lastAlert = row
            }
        }
        let breach = try #require(firstBreach), alert = try #require(firstAlert)
        #expect(alert < breach, "the alert opens before the SLO breaks (alert row \(alert), breach row \(breach))")
        #expect(try #require(lastAlert) < input.count - 1, "and it closes again after the episode")
        #expect(out.contains("surgewatch     1        1       1"), "summary: one episode, caught, early\n\(out)")
        // The lead in seconds may move a tick between CPU tiers; the rest may not.
        let ours = out.split(separator: "\n").first { $0.hasPrefix("surgewatch ") }.map(String.init) ?? ""
        #expect(out.contains("false alarms/day  early - false alarms"), "\(out)")
        #expect(ours.contains("           0                 1     (model"), "no false alarm, 1 early - 0 = 1: \(ours)")
        // How long the alert stayed open after the breach, as the prediction CSV shows it.
        let summaryHeader = try #require(out.split(separator: "\n").first { $0.contains("open after breach (median)") })
        let column = try #require(summaryHeader.range(of: "open after breach (median)")).lowerBound
        let afterBreach = Int(Double(input[try #require(lastAlert)][0])! - Double(input[try #require(lastBreach)][0])!)
        #expect(afterBreach > 0)
        #expect(ours.count > summaryHeader.distance(from: summaryHeader.startIndex, to: column) + 28, "\(ours)")
        let cell = ours.dropFirst(summaryHeader.distance(from: summaryHeader.startIndex, to: column)).prefix(28)
        #expect(cell.trimmingCharacters(in: .whitespaces) == "\(afterBreach) s", "\(ours)")
        for baseline in ["reactive rule", "cpu threshold", "listen queue", "warning level", "holt forecast"] {
            #expect(out.contains("\n\(baseline) "), "the summary compares with \(baseline)\n\(out)")
        }
    }

    /// A sale whose first tick reads p ≈ 0.77 and whose next tick breaches (Fixtures/replay/README.md):
    /// the default policy alerts on the breach; announced in `[schedule]`, a tick before it.
    @Test func anAnnouncedSaleIsWarnedOfOnItsFirstTick() throws {
        let trace = try #require(Bundle.module.path(forResource: "Fixtures/replay/announced-sale", ofType: "csv"))
        let announced = directory + "/announced.toml"
        let shipped = try String(contentsOfFile: Self.config, encoding: .utf8)
        #expect(shipped.contains("\nsales = []"), "the shipped config's [schedule] announces none")
        try shipped.replacingOccurrences(of: "\nsales = []", with: "\nsales = [\"2026-01-05T18:12:20Z\"]")
            .write(toFile: announced, atomically: true, encoding: .utf8)
        func firstAlertAndBreach(_ config: String) throws -> (alert: Int?, breach: Int?, summary: String) {
            let output = directory + "/\(UUID().uuidString).csv"
            let (code, out, err) = try DaemonProcess.run(["replay", "--config", config, "--input", trace, "--output", output, "--no-learn"],
                                                         timeout: .seconds(120))
            #expect(code == 0, "\(err)")
            let predicted = try rows(output).dropFirst()
            return (predicted.firstIndex { $0[2] == "1" }, predicted.firstIndex { $0[3] == "1" }, out)
        }
        let plain = try firstAlertAndBreach(Self.config), sale = try firstAlertAndBreach(announced)
        let breach = try #require(plain.breach)
        #expect(sale.breach == breach)
        #expect(plain.alert == breach, "without the schedule the first alert is the breach's")
        #expect(sale.alert == breach - 1, "announced, it opens on the sale's first tick")
        let start = try #require(try rows(trace).firstIndex { $0[0] == "1767636740" })
        #expect(sale.alert == start, "the row of 2026-01-05T18:12:20Z")
        #expect(sale.summary.contains("or 0.7 in the 10m before the announced sale)"), "\(sale.summary)")
        #expect(plain.summary.contains("surgewatch     1        1       0"), "\(plain.summary)")
        #expect(sale.summary.contains("surgewatch     1        1       1"), "\(sale.summary)")
        // Sale by sale, as `alerts --record` says it: the alert opened on the start's tick, a
        // tick before the breach.
        #expect(sale.summary.contains("\nannounced sales in these ticks (each from 10m before its start to 30m after): 1 sale, "
                                      + "1 broke the SLO rule, 1 of them warned ahead; 0 with an alert and no overload\n"
                                      + "  2026-01-05T18:12:20Z: the SLO rule broke 10s after the start, an alert open 10s ahead\n"), "\(sale.summary)")
        #expect(!plain.summary.contains("announced sales"), "none announced, none listed")

        // The policy grid scores the config's policy with the sale announced too, as replay did.
        let (code, grid, err) = try DaemonProcess.run(["replay", "--config", announced, "--input", trace, "--output", directory + "/grid.csv",
                                                       "--no-learn", "--policy-grid"], timeout: .seconds(120))
        #expect(code == 0, "\(err)")
        #expect(grid.contains("the config's policy:  1 episode, 1 early (100 %)"), "\(grid)")
    }

    /// `[alert] fire_on_pending_probability` with the rule held for 3 ticks: at level 0 the
    /// alert opens on the tick before the first breached one, whatever p; the policy grid
    /// scores that as replay ran it and searches the level.
    @Test func aPendingRuleOpensTheAlertOnTheTickBeforeTheBreach() throws {
        let shipped = try String(contentsOfFile: Self.config, encoding: .utf8)
        #expect(shipped.contains("\nfor_ticks = 1 ") && shipped.contains("\n# fire_on_pending_probability = 0.7 ")
                && shipped.contains("\nfire_probability = 0.95 ") && shipped.contains("\nfire_at_once_probability = 0.96 "))
        func replayed(level: String) throws -> (alert: Int?, breach: Int?, out: String) {
            let config = directory + "/pending-\(level).toml"
            try shipped.replacingOccurrences(of: "\nfor_ticks = 1 ", with: "\nfor_ticks = 3 ")
                .replacingOccurrences(of: "\n# fire_on_pending_probability = 0.7 ", with: "\nfire_on_pending_probability = \(level) ")
                // p alone fires nothing here, so that the pending tick is what opens the alert.
                .replacingOccurrences(of: "\nfire_probability = 0.95 ", with: "\nfire_probability = 0.9999 ")
                .replacingOccurrences(of: "\nfire_at_once_probability = 0.96 ", with: "\nfire_at_once_probability = 1 ")
                .write(toFile: config, atomically: true, encoding: .utf8)
            let output = directory + "/pending-\(level).csv"
            let (code, out, err) = try DaemonProcess.run(["replay", "--config", config, "--input", Self.trace, "--output", output,
                                                          "--no-learn", "--policy-grid"], timeout: .seconds(120))
            #expect(code == 0, "\(err)")
            let predicted = try rows(output).dropFirst()
            return (predicted.firstIndex { $0[2] == "1" }, predicted.firstIndex { $0[3] == "1" }, out)
        }
        let atOnce = try replayed(level: "0.0")
        let breach = try #require(atOnce.breach)
        #expect(atOnce.alert == breach - 1, "the second tick of three")
        // `surgewatch-bench policies` reads the rule's pending ticks from the row's trace
        // (scripts/evaluate's layout), so that its line for the config's policy is replay's.
        let row = directory + "/pending-row"
        try FileManager.default.createDirectory(atPath: row, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: directory + "/pending-0.0.csv", toPath: row + "/flash-off.pred.csv")
        try FileManager.default.copyItem(atPath: Self.trace, toPath: row + "/flash-eval.csv")
        let bench = LSTMAllocationTests.bench
        let table = try runTool(bench, ["policies", "--rows", "flash", "--config", directory + "/pending-0.0.toml", row])
        #expect(table.status == 0 && table.output.contains("fire_on_pending_probability = 0.0]\n  flash  1/1 warned (100 %), 1 early,"),
                "\(table.output)")
        try FileManager.default.removeItem(atPath: row + "/flash-eval.csv")
        let noTrace = try runTool(bench, ["policies", "--rows", "flash", "--config", directory + "/pending-0.0.toml", row])
        #expect(noTrace.status != 0 && noTrace.output.contains("\(row)/flash-eval.csv"), "\(noTrace.output)")
        #expect(atOnce.out.contains("or 0.0 a tick before the rule holds)"), "\(atOnce.out)")
        #expect(atOnce.out.contains("  the config's policy:  1 episode, 1 early (100 %)"), "the grid as replay ran it\n\(atOnce.out)")
        #expect(atOnce.out.contains("[alert] fire_on_pending_probability: p on the tick before the rule holds"), "\(atOnce.out)")
        #expect(atOnce.out.contains("  with the config's level:  1 episode, 1 early (100 %)"), "\(atOnce.out)")
        let never = try replayed(level: "1.0")
        #expect(never.breach == breach && never.alert == breach, "off: the breach opens it")
        #expect(!never.out.contains("with the config's level:"), "off: the search scores no level of the config's")
        #expect(never.out.contains("the config's policy firing on no pending tick:  1 episode"), "\(never.out)")
    }

    /// `[schedule] fire_when`: the CPU on the tick before the start is 0.32 (the fixture), so a
    /// level of 0.3 opens the alert there, a tick before the sale, with the sale's p threshold
    /// off; the policy grid scores the config's policy with the level as replay ran it.
    @Test func aLevelOnTheTickBeforeAnAnnouncedSaleWarnsOfIt() throws {
        let trace = try #require(Bundle.module.path(forResource: "Fixtures/replay/announced-sale-cpu-level", ofType: "csv"))
        let shipped = try String(contentsOfFile: Self.config, encoding: .utf8)
        #expect(shipped.contains("\nfire_probability = 0.7 "), "the shipped [schedule] threshold")
        func config(level: String) throws -> String {
            let path = directory + "/level-\(UUID().uuidString).toml"
            try shipped.replacingOccurrences(of: "\nsales = []", with: "\nsales = [\"2026-01-09T20:57:00Z\"]\nfire_when = [\(level)]")
                .replacingOccurrences(of: "\nfire_probability = 0.7 ", with: "\nfire_probability = 1   ")
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        func replayed(_ config: String) throws -> (alert: Int?, breach: Int?, grid: String) {
            let output = directory + "/\(UUID().uuidString).csv"
            let (code, out, err) = try DaemonProcess.run(["replay", "--config", config, "--input", trace, "--output", output, "--no-learn",
                                                          "--policy-grid"], timeout: .seconds(120))
            #expect(code == 0, "\(err)")
            let predicted = try rows(output).dropFirst()
            return (predicted.firstIndex { $0[2] == "1" }, predicted.firstIndex { $0[3] == "1" }, out)
        }
        let start = try #require(try rows(trace).firstIndex { $0[0] == "1767992220" })
        let levelConfig = try config(level: "\"cpu_busy >= 0.3\"")
        let level = try replayed(levelConfig)
        #expect(level.alert == start - 1, "the tick before the start, 0.32 >= 0.3")
        #expect(try #require(level.breach) > start)
        #expect(level.grid.contains("the config's policy:  1 episode, 1 early (100 %)"), "\(level.grid)")
        #expect(level.grid.contains(", or on the tick before it while cpu_busy >= 0.3)"), "the summary names the level\n\(level.grid)")
        #expect(level.grid.contains("with the config's level:  1 episode, 1 early (100 %)"), "\(level.grid)")
        #expect(level.grid.contains("1 announced sale in these ticks: too few to choose a level by (10 or more)"), "\(level.grid)")
        let above = try replayed(try config(level: "\"cpu_busy >= 0.35\""))
        #expect(above.alert == above.breach, "0.32 is under 0.35, and p alone waits for the breach")
        #expect(above.grid.contains("the config's policy:  1 episode, 0 early (0 %)"), "\(above.grid)")

        // `surgewatch-bench policies` on scripts/evaluate's layout scores the level as replay
        // did: the row's replayed config beside its prediction CSV, the trace's column read.
        let row = directory + "/row-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: row, withIntermediateDirectories: true)
        let (code, _, err) = try DaemonProcess.run(["replay", "--config", levelConfig, "--input", trace, "--output", row + "/flash-off.pred.csv",
                                                    "--no-learn"], timeout: .seconds(120))
        #expect(code == 0, "\(err)")
        try FileManager.default.copyItem(atPath: levelConfig, toPath: row + "/flash-off.toml")
        try FileManager.default.copyItem(atPath: trace, toPath: row + "/flash-eval.csv")
        try "2026-01-09T20:57:00Z\n".write(toFile: row + "/flash-sales.txt", atomically: true, encoding: .utf8)
        let bench = LSTMAllocationTests.bench
        let table = try runTool(bench, ["policies", "--rows", "flash", "--config", levelConfig, row])
        #expect(table.status == 0 && table.output.contains("  flash  1/1 warned (100 %), 1 early, 0 false alarms"), "\(table.output)")
        let without = try runTool(bench, ["policies", "--rows", "flash", "--config", levelConfig, "--no-sale-level", row])
        #expect(without.status == 0 && without.output.contains("  flash  0/1 warned (0 %), 0 early"), "\(without.output)")
        try FileManager.default.removeItem(atPath: row + "/flash-eval.csv")
        let noTrace = try runTool(bench, ["policies", "--rows", "flash", "--config", levelConfig, row])
        #expect(noTrace.status != 0 && noTrace.output.contains("\(row)/flash-eval.csv"), "\(noTrace.output)")
    }

    /// `surgewatch-bench policies` scores a flash row's sale window at the threshold replay had
    /// (the row's replayed config beside its prediction CSV), not at --config's: the fixture's
    /// sale starts at p 0.77 and breaches a tick later.
    @Test func thePolicyTableScoresTheWindowAtTheReplayedThreshold() throws {
        let trace = try #require(Bundle.module.path(forResource: "Fixtures/replay/announced-sale", ofType: "csv"))
        let shipped = try String(contentsOfFile: Self.config, encoding: .utf8)
        #expect(shipped.contains("\nsales = []") && shipped.contains("\nfire_probability = 0.7 "), "the shipped [schedule]")
        let row = directory + "/window-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: row, withIntermediateDirectories: true)
        let replayed = row + "/flash-off.toml"
        try shipped.replacingOccurrences(of: "\nsales = []", with: "\nsales = [\"2026-01-05T18:12:20Z\"]")
            .replacingOccurrences(of: "\nfire_probability = 0.7 ", with: "\nfire_probability = 1   ")
            .write(toFile: replayed, atomically: true, encoding: .utf8)
        let (code, out, err) = try DaemonProcess.run(["replay", "--config", replayed, "--input", trace, "--output", row + "/flash-off.pred.csv",
                                                      "--no-learn"], timeout: .seconds(120))
        #expect(code == 0, "\(err)")
        #expect(out.contains("surgewatch     1        1       0"), "the window off, the breach opens the alert: \(out)")
        try "2026-01-05T18:12:20Z\n".write(toFile: row + "/flash-sales.txt", atomically: true, encoding: .utf8)
        let bench = LSTMAllocationTests.bench
        let table = try runTool(bench, ["policies", "--rows", "flash", "--config", Self.config, row])
        #expect(table.status == 0 && table.output.contains("  flash  0/1 warned (0 %), 0 early"), "as replay: \(table.output)")
        try FileManager.default.removeItem(atPath: replayed)
        let unreplayed = try runTool(bench, ["policies", "--rows", "flash", "--config", Self.config, row])
        #expect(unreplayed.status == 0 && unreplayed.output.contains("  flash  1/1 warned (100 %), 1 early"),
                "no replayed config: --config's 0.7 opens the alert on the sale's first tick: \(unreplayed.output)")
    }

    /// An output path that is not a regular file is written through, not replaced by a rename:
    /// a FIFO stays a FIFO and gets the CSV, a symbolic link stays a link and its target gets it
    /// (`replay --output /dev/null` once replaced the machine's /dev/null with a file).
    @Test func outputThroughAFIFOOrALinkLeavesThemAsTheyWere() throws {
        let regular = directory + "/regular.csv"
        #expect(try replay(["--no-learn"], output: regular).0 == 0)
        let expected = try Data(contentsOf: URL(fileURLWithPath: regular))

        let fifo = directory + "/out.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let received = Mutex<Data?>(nil)
        let reader = Thread {
            // Opening blocks until replay opens its end; reading ends when replay closes it.
            let fd = open(fifo, O_RDONLY)
            var data = Data(), buffer = [UInt8](repeating: 0, count: 65536)
            while fd >= 0 {
                let count = read(fd, &buffer, buffer.count)
                if count <= 0 { break }
                data.append(contentsOf: buffer[..<count])
            }
            if fd >= 0 { close(fd) }
            received.withLock { $0 = data }
        }
        reader.start()
        let (code, _, err) = try replay(["--no-learn"], output: fifo)
        #expect(code == 0, "\(err)")
        for _ in 0..<200 where received.withLock({ $0 == nil }) { usleep(10_000) }
        #expect(received.withLock { $0 } == expected, "the FIFO's reader got the whole CSV")
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO, "still a FIFO")

        let target = directory + "/target.csv", link = directory + "/link.csv"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(try replay(["--no-learn"], output: link).0 == 0)
        #expect(lstat(link, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK, "still a link")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == expected)
    }

    /// Baselines chosen on an earlier trace: here the same trace, so each choice and its figures
    /// repeat the hindsight row's; a trace without the rule's metrics is refused before any output.
    @Test func baselinesChosenOnAnotherTrace() throws {
        let output = directory + "/tuned.csv", json = directory + "/tuned.json"
        let (code, out, err) = try replay(["--no-learn", "--baselines-from", Self.trace, "--summary-json", json], output: output)
        #expect(code == 0, "\(err)")
        let lines = out.split(separator: "\n").map(String.init)
        for baseline in ["cpu threshold", "listen queue", "warning level", "holt forecast"] {
            let rows = lines.filter { $0.hasPrefix(baseline + " ") }
            #expect(rows.count == 2, "\(baseline) in hindsight and as chosen\n\(out)")
            guard rows.count == 2, let cut = rows[0].firstIndex(of: "(") else { continue }
            #expect(rows[1].hasPrefix(String(rows[0][..<cut])), "same figures\n\(out)")
            #expect(rows[1].hasSuffix(", chosen on \(Self.trace))"), "\(rows[1])")
        }
        let summary = try String(contentsOfFile: json, encoding: .utf8)
        #expect(summary.contains("\"chosen_on\":null"))
        #expect(summary.contains("\"caught_early\":1,\"recall\":1,\"early_fraction\":1,\"continuing\":0,\"warned_fraction\":1,"), "\(summary)")
        // How p came true: of the ticks before the breach with a known target, exactly the three
        // before it (horizon 3) were followed by overload, and the model was sure of them.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any])
        let bands = try #require(object["reliability"] as? [[String: Any]])
        #expect(bands.count == 5 && bands.compactMap { $0["overload_within_horizon"] as? Int }.reduce(0, +) == 3, "\(bands)")
        #expect((bands.last?["overload_within_horizon"] as? Int) == 3, "\(bands)")
        #expect(out.contains("how p(overload) came true (ticks before a breach, and the share followed by overload within 30s):"), "\(out)")
        #expect(summary.contains("\"chosen_on\":\"\(Self.trace)\""))

        let narrow = directory + "/narrow.csv", refused = directory + "/refused.csv"
        try "timestamp,cpu_busy\n1,0.5\n".write(toFile: narrow, atomically: true, encoding: .utf8)
        let (failed, _, failure) = try replay(["--no-learn", "--baselines-from", narrow], output: refused)
        #expect(failed == 1)
        #expect(failure.contains("\(narrow): no column 'tcp_listen_overflows_per_s', which the [overload] rule reads"), "\(failure)")
        #expect(!FileManager.default.fileExists(atPath: refused), "nothing written on bad input")
    }

    /// `replay --policy-grid` and `surgewatch-bench score` re-score probabilities (any
    /// predictor's, from a prediction CSV) with the state machine and EpisodeScore that `replay`
    /// uses: on replay's own output they must agree with its summary.
    @Test func scoringAPredictionCSVAgreesWithReplay() throws {
        let output = directory + "/scored.csv"
        let (code, out, err) = try replay(["--no-learn", "--policy-grid"], output: output)
        #expect(code == 0, "\(err)")
        #expect(out.contains("surgewatch     1        1       1"), "\(out)")
        // replay's own grid, under the caution that one episode in 55 minutes chooses nothing:
        // the config's policy first, as in the summary, then settings to copy.
        #expect(out.contains("\nnote: 1 overload episode over 55m: too short a trace to choose [alert] settings on (fewer than 5 episodes or under a day); "
                             + "what follows fits this span alone, so let a week and a few sales pass before you copy from it\n"
                             + "surgewatch under other alert policies (chosen on this trace, in hindsight):\n"
                             + "  the config's policy:  1 episode, 1 early (100 %), 0.0 false alarms/day"), "\(out)")
        #expect(out.contains("  best early - false alarms:  1 episode, 1 early (100 %)"), "\(out)")
        #expect(out.contains("[fire_probability = "), "\(out)")
        // The grid fires at once on no tick; the shipped config's at-once level is scored apart.
        #expect(out.contains("[alert] fire_at_once_probability: p on one tick that fires without waiting for fire_after ticks, "
                             + "with the config's policy otherwise (in hindsight; choose on an earlier trace):\n"
                             + "  the config's policy firing only after fire_after ticks:  1 episode"), "\(out)")
        #expect(out.contains("  with the config's level:  1 episode, 1 early (100 %)") && out.contains("[fire_at_once_probability = 0.96]"), "\(out)")
        let bench = LSTMAllocationTests.bench
        let scored = try runTool(bench, ["score", "--config", Self.config, "--predictions", output])
        #expect(scored.status == 0, "\(scored.output)")
        #expect(scored.output.contains("the config's policy:  1 episode, 1 early (100 %), 0.0 false alarms/day"), "\(scored.output)")
        #expect(scored.output.contains("best early - false alarms"), "\(scored.output)")
        let missing = try runTool(bench, ["score", "--config", Self.config, "--predictions", Self.trace])
        #expect(missing.status != 0 && missing.output.contains("expected the columns timestamp,probability,alerting,label"),
                "\(missing.output)")
    }

    /// `surgewatch-bench policies` scores a grid on scripts/evaluate's layout (ROW-off.pred.csv
    /// per directory): on replay's own output, its line for the config's policy is replay's.
    @Test func thePolicyTableAgreesWithReplay() throws {
        let (code, out, err) = try replay(["--no-learn"], output: directory + "/flash-off.pred.csv")
        #expect(code == 0, "\(err)")
        #expect(out.contains("surgewatch     1        1       1"), "\(out)")
        let bench = LSTMAllocationTests.bench
        let table = try runTool(bench, ["policies", "--rows", "flash", "--config", Self.config, directory])
        #expect(table.status == 0, "\(table.output)")
        #expect(table.output.contains("online learning off, flash 1 traces; 600 policies, each resolving below 0.2 for 3 ticks"), "\(table.output)")
        #expect(table.output.contains("the config's policy: net 1  [fire_probability = 0.95, fire_after = 2, fire_at_once_probability = 0.96, "
                                      + "fire_on_leap_probability = 1.0]\n  flash  1/1 warned (100 %), 1 early, 0 false alarms = 0.00/day, net 1"),
                "\(table.output)")
        let csv = try runTool(bench, ["policies", "--csv", "--rows", "flash", "--config", Self.config, directory])
        let lines = csv.output.split(separator: "\n")
        #expect(csv.status == 0 && lines.count == 601, "a header and a line per policy: \(csv.output.prefix(500))")
        #expect(lines.contains { $0.hasPrefix("0.8,2,0.95,1.0,flash,1,1,1,0,") }, "the default policy's line: \(csv.output.prefix(500))")
        let missing = try runTool(bench, ["policies", "--rows", "flash,worldcup", "--config", Self.config, directory])
        #expect(missing.status != 0 && missing.output.contains("no worldcup-off.pred.csv in \(directory)"), "\(missing.output)")
        // A sales list beside the predictions is announced; a bad line is named by its own number.
        try "2026-01-09T20:57:00Z\n\nsoon\n".write(toFile: directory + "/flash-sales.txt", atomically: true, encoding: .utf8)
        let bad = try runTool(bench, ["policies", "--rows", "flash", "--config", Self.config, directory])
        #expect(bad.status != 0 && bad.output.contains("\(directory)/flash-sales.txt:3: expected an RFC 3339 time, got \"soon\""), "\(bad.output)")
    }

    /// The prediction CSV repeats the trace's timestamps exactly, fractions of a second too (a
    /// daemon's ticks are not on whole seconds); they once came out as 1.76803e+09.
    @Test func fractionalTimestampsComeBackExactly() throws {
        var lines = try String(contentsOfFile: Self.trace, encoding: .utf8).split(separator: "\n").map(String.init)
        var expected: [Double] = []
        for index in 1..<lines.count {
            var cells = lines[index].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let shifted = Double(cells[0])! + 0.25 + Double(index % 7) / 1000
            cells[0] = String(shifted)
            expected.append(shifted)
            lines[index] = cells.joined(separator: ",")
        }
        let input = directory + "/fractional.csv", output = directory + "/fractional.pred.csv"
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let (code, _, err) = try DaemonProcess.run(["replay", "--config", Self.config, "--input", input, "--output", output, "--no-learn"],
                                                   timeout: .seconds(120))
        #expect(code == 0, "\(err)")
        let written = try rows(output).dropFirst().map { Double($0[0]) }
        #expect(written == expected.map { Optional($0) })
    }

    @Test func sameSeedSameOutputWithOnlineLearning() throws {
        var outputs: [(Data, Data)] = []
        for run in 0..<2 {
            let csv = directory + "/learn\(run).csv", model = directory + "/learn\(run).swm"
            let (code, _, err) = try replay(["--seed", "7", "--save-model", model], output: csv)
            #expect(code == 0, "\(err)")
            outputs.append((try Data(contentsOf: URL(fileURLWithPath: csv)), try Data(contentsOf: URL(fileURLWithPath: model))))
        }
        #expect(outputs[0].0 == outputs[1].0, "identical prediction CSV")
        #expect(outputs[0].1 == outputs[1].1, "identical model file")
    }

    /// A config whose features no trained model reads starts a fresh model, and replay runs it
    /// as the daemon does: every layer learns, and `layers = "all"` makes a trained model do so too.
    @Test func aFreshModelLearnsEveryLayerAsInTheDaemon() throws {
        let shipped = try String(contentsOfFile: Self.config, encoding: .utf8)
        let fresh = directory + "/fresh.toml", everyLayer = directory + "/every-layer.toml"
        let features = #"features = ["cpu_busy", "load1", "psi_cpu_some_avg10", "tcp_established", "tcp_listen_queue_ratio"]"#
        #expect(shipped.contains(features) && shipped.contains(#"layers = "output""#))
        try shipped.replacingOccurrences(of: features, with: #"features = ["cpu_busy", "load1"]"#)
            .write(toFile: fresh, atomically: true, encoding: .utf8)
        try shipped.replacingOccurrences(of: #"layers = "output""#, with: #"layers = "all""#)
            .write(toFile: everyLayer, atomically: true, encoding: .utf8)
        for (config, expected) in [(Self.config, "with the built-in default model, online learning on (output layer)"),
                                   (fresh, "with a fresh model"), (everyLayer, "with the built-in default model, online learning on (every layer)")] {
            let (code, out, err) = try DaemonProcess.run(["replay", "--config", config, "--input", Self.trace, "--output", directory + "/p.csv"],
                                                         timeout: .seconds(120))
            #expect(code == 0, "\(err)")
            #expect(out.contains(expected), "\(out)")
            if config == fresh { #expect(out.contains("online learning on (every layer)"), "\(out)") }
        }
    }

    @Test func trainIsDeterministicForASeed() throws {
        var models: [Data] = []
        for (run, seed) in [(0, "3"), (1, "3"), (2, "4")] {
            let model = directory + "/trained\(run).swm"
            let (code, out, err) = try DaemonProcess.run(["train", "--config", Self.config, "--input", Self.trace, "--output", model,
                                                          "--epochs", "2", "--seed", seed], timeout: .seconds(120))
            #expect(code == 0, "\(err)")
            #expect(err.contains("epoch 2/2"), "progress per epoch on stderr")
            #expect(err.contains("epochs ranked by validation episodes warned early minus false alarms; alerts fire at p >= 0.95 for 2 ticks or 0.96 once, resolve below 0.5 for 3 ticks"),
                    "the ranking's band, 0.5 whatever the config's: \(err)")
            #expect(out.contains("model for 5 features, window 30, horizon 3, ticks of 10s"), "\(out)")
            #expect(err.contains("overload episodes in the validation parts: ") && err.contains(" in \(Self.trace)"),
                    "each trace's validation episodes named: \(err)")
            #expect(!err.contains("thinned"), "a short trace is under the default limit: \(err)")
            models.append(try Data(contentsOf: URL(fileURLWithPath: model)))
        }
        #expect(models[0] == models[1], "same seed and trace: the same model file")
        #expect(models[0] != models[2], "another seed: another initialisation")

        // A recipe pins the ranking's policy (scripts/train-default-model): the model is the
        // one the same pins trained under any [alert] defaults.
        let pinned = directory + "/pinned.swm"
        let (code, _, err) = try DaemonProcess.run(["train", "--config", Self.config, "--input", Self.trace, "--output", pinned, "--epochs", "2",
                                                    "--seed", "3", "--rank-fire-probability", "0.8", "--rank-fire-at-once-probability", "0.95"],
                                                   timeout: .seconds(120))
        #expect(code == 0, "\(err)")
        #expect(err.contains("alerts fire at p >= 0.8 for 2 ticks or 0.95 once, resolve below 0.5 for 3 ticks"), "\(err)")
        let (refused, _, refusal) = try DaemonProcess.run(["train", "--config", Self.config, "--input", Self.trace, "--output", pinned,
                                                           "--rank-fire-at-once-probability", "1.5"], timeout: .seconds(120))
        #expect(refused != 0 && refusal.contains("--rank-fire-at-once-probability must be in (0, 1]"), "\(refusal)")
    }

    /// `train` says when `--max-normal-windows` thins the normal windows, and how much: the
    /// limit is shared by every trace given, so more traces keep each one's ordinary ticks
    /// sparser (BENCHMARKS.md, session 47). trainIsDeterministicForASeed checks that a trace
    /// under the limit gets no such line.
    @Test func trainSaysWhenItThinsTheNormalWindows() throws {
        let (code, _, err) = try DaemonProcess.run(["train", "--config", Self.config, "--input", Self.trace, "--output", directory + "/thinned.swm",
                                                    "--epochs", "1", "--max-normal-windows", "20"], timeout: .seconds(120))
        #expect(code == 0, "\(err)")
        let said = try #require(err.firstMatch(of: #/of them overload; normal windows thinned evenly to (\d+) of (\d+) \(--max-normal-windows 20\)/#),
                                "\(err)")
        #expect(Int(said.1)! <= 20 && Int(said.2)! > 20, "\(err)")
    }

    /// `train --relative-levels`: a model that reads load and connections against the host's
    /// own level predicts the same trace on a host four times the size (those columns × 4) as
    /// on the nominal one, where a model trained without it moves; bounded or unknown
    /// features are refused by name.
    @Test func aModelReadingRelativeLevelsIsTheSameOnALargerHost() throws {
        let lines = try String(contentsOfFile: Self.trace, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let scaled = ["load1", "tcp_established"].map { header.firstIndex(of: $0)! }
        let larger = directory + "/larger.csv"
        let rows = lines.dropFirst().map { line -> String in
            var cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            for column in scaled { if let value = Double(cells[column]) { cells[column] = String(value * 4) } }
            return cells.joined(separator: ",")
        }
        try ([lines[0]] + rows).joined(separator: "\n").appending("\n").write(toFile: larger, atomically: true, encoding: .utf8)
        var spread: [Double] = []
        for relative in [true, false] {
            let model = directory + "/relative-\(relative).swm"
            let (code, _, err) = try DaemonProcess.run(["train", "--config", Self.config, "--input", Self.trace, "--output", model, "--epochs", "2"]
                                                       + (relative ? ["--relative-levels", "load1,tcp_established"] : []), timeout: .seconds(120))
            #expect(code == 0, "\(err)")
            var probabilities: [[Double]] = []
            for input in [Self.trace, larger] {
                let output = directory + "/p-\(relative)-\(probabilities.count).csv"
                let (replayed, _, replayErr) = try DaemonProcess.run(["replay", "--config", Self.config, "--model", model, "--no-learn",
                                                                      "--input", input, "--output", output], timeout: .seconds(120))
                #expect(replayed == 0, "\(replayErr)")
                probabilities.append(try self.rows(output).dropFirst().compactMap { Double($0[1]) })
            }
            #expect(probabilities[0].count > 100 && probabilities[0].count == probabilities[1].count)
            // check-config says which features the model reads against the host's level.
            let config = directory + "/with-model-\(relative).toml"
            try "[model]\npath = \"\(model)\"\n".write(toFile: config, atomically: true, encoding: .utf8)
            let (checked, said, checkErr) = try DaemonProcess.run(["check-config", config])
            #expect(checked == 0, "\(checkErr)")
            #expect(said.contains("model: reads load1, tcp_established against this host's usual level") == relative, "\(said)")
            spread.append(zip(probabilities[0], probabilities[1]).map { abs($0 - $1) }.max() ?? 0)
        }
        #expect(spread[0] < 0.02, "relative levels: p moves by at most \(spread[0]) on the larger host")
        #expect(spread[1] > 5 * spread[0], "absolute levels: p moves by \(spread[1]) on the larger host")

        for (names, complaint) in [("cpu_busy", "--relative-levels: cpu_busy is a bounded figure"),
                                   ("http_rps", "--relative-levels: http_rps is not one of the config's features")] {
            let (code, _, err) = try DaemonProcess.run(["train", "--config", Self.config, "--input", Self.trace, "--output", directory + "/x.swm",
                                                        "--epochs", "1", "--relative-levels", names], timeout: .seconds(120))
            #expect(code != 0 && err.contains(complaint), "\(err)")
        }
    }

    /// A trace too short for one window gives nothing to learn, and one too short for a
    /// mini-batch of 32 windows nothing learned (each epoch drops its last partial batch: 31
    /// windows once wrote the random initial model with exit 0): `train` says why and writes no
    /// file, rather than an untrained model that would pass for a trained one. With window 30
    /// and horizon 3 in the first 80 %, 42 rows give 1 window, 79 give 31 and 80 give 32, which
    /// train, with a warning that none is overload.
    @Test func trainRefusesTracesTooShortToLearnFrom() throws {
        let lines = try String(contentsOfFile: Self.trace, encoding: .utf8).split(separator: "\n").map(String.init)
        let refusals = [
            41: "no window to learn from, nothing written: a trace's training part (its first 80 %) needs at least window.ticks + model.horizon_ticks = 33 ticks with the features present; the longest here has 32",
            42: "1 training windows, fewer than one mini-batch of 32: nothing learned, nothing written; a trace's training part (its first 80 %) needs at least 64 ticks with the features present",
            79: "31 training windows, fewer than one mini-batch of 32: nothing learned, nothing written; a trace's training part (its first 80 %) needs at least 64 ticks with the features present",
        ]
        for rows in [41, 42, 79, 80] {
            let short = directory + "/short\(rows).csv", model = directory + "/short\(rows).swm"
            try (lines.prefix(rows + 1).joined(separator: "\n") + "\n").write(toFile: short, atomically: true, encoding: .utf8)
            let (code, _, err) = try DaemonProcess.run(["train", "--config", Self.config, "--input", short, "--output", model, "--epochs", "1"])
            #expect(FileManager.default.fileExists(atPath: model) == (refusals[rows] == nil), "\(rows) rows: \(err)")
            #expect(!err.contains("loss nan"), "no epoch runs on nothing: \(err)")
            if let refusal = refusals[rows] {
                #expect(code == 1)
                #expect(err.contains(refusal), "\(rows) rows: \(err)")
            } else {
                #expect(code == 0, "\(err)")
                #expect(err.contains("32 training windows per epoch, 0 of them overload"), "\(err)")
                #expect(err.contains("warning: no training window is overload"), "\(err)")
            }
        }
    }

    /// `train --output -` writes the model to a pipe, not to a terminal (as gzip refuses to):
    /// under a pseudo-terminal (`script`) it is refused before any training.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func trainWritesNoModelToATerminal() throws {
        let command = "'\(DaemonProcess.binary)' train --config '\(Self.config)' --input '\(Self.trace)' --output - --epochs 1"
        let (status, output) = try runTool("/usr/bin/script", ["-qec", command, "/dev/null"])
        #expect(status == 1, "\(output)")
        #expect(output.contains("surgewatch: --output -: standard output is a terminal, and a model file is binary; redirect it to a file or a pipe"),
                "\(output)")
        #expect(!output.contains("training on"), "refused before training: \(output)")
    }

    /// The horizon and window are counted in ticks: `train` records the traces' tick in the model
    /// and refuses traces of two tick lengths; `replay` warns when the trace's tick is not the
    /// model's, and says nothing when it is.
    @Test func theTickLengthIsRecordedAndAMismatchSaid() throws {
        let lines = try String(contentsOfFile: Self.trace, encoding: .utf8).split(separator: "\n").map(String.init)
        let first = try #require(Double(lines[1].prefix { $0 != "," }))
        let slow = directory + "/every-20s.csv"
        let stretched = lines.dropFirst().map { line -> String in
            let time = Double(line.prefix { $0 != "," })!
            return String(Int(first + (time - first) * 2)) + line.drop { $0 != "," }
        }
        try ([lines[0]] + stretched).joined(separator: "\n").appending("\n").write(toFile: slow, atomically: true, encoding: .utf8)

        let mixed = directory + "/mixed.swm"
        let (mixedCode, _, mixedErr) = try DaemonProcess.run(["train", "--config", Self.config, "--input", Self.trace, "--input", slow,
                                                              "--output", mixed, "--epochs", "1"], timeout: .seconds(120))
        #expect(mixedCode == 1 && !FileManager.default.fileExists(atPath: mixed))
        #expect(mixedErr.contains("\(slow): its ticks are 20s apart, \(Self.trace)'s 10s: a model's horizon and window are counted in ticks, so train on traces of one tick length"), "\(mixedErr)")

        let model = directory + "/every-20s.swm"
        let (code, out, err) = try DaemonProcess.run(["train", "--config", Self.config, "--input", slow, "--output", model, "--epochs", "1"],
                                                     timeout: .seconds(120))
        #expect(code == 0 && out.contains("horizon 3, ticks of 20s"), "\(out)\(err)")
        #expect(err.contains("warning: the traces' ticks are 20s, \(Self.config)'s sampling.interval is 10s: the model learns horizon and window at 20s ticks"), "\(err)")

        func replaySlow(_ extra: [String]) throws -> (Int32?, String, String) {
            try DaemonProcess.run(["replay", "--config", Self.config, "--input", slow, "--output", directory + "/slow.csv", "--no-learn"] + extra,
                                  timeout: .seconds(120))
        }
        let (ownCode, _, ownErr) = try replaySlow(["--model", model])
        #expect(ownCode == 0 && !ownErr.contains("warning"), "the model's own tick: \(ownErr)")
        let (fastCode, _, fastErr) = try replay(["--no-learn", "--model", model], output: directory + "/fast.csv")
        #expect(fastCode == 0 && fastErr.contains("warning: the model was trained on ticks of 20s, the trace's ticks are 10s"), "\(fastErr)")
        let (builtInCode, _, builtInErr) = try replaySlow([])
        #expect(builtInCode == 0)
        #expect(builtInErr.contains("warning: the model was trained on ticks of 10s, the trace's ticks are 20s: its horizon of 3 ticks looks 1m ahead here, not 30s, and its window of 30 ticks spans 10m, not 5m"), "\(builtInErr)")
    }

    @Test func badTracesAreNamedWithLineAndColumn() throws {
        let bad = directory + "/bad.csv"
        var lines = try String(contentsOfFile: Self.trace, encoding: .utf8).split(separator: "\n").map(String.init)
        var cells = lines[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        cells[1] = "abc"
        lines[3] = cells.joined(separator: ",")
        try (lines.joined(separator: "\n") + "\n").write(toFile: bad, atomically: true, encoding: .utf8)
        let (code, _, err) = try DaemonProcess.run(["replay", "--config", Self.config, "--input", bad, "--output", directory + "/x.csv"])
        #expect(code == 1)
        #expect(err.contains("\(bad):4: column '\(lines[0].split(separator: ",")[1])': 'abc' is not a number"), "\(err)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/x.csv"), "nothing written on bad input")

        let narrow = directory + "/narrow.csv"
        try "timestamp,cpu_busy\n1,0.5\n".write(toFile: narrow, atomically: true, encoding: .utf8)
        let (missing, _, missingErr) = try DaemonProcess.run(["replay", "--config", Self.config, "--input", narrow, "--output", directory + "/y.csv"])
        #expect(missing == 1)
        #expect(missingErr.contains("the trace \(narrow) has no column 'load1'"), "\(missingErr)")

        // A header alone scored "0 episodes" with baselines chosen on nothing, and exited 0.
        let headerOnly = directory + "/header-only.csv"
        try (lines[0] + "\n").write(toFile: headerOnly, atomically: true, encoding: .utf8)
        let (empty, _, emptyErr) = try DaemonProcess.run(["replay", "--config", Self.config, "--input", headerOnly, "--output", directory + "/z.csv"])
        #expect(empty == 1)
        #expect(emptyErr.contains("\(headerOnly): no rows after the header, nothing to replay"), "\(emptyErr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/z.csv"), "nothing written for an empty trace")
        let (emptyEarlier, _, emptyEarlierErr) = try DaemonProcess.run(["replay", "--config", Self.config, "--input", Self.trace,
                                                                        "--baselines-from", headerOnly, "--output", directory + "/w.csv"])
        #expect(emptyEarlier == 1)
        #expect(emptyEarlierErr.contains("\(headerOnly): no rows after the header, no baseline setting to choose"), "\(emptyEarlierErr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/w.csv"))
    }
}
