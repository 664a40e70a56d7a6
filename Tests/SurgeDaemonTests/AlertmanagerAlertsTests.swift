import Foundation
import SurgeConfig
import SurgeDetection
import Testing
@testable import SurgeDaemon

/// What each POST to an Alertmanager carries, from the daemon's alert events (no I/O).
@Suite struct AlertmanagerAlertsTests {
    let t0 = 1_765_000_000.0

    func event(_ kind: AlertEvent.Event, _ alertKind: AlertEvent.Kind, at: Double, id: String = "a1",
               escalated: Bool = false, test: Bool = false) -> AlertEvent {
        var event = AlertEvent(alertID: id, event: kind, kind: alertKind, at: at, probability: 0.97, peakProbability: 0.98,
                               horizonSeconds: 30, topFeatures: [.init(name: "cpu_busy", baseline: 0.2, recent: 0.9)],
                               escalatedFrom: escalated ? .predicted : nil, firedAt: kind == .resolved ? t0 : nil)
        event.isTest = test
        return event
    }

    /// The payload parsed back as JSON: one dictionary per alert.
    func parsed(_ alerts: AlertmanagerAlerts, now: Double, validFor: Double = 240) throws -> [[String: Any]] {
        let data = Data(alerts.payload(now: now, validFor: validFor).utf8)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    }

    func labels(_ alert: [String: Any]) -> [String: String] { alert["labels"] as? [String: String] ?? [:] }
    func annotations(_ alert: [String: Any]) -> [String: String] { alert["annotations"] as? [String: String] ?? [:] }

    @Test func aPredictedAlertFiresValidForAWhileWithTheJournalsFields() throws {
        var alerts = AlertmanagerAlerts(instance: "shop-1", labels: [.init(name: "team", value: "shop")])
        alerts.apply(event(.fired, .predicted, at: t0))
        let sent = try parsed(alerts, now: t0 + 5)
        #expect(sent.count == 1)
        #expect(labels(sent[0]) == ["alertname": "OverloadPredicted", "severity": "warning", "instance": "shop-1", "team": "shop"])
        let notes = annotations(sent[0])
        #expect(notes["alert_id"] == "a1")
        #expect(notes["summary"]?.hasPrefix("overload predicted within 30s (p=0.97)") == true, "\(notes)")
        #expect(notes["probability"] == "0.9700")
        #expect(notes["top_features"] == #"[{"name":"cpu_busy","baseline":0.2,"recent":0.9}]"#)
        #expect(sent[0]["startsAt"] as? String == TraceTime.rfc3339(t0))
        // Open: valid until now + validFor, so a daemon that dies leaves nothing firing for ever.
        #expect(sent[0]["endsAt"] as? String == TraceTime.rfc3339(t0 + 5 + 240))
    }

    /// An escalation keeps the warning firing beside the breach until the alert resolves: ended
    /// at the escalation, the receiver would read "resolved" as the overload arrives.
    @Test func anEscalationAddsTheBreachAndBothResolveTogether() throws {
        var alerts = AlertmanagerAlerts(instance: "shop-1", labels: [])
        alerts.apply(event(.fired, .predicted, at: t0))
        alerts.apply(event(.fired, .breached, at: t0 + 30, escalated: true))
        var sent = try parsed(alerts, now: t0 + 31)
        #expect(sent.map { labels($0)["alertname"] } == ["OverloadPredicted", "OverloadBreached"])
        #expect(sent.map { labels($0)["severity"] } == ["warning", "critical"])
        #expect(annotations(sent[0])["escalated_at"] == TraceTime.rfc3339(t0 + 30))
        #expect(sent[1]["startsAt"] as? String == TraceTime.rfc3339(t0 + 30))
        #expect(sent.allSatisfy { $0["endsAt"] as? String == TraceTime.rfc3339(t0 + 31 + 240) })

        alerts.apply(event(.resolved, .breached, at: t0 + 200))
        sent = try parsed(alerts, now: t0 + 201)
        #expect(sent.count == 2)
        #expect(sent.allSatisfy { $0["endsAt"] as? String == TraceTime.rfc3339(t0 + 200) }, "\(sent)")
        #expect(sent.allSatisfy { annotations($0)["resolution"]?.hasPrefix("overload alert resolved after 3m20s") == true }, "\(sent)")
    }

