import Foundation
import InMemoryLogging
import Logging
import SurgeConfig
import SurgeDaemon
import SurgeDetection
import Testing

/// The sender against real HTTP servers on 127.0.0.1 (the sources' test server): what it posts,
/// how often, and that one Alertmanager refusing or hanging holds up neither the caller nor the
/// others.
@Suite struct AlertmanagerSinkTests {
    typealias Server = ApplicationSourcesEndToEndTests.Server
    static let hostName = AlertmanagerSink.hostName()

    static func fired(_ id: String = "a1", at: Double = 1_765_000_000) -> AlertEvent {
        AlertEvent(alertID: id, event: .fired, kind: .breached, at: at, probability: 0.99, peakProbability: 0.99, horizonSeconds: 30)
    }

    /// Each post to /record/NAME, as the server kept it: the Content-Type line, then the body.
    static func posts(_ server: Server, _ name: String) -> [String] {
        let text = (try? runTool("/usr/bin/curl", ["-s", "\(server.base)/recorded/\(name)"]).output) ?? ""
        return text.split(separator: "\n").filter { $0.hasPrefix("[") }.map(String.init)
    }

    @Test func anOpenAlertIsPostedAtOnceAsJSONAndResentValidAhead() throws {
        let server = try Server()
        var settings = SurgeConfig.Alertmanager()
        settings.urls = [server.base + "/record/a"]
        // Below the config's 10 s floor, to see resends within a test.
        settings.resend = .milliseconds(300)
        let clock = ManualWallClock(1_765_000_000)
        let sink = AlertmanagerSink(settings: settings, instance: "shop-1", logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
                                    wallClock: { clock.now })
        defer { sink.stop(waitingUpTo: 1) }
        #expect(sink.waitUntilSent(within: 0.5).isEmpty)
        #expect(Self.posts(server, "a").isEmpty, "no post before the first alert")

        sink.deliver(Self.fired())
        #expect(sink.waitUntilSent(within: 5).isEmpty)
        let raw = try runTool("/usr/bin/curl", ["-s", "\(server.base)/recorded/a"]).output
        #expect(raw.hasPrefix("Content-Type: application/json\n"), "\(raw)")
        let first = try #require(Self.posts(server, "a").first)
        let alert = try #require((try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [[String: Any]])?.first)
        #expect(alert.labels == ["alertname": "OverloadBreached", "severity": "critical", "instance": "shop-1"])
        #expect(alert["endsAt"] as? String == TraceTime.rfc3339(1_765_000_000 + 4 * 0.3), "four resends ahead")

        clock.now += 100
        #expect(waitUntil(.seconds(5)) { Self.posts(server, "a").count >= 3 }, "resent every 300 ms: \(Self.posts(server, "a"))")
        #expect(Self.posts(server, "a").last?.contains(#""endsAt":"\#(TraceTime.rfc3339(1_765_000_100 + 1.2))""#) == true,
                "each resend valid from its own time: \(Self.posts(server, "a").last ?? "")")
    }

    @Test func oneRefusingOrHangingAlertmanagerHoldsUpNeitherTheCallerNorTheOthers() throws {
        let server = try Server()
        var settings = SurgeConfig.Alertmanager()
        settings.urls = [server.base + "/status/400", server.base + "/slow/3000", server.base + "/record/b"]
        settings.timeout = .seconds(2)
        let log = InMemoryLogHandler()
        let sink = AlertmanagerSink(settings: settings, logger: Logger(label: "test") { _ in log })
        defer { sink.stop(waitingUpTo: 0) }
        let started = ContinuousClock.now
        sink.deliver(Self.fired())
        #expect(ContinuousClock.now - started < .milliseconds(500), "deliver only records the event")
        #expect(waitUntil(.seconds(2)) { Self.posts(server, "b").count == 1 }, "the answering one has it at once")

        let unsent = sink.waitUntilSent(within: 3)
        #expect(unsent.map(\.url) == [server.base + "/status/400/api/v2/alerts", server.base + "/slow/3000/api/v2/alerts"])
        #expect(unsent.first?.error == "answered 400: refused: status 400", "\(unsent)")
        #expect(unsent.last?.error == "no complete response within 2s", "\(unsent)")
        #expect(sink.trouble == "alerts not reaching 2 of 3 Alertmanagers")
        let warnings = log.entries.filter { $0.level == .warning }.map(\.message.description)
        #expect(warnings.contains("alerts not delivered to Alertmanager \(server.base)/status/400/api/v2/alerts: answered 400: refused: status 400; "
                                  + "tried again in 1s, and the journal and the database have them"), "\(warnings)")
        // Retried (1 s, 2 s ...) but logged once a minute at most.
        #expect(waitUntil(.seconds(5)) { Self.posts(server, "b").count == 1 && log.entries.count == warnings.count }, "\(log.entries)")
    }

    /// A reload to another URL posts the alerts open now to it at once.
    @Test func aReloadToAnotherAlertmanagerSendsTheOpenAlertsThere() throws {
        let server = try Server()
        var settings = SurgeConfig.Alertmanager()
        settings.urls = [server.base + "/record/c"]
        let sink = AlertmanagerSink(settings: settings, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        defer { sink.stop(waitingUpTo: 0) }
        sink.deliver(Self.fired())
        #expect(sink.waitUntilSent(within: 5).isEmpty)
        settings.urls = [server.base + "/record/d"]
        settings.labels = [.init(name: "env", value: "prod")]
        sink.configure(settings)
        #expect(sink.waitUntilSent(within: 5).isEmpty)
        #expect(Self.posts(server, "d").first?.contains(#""env":"prod""#) == true, "\(Self.posts(server, "d"))")
        #expect(Self.posts(server, "c").count == 1, "the old one gets no more")
    }

    /// A clean stop gives the last change its post (the last tick's resolve).
    @Test func aStopSendsWhatIsLeft() throws {
        let server = try Server()
        var settings = SurgeConfig.Alertmanager()
        settings.urls = [server.base + "/record/e"]
        let sink = AlertmanagerSink(settings: settings, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        // Now, not a fixed past: a resolve older than 15 minutes is no longer sent.
        let now = AlertmanagerSink.wallClockNow().rounded(.down)
        sink.deliver(Self.fired(at: now - 60))
        sink.deliver(AlertEvent(alertID: "a1", event: .resolved, kind: .breached, at: now, probability: 0.1,
                                peakProbability: 0.99, horizonSeconds: 30, firedAt: now - 60))
        sink.stop(waitingUpTo: 2)
        #expect(Self.posts(server, "e").last?.contains(#""endsAt":"\#(TraceTime.rfc3339(now))""#) == true, "\(Self.posts(server, "e"))")
    }
}

/// A wall clock a test moves by hand.
final class ManualWallClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Double
    init(_ start: Double) { value = start }
    var now: Double {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
