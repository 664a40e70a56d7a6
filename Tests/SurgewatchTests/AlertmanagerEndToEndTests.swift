import Foundation
import Glibc
import Testing
import TestSupport

/// `[alertmanager]` against a real Alertmanager, whose webhook receiver is the sources' test
/// server (`POST /record/hook`): the daemon's alerts reach the Alertmanager's API and its
/// receiver as they fire and resolve, survive an Alertmanager that is down at the fire and a
/// quick restart of the daemon, and `test-alert` reaches the receiver.
@Suite(.serialized) struct AlertmanagerEndToEndTests {
    typealias Server = ApplicationSourcesEndToEndTests.Server

    /// One-second ticks over the fixture /proc with a fresh model on `load1` (its p withheld,
    /// so alerts follow the rule alone), and a rule that `holds` or never does.
    static func config(alertmanager: String, holds: Bool, extra: String = "") -> String {
        DaemonEndToEndTests.config(procRoot: DaemonEndToEndTests.fixtures + "/t2", window: 3, features: "[\"load1\"]") + """
            [overload]
            any = ["\(holds ? "load1 >= 0" : "load1 > 1000")"]
            [alertmanager]
            urls = ["\(alertmanager)"]
            labels = { team = "shop" }
            \(extra)
            """
    }

    /// The receiver, an Alertmanager that notifies it, and a config whose rule holds; nil (and
    /// an issue recorded) where no Alertmanager can run.
    static func setUp() throws -> (Server, AlertmanagerProcess, Scratch)? {
        if let why = AlertmanagerProcess.unavailable {
            Issue.record(Comment(rawValue: why))
            return nil
        }
        let server = try Server()
        let alertmanager = try AlertmanagerProcess(webhook: server.base + "/record/hook")
        return (server, alertmanager, try Scratch(config: config(alertmanager: alertmanager.base, holds: true)))
    }

    /// What the receiver got: each post's JSON.
    static func received(_ server: Server) throws -> [[String: Any]] {
        try runTool("/usr/bin/curl", ["-s", "\(server.base)/recorded/hook"]).output.split(separator: "\n")
            .filter { $0.hasPrefix("{") }
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// The first alert the Alertmanager lists, waited for while `daemon` runs.
    static func firstListed(_ alertmanager: AlertmanagerProcess, while daemon: DaemonProcess, within timeout: Duration) -> [String: Any]? {
        var listed: [[String: Any]] = []
        _ = daemon.waitFor(timeout) { _ in
            listed = (try? alertmanager.alerts()) ?? []
            return !listed.isEmpty
        }
        return listed.first
    }

    static func alertID(in stderr: String) -> String? {
        stderr.split(separator: " ").first { $0.hasPrefix("SURGE_ALERT_ID=") }.map { String($0.dropFirst("SURGE_ALERT_ID=".count)) }
    }

    @Test func aBreachReachesTheAlertmanagerAndItsReceiverThenResolves() throws {
        guard let (server, alertmanager, scratch) = try Self.setUp() else { return }
        let daemon = try DaemonProcess(["run", "--config", scratch.config, "--state-dir", scratch.state, "--tick-output", "none"])

        let alert = try #require(Self.firstListed(alertmanager, while: daemon, within: .seconds(20)), "\(daemon.stderr)")
        #expect(alert.labels == ["alertname": "OverloadBreached", "severity": "critical", "instance": AlertmanagerSinkTests.hostName, "team": "shop"])
        let id = try #require(Self.alertID(in: daemon.stderr), "\(daemon.stderr)")
        #expect(alert.annotations["alert_id"] == id, "the journal's and the database's id")
        #expect(alert.annotations["summary"] == "overload: SLO breached (no prediction yet)")
        #expect((alert["status"] as? [String: Any])?["state"] as? String == "active")

        var posts: [[String: Any]] = []
        #expect(daemon.waitFor(.seconds(20)) { _ in
            posts = (try? Self.received(server)) ?? []
            return posts.contains { $0["status"] as? String == "firing" }
        }, "the receiver is notified: \(posts)")