    /// Resolved alerts are sent for 15 minutes (an Alertmanager that missed the first post
    /// learns it), then dropped.
    @Test func resolvedAlertsAreSentFifteenMinutesThenDropped() throws {
        var alerts = AlertmanagerAlerts(instance: "h", labels: [])
        alerts.apply(event(.fired, .breached, at: t0))
        alerts.apply(event(.resolved, .breached, at: t0 + 60))
        alerts.prune(now: t0 + 60 + 899)
        #expect(alerts.entries.count == 1)
        alerts.prune(now: t0 + 60 + 901)
        #expect(alerts.isEmpty)
    }

    /// A test alert carries test="true", so it never stands for (or resolves) a real one with
    /// the same labels, and stays firing 5 minutes past its resolve, so an Alertmanager's
    /// receivers are reached: one that holds only resolved alerts at its first flush notifies nobody.
    @Test func aTestAlertIsLabelledAndStaysFiringLongEnoughToBeNotified() throws {
        var alerts = AlertmanagerAlerts(instance: "h", labels: [])
        alerts.apply(event(.fired, .predicted, at: t0, id: "t", test: true))
        alerts.apply(event(.fired, .breached, at: t0, id: "t", escalated: true, test: true))
        alerts.apply(event(.resolved, .breached, at: t0, id: "t", test: true))
        let sent = try parsed(alerts, now: t0)
        #expect(sent.count == 2)
        #expect(sent.allSatisfy { labels($0)["test"] == "true" })
        #expect(sent.allSatisfy { $0["endsAt"] as? String == TraceTime.rfc3339(t0 + 300) })
        #expect(sent.allSatisfy { annotations($0)["summary"]?.hasPrefix("TEST (no overload): ") == true })
    }

    /// The config's labels go on every alert; one named `instance` replaces the host's name.
    @Test func theConfigsLabelsAreAddedAndMayNameTheInstance() throws {
        var alerts = AlertmanagerAlerts(instance: "vm-17", labels: [.init(name: "instance", value: "shop-eu-1"), .init(name: "env", value: "prod")])
        alerts.apply(event(.fired, .breached, at: t0))
        let sent = try parsed(alerts, now: t0)
        #expect(labels(sent[0]) == ["alertname": "OverloadBreached", "severity": "critical", "instance": "shop-eu-1", "env": "prod"])
    }

    /// An alert the last run left open and this start continues is sent again from its stored
    /// row; an escalated one as both alerts, each from when it began.
    @Test func aResumedAlertIsSentAgainFromItsStoredRow() throws {
        var alerts = AlertmanagerAlerts(instance: "h", labels: [])
        alerts.resume(alertID: "r", kind: .breached, firedAt: t0, escalatedAt: t0 + 20, summary: "predicted overload arrived: SLO breached (p=0.99)")
        let sent = try parsed(alerts, now: t0 + 100)
        #expect(sent.map { labels($0)["alertname"] } == ["OverloadPredicted", "OverloadBreached"])
        #expect(sent.map { $0["startsAt"] as? String } == [TraceTime.rfc3339(t0), TraceTime.rfc3339(t0 + 20)])
        #expect(sent.allSatisfy { annotations($0)["summary"] == "predicted overload arrived: SLO breached (p=0.99)" && annotations($0)["alert_id"] == "r" })

        // Its resolve, later in the run, ends both.
        alerts.apply(event(.resolved, .breached, at: t0 + 300, id: "r"))
        #expect(try parsed(alerts, now: t0 + 301).allSatisfy { $0["endsAt"] as? String == TraceTime.rfc3339(t0 + 300) })
    }

    /// An alert closed at this start (a crash left it open) was never in this run's set: its
    /// resolve is sent from the event alone, so an Alertmanager still holding it firing learns.
    @Test func anAlertClosedAtStartIsSentResolved() throws {
        var alerts = AlertmanagerAlerts(instance: "h", labels: [])
        alerts.apply(event(.resolved, .predicted, at: t0 + 600, id: "old"))
        let sent = try parsed(alerts, now: t0 + 600)
        #expect(sent.count == 1)
        #expect(labels(sent[0])["alertname"] == "OverloadPredicted")
        #expect(sent[0]["startsAt"] as? String == TraceTime.rfc3339(t0))
        #expect(sent[0]["endsAt"] as? String == TraceTime.rfc3339(t0 + 600))
    }

    /// Text that JSON must escape (a quote in a label value, a newline in a note) stays JSON.
    @Test func valuesAreEscaped() throws {
        var alerts = AlertmanagerAlerts(instance: "h", labels: [.init(name: "team", value: "shop \"eu\"\n")])
        alerts.apply(event(.fired, .breached, at: t0))
        #expect(labels(try parsed(alerts, now: t0)[0])["team"] == "shop \"eu\"\n")
    }
}
