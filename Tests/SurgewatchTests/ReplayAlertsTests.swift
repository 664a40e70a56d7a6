import Foundation
import Testing
import SurgeConfig

/// `surgewatch replay --alerts`: the replay's alert events as the daemon would send them to
/// journald, one `journalctl -o json` object a line.
@Suite final class ReplayAlertsTests {
    let directory = NSTemporaryDirectory() + "surgewatch-replay-alerts-\(UUID().uuidString.prefix(8))"

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func objects(_ text: String) throws -> [[String: String]] {
        try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], "every value a string, as journald's")
        }
    }

    func replay(_ input: String, _ extra: [String]) throws -> (Int32?, String, String) {
        try DaemonProcess.run(["replay", "--config", ReplayCommandTests.config, "--input", input, "--output", directory + "/pred.csv",
                               "--no-learn"] + extra, timeout: .seconds(120))
    }

    /// The committed episode: a predicted alert, its escalation, its resolution, one alert id,
    /// the times those of the prediction CSV's rows.
    @Test func theEpisodeIsThreeJournalEntries() throws {
        let path = directory + "/alerts.jsonl"
        let (code, out, err) = try replay(ReplayCommandTests.trace, ["--alerts", path])
        #expect(code == 0, "\(err)")
        #expect(out.contains("early - false alarms"), "the summary on stdout as before: \(out)")
        let entries = try objects(String(contentsOfFile: path, encoding: .utf8))
        #expect(entries.map { "\($0["SURGE_EVENT"] ?? "") \($0["SURGE_KIND"] ?? "")" } == ["fired predicted", "fired breached", "resolved breached"])
        #expect(entries.map { $0["PRIORITY"] } == ["4", "2", "5"])
        #expect(entries.map { $0["MESSAGE_ID"] } == ["cff32a2d4a2942639a8a7e23a8a382e6", "6fb7f1d8c36447bab5c2c73b99d3bd70", "e2f42aee8f6d4cde98d42a246c2296e6"])
        #expect(Set(entries.map { $0["SURGE_ALERT_ID"] }).count == 1)
        #expect(entries.allSatisfy { $0["SYSLOG_IDENTIFIER"] == "surgewatch" && $0["MESSAGE"] != nil && $0["SURGE_TOP_FEATURES"] != nil })
        #expect(entries[1]["SURGE_ESCALATED_FROM"] == "predicted")
        // How bad it got: the breach's worst listen overflows, over the warning's ticks too.
        let note = try #require(entries[2]["SURGE_NOTE"])
        #expect(note.hasPrefix("SLO rule broken on ") && note.contains(" of the alert's ") && note.contains("tcp_listen_overflows_per_s up to "),
                "\(note)")
        #expect(entries[2]["SURGE_RULE_APPROACH"]?.contains("\"broken_ticks\":") == true)
        // The fired entry's time is the first row the prediction CSV marks alerting.
        let rows = try String(contentsOfFile: directory + "/pred.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let firstAlerting = try #require(rows.first { $0[2] == "1" })
        let microseconds = try #require(entries.first?["__REALTIME_TIMESTAMP"].flatMap { Int64($0) })
        #expect(Double(microseconds) / 1e6 == Double(firstAlerting[0]), "\(microseconds) against \(firstAlerting[0])")
    }

    /// The same trace with the rule's metrics held under its limits: the warning fires and ends
    /// with no breach, and its resolved entry says how near the rule came.
    @Test func aWarningWithNoBreachSaysHowNearTheRuleCame() throws {
        let lines = try String(contentsOfFile: ReplayCommandTests.trace, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let overflows = try #require(header.firstIndex(of: "tcp_listen_overflows_per_s"))
        let psi = try #require(header.firstIndex(of: "psi_cpu_some_avg10"))
        var maxPSI = 0.0
        let rows = lines.dropFirst().map { line -> String in
            var cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cells[overflows] = "0"
            let value = min(Double(cells[psi])!, 45)
            maxPSI = max(maxPSI, value)
            cells[psi] = String(value)
            return cells.joined(separator: ",")
        }
        let trace = directory + "/near-miss.csv"
        try ([lines[0]] + rows).joined(separator: "\n").appending("\n").write(toFile: trace, atomically: true, encoding: .utf8)
        let (code, out, err) = try replay(trace, ["--alerts", "-"])
        #expect(code == 0, "\(err)")
        #expect(err.contains("early - false alarms"), "the summary on stderr when the alerts take stdout: \(err)")
        let entries = try objects(out)
        #expect(entries.map { "\($0["SURGE_EVENT"] ?? "") \($0["SURGE_KIND"] ?? "")" } == ["fired predicted", "resolved predicted"])
        let resolved = try #require(entries.last)
        let note = try #require(resolved["SURGE_NOTE"])
        #expect(note.hasPrefix("SLO rule not broken: tcp_listen_overflows_per_s up to 0/s (rule > 0/s), psi_cpu_some_avg10 up to "), "\(note)")
        #expect(resolved["MESSAGE"]?.hasSuffix(note) == true)
        let approach = try #require(resolved["SURGE_RULE_APPROACH"])
        let reached = try #require((try JSONSerialization.jsonObject(with: Data(approach.utf8)) as? [String: Any])?["reached"] as? [[String: Any]])
        #expect(reached.map { $0["condition"] as? String } == ["tcp_listen_overflows_per_s > 0", "psi_cpu_some_avg10 > 50"])
        #expect(reached.last?["value"] as? Double == maxPSI, "the highest psi the alert's ticks held (the trace's ticks before it are calmer)")

        // The summary lists it as a false alarm, read from the trace's columns, in the words
        // of the resolved entry the pipeline wrote as it went.
        let said = err.split(separator: "\n").map(String.init)
        let heading = try #require(said.firstIndex(of: "alerts no overload was in or followed (the false alarms above), with how near the SLO rule came: 1"), "\(err)")
        let firedMicroseconds = try #require(entries.first?["__REALTIME_TIMESTAMP"].flatMap { Double($0) })
        #expect(said[heading + 1].hasPrefix("  \(RFC3339.format(firedMicroseconds / 1e6)), open "), "\(said[heading + 1])")
        #expect(said[heading + 1].hasSuffix(": " + note), "\(said[heading + 1])")

        // And in the summary's JSON, with the journal field's own object.
        let summary = directory + "/summary.json"
        let (summaryCode, _, summaryErr) = try replay(trace, ["--summary-json", summary])
        #expect(summaryCode == 0, "\(summaryErr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as? [String: Any])
        let quiet = try #require(object["quiet_alerts"] as? [[String: Any]], "\(object)")
        #expect(quiet.count == 1, "\(quiet)")
        let text = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(text.contains("\"rule_approach\":" + approach + "}"), "the journal field's object, byte for byte: \(text.suffix(600)) against \(approach)")
    }

    @Test func bothOnStandardOutputIsRefused() throws {
        let (code, _, err) = try DaemonProcess.run(["replay", "--config", ReplayCommandTests.config, "--input", ReplayCommandTests.trace,
                                                    "--output", "-", "--alerts", "-"])
        #expect(code == 1)
        #expect(err.contains("--alerts and --output cannot both write standard output"), "\(err)")
    }
}
