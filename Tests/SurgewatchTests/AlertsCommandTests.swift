import Foundation
import Testing
import SurgeDetection
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

    @Test func tableNewestFirstWithDurations() throws {
        let (code, out, err) = try DaemonProcess.run(["alerts", "--db", database])
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

    @Test func sinceFiltersAndJSONIsMachineReadable() throws {
        let (code, out, _) = try DaemonProcess.run(["alerts", "--db", database, "--since", "2h", "--json"])
        #expect(code == 0)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]])
        #expect(list.map { $0["id"] as? String } == ["new"])
        #expect(list.first?["resolved_at"] is NSNull)
        #expect((list.first?["top_features"] as? [[String: Any]])?.first?["recent"] as? Int == 61)
    }

    @Test func badArgumentsAndMissingFilesAreClear() throws {
        let (both, _, bothErr) = try DaemonProcess.run(["alerts", "--db", database, "--config", "/etc/x.toml"])
        #expect(both != 0 && bothErr.contains("give --config or --db, not both"))
        let (since, _, sinceErr) = try DaemonProcess.run(["alerts", "--db", database, "--since", "yesterday"])
        #expect(since != 0 && sinceErr.contains("--since: expected a duration such as 2h or 30d, got yesterday"))
        let (missing, _, missingErr) = try DaemonProcess.run(["alerts", "--db", directory + "/nope.db"])
        #expect(missing == 1)
        #expect(missingErr.hasPrefix("surgewatch alerts: \(directory)/nope.db: unable to open database file"), "\(missingErr)")
    }
}