        // The rule stops holding: the alert resolves, and the receiver is told.
        try scratch.write(config: Self.config(alertmanager: alertmanager.base, holds: false))
        daemon.signal(SIGHUP)
        #expect(daemon.waitFor(.seconds(30)) { _ in
            posts = (try? Self.received(server)) ?? []
            return posts.contains { $0["status"] as? String == "resolved" }
        }, "\(posts) \(daemon.stderr)")
        #expect((try alertmanager.alerts()).isEmpty, "no longer active")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(.seconds(10)) == 0, "\(daemon.stderr)")
        #expect(!daemon.stderr.contains("not delivered to Alertmanager"), "\(daemon.stderr)")
    }

    /// An Alertmanager down when the alert fires gets it once it is up (the post is tried again,
    /// 1 s, 2 s, 4 s ... apart), and the log says both.
    @Test func anAlertmanagerDownAtTheFireGetsTheAlertOnceUp() throws {
        if let why = AlertmanagerProcess.unavailable { Issue.record(Comment(rawValue: why)); return }
        let server = try Server()
        let port = try LoopbackPort.unused()
        let url = "http://127.0.0.1:\(port)"
        let scratch = try Scratch(config: Self.config(alertmanager: url, holds: true))
        let socket = try NotifySocket()
        let daemon = try DaemonProcess(["run", "--config", scratch.config, "--state-dir", scratch.state, "--tick-output", "none"],
                                       environment: ["NOTIFY_SOCKET": socket.path])
        #expect(daemon.waitFor(.seconds(20)) { $0.stderr.contains("alerts not delivered to Alertmanager \(url)/api/v2/alerts: ") },
                "\(daemon.stderr)")
        #expect(daemon.stderr.contains("and the journal and the database have them"), "\(daemon.stderr)")
        #expect(socket.waitFor { $0.contains(" source failures · alerts not reaching the Alertmanager") }, "systemctl status says it: \(socket.messages)")

        let alertmanager = try AlertmanagerProcess(webhook: server.base + "/record/hook", port: port)
        let listed = Self.firstListed(alertmanager, while: daemon, within: .seconds(30))
        #expect(listed?.labels["alertname"] == "OverloadBreached", "\(daemon.stderr)")
        #expect(daemon.waitFor(.seconds(5)) { $0.stderr.contains("Alertmanager \(url)/api/v2/alerts takes alerts again, after ") }, "\(daemon.stderr)")
        let seen = socket.messages.count
        #expect(socket.waitFor { _ in socket.messages.count > seen + 1 && !socket.messages.last!.contains("not reaching") }, "\(socket.messages.suffix(2))")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(.seconds(10)) == 0, "\(daemon.stderr)")
    }

    /// A quick restart goes on with the open alert (its window resumed): the new run posts it
    /// again at once, from its stored row, rather than leaving it to expire in the Alertmanager.
    @Test func aQuickRestartSendsTheAlertItGoesOnWith() throws {
        guard let (server, alertmanager, scratch) = try Self.setUp() else { return }
        defer { withExtendedLifetime(server) {} }  // the Alertmanager's receiver, to the end
        let first = try DaemonProcess(["run", "--config", scratch.config, "--state-dir", scratch.state, "--tick-output", "none"])
        let before = try #require(Self.firstListed(alertmanager, while: first, within: .seconds(20)), "\(first.stderr)")
        first.signal(SIGTERM)
        #expect(first.waitForExit(.seconds(10)) == 0, "\(first.stderr)")

        let second = try DaemonProcess(["run", "--config", scratch.config, "--state-dir", scratch.state, "--tick-output", "none"])
        #expect(second.waitFor(.seconds(20)) { $0.stderr.contains("goes on: the window resumed") }, "\(second.stderr)")
        var after: [String: Any]?
        #expect(second.waitFor(.seconds(10)) { _ in
            after = (try? alertmanager.alerts())?.first
            return after?["updatedAt"] as? String != before["updatedAt"] as? String
        }, "posted again: \(String(describing: after)) \(second.stderr)")
        #expect(after?.annotations["alert_id"] == before.annotations["alert_id"])
        #expect(after?["startsAt"] as? String == before["startsAt"] as? String, "the same alert, from when it fired")
        second.signal(SIGTERM)
        #expect(second.waitForExit(.seconds(10)) == 0, "\(second.stderr)")
    }

    /// `test-alert` reaches the receiver: labelled test="true", firing (an Alertmanager would
    /// notify nobody of an alert resolved before its first flush).
    @Test func aTestAlertReachesTheReceiver() throws {
        guard let (server, alertmanager, scratch) = try Self.setUp() else { return }
        defer { withExtendedLifetime(alertmanager) {} }  // up to the end: its deinit stops it
        let (_, _, stderr) = try DaemonProcess.run(["test-alert", "--config", scratch.config, "--state-dir", scratch.state])
        #expect(!stderr.contains("not delivered to Alertmanager"), "\(stderr)")
        var posts: [[String: Any]] = []
        #expect(waitUntil(.seconds(15)) {
            posts = (try? Self.received(server)) ?? []
            return posts.contains { $0["status"] as? String == "firing" }
        }, "\(posts)")
        let alerts = posts.flatMap { $0["alerts"] as? [[String: Any]] ?? [] }
        #expect(Set(alerts.compactMap { $0.labels["alertname"] }) == ["OverloadPredicted", "OverloadBreached"])
        #expect(alerts.allSatisfy { $0.labels["test"] == "true" && $0.annotations["summary"]?.hasPrefix("TEST (no overload): ") == true }, "\(alerts)")
    }

    /// check-config shows where alerts are pushed, and with what.
    @Test func checkConfigSaysWhereAlertsArePushed() throws {
        let scratch = try Scratch(config: Self.config(alertmanager: "http://127.0.0.1:9093", holds: true,
                                                      extra: "headers = { Authorization = \"Bearer x\" }\n"))
        let (status, out, err) = try DaemonProcess.run(["check-config", scratch.config])
        #expect(status == 0, "\(err)")
        #expect(out.contains("alertmanager: alerts pushed to http://127.0.0.1:9093/api/v2/alerts (headers Authorization), labels team=\"shop\", resent every 1m"), "\(out)")
    }

    /// `check-config --fetch` asks each Alertmanager for its status, posting nothing.
    @Test func checkConfigFetchAsksEachAlertmanager() throws {
        guard let (server, alertmanager, _) = try Self.setUp() else { return }
        let dead = "http://127.0.0.1:\(try LoopbackPort.unused())"
        let scratch = try Scratch(config: "[alertmanager]\nurls = [\"\(alertmanager.base)\", \"\(dead)\"]\n")
        let (status, out, err) = try DaemonProcess.run(["check-config", "--fetch", scratch.config])
        #expect(status == 0, "a config whose Alertmanager is down is still valid: \(err)")
        #expect(out.contains("alertmanager \(alertmanager.base): answers (Alertmanager 0."), "\(out)")
        #expect(out.contains("alertmanager \(dead): failed: \(dead)/api/v2/status: connection failed: "), "\(out)")
        #expect(try alertmanager.alerts().isEmpty && Self.received(server).isEmpty, "no alert posted")
    }
}

/// Polls `condition` every 100 ms for up to `timeout`.
func waitUntil(_ timeout: Duration, _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(100_000)
    }
    return condition()
}
