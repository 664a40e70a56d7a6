import SurgeConfig
import SurgeDetection

/// The alerts as an Alertmanager should see them, built from the daemon's alert events: what
/// each POST to `/api/v2/alerts` carries. No I/O; `AlertmanagerSink` sends it.
///
/// An alert of surgewatch's is one or two Alertmanager alerts: `OverloadPredicted` (warning)
/// from when it fires, and `OverloadBreached` (critical) from when the SLO breaks, as
/// config/prometheus-alerts.yml names them. A predicted alert that escalates stays firing until
/// the alert resolves: ended at the escalation, an Alertmanager would tell the receiver "resolved"
/// just as the overload arrives, or, inside its `group_wait`, never tell it of the warning at all.
/// Alertmanager's usual inhibit rule (critical over warning, equal instance) shows the breach alone.
///
/// Open alerts are sent valid for a while (`endsAt` ahead, as Prometheus does), so a daemon that
/// dies leaves nothing firing for ever; resolved ones are sent for `resolvedRetention` after,
/// for an Alertmanager that missed the first.
struct AlertmanagerAlerts: Sendable {
    /// Labels every alert carries beside its own (`instance`, `[alertmanager] labels`).
    let commonLabels: [(name: String, value: String)]

    /// How long a resolved alert is still sent (Prometheus' figure).
    static let resolvedRetention = 15.0 * 60
    /// How long past its resolve a test alert stays firing: an Alertmanager notifies no alert
    /// group that holds only resolved alerts when it first flushes (after `group_wait`), so a
    /// test resolved at once would reach no receiver and check nothing.
    static let testHold = 5.0 * 60

    struct Entry: Sendable {
        var alertID: String
        var kind: AlertEvent.Kind
        var isTest: Bool
        var startsAt: Double
        var resolvedAt: Double?
        var annotations: [(name: String, value: String)]
    }

    private(set) var entries: [Entry] = []

    /// `instance`: this host's name, unless the config's labels set one.
    init(instance: String, labels: [SurgeConfig.AlertmanagerLabel]) {
        var common = [(name: "instance", value: instance)]
        for label in labels {
            if let index = common.firstIndex(where: { $0.name == label.name }) { common[index].value = label.value } else { common.append((label.name, label.value)) }
        }
        commonLabels = common
    }

    var isEmpty: Bool { entries.isEmpty }

    /// Takes the alerts another set held (a reload changed the labels: the same alerts go on).
    mutating func adopt(_ earlier: [Entry]) {
        entries = earlier
    }

    mutating func apply(_ event: AlertEvent) {
        switch event.event {
        case .fired:
            entries.append(Entry(alertID: event.alertID, kind: event.kind, isTest: event.isTest, startsAt: event.at,
                                 annotations: Self.firedAnnotations(event)))
            if let from = event.escalatedFrom, let index = index(of: event.alertID, from) {
                entries[index].annotations.append(("escalated_at", TraceTime.rfc3339(event.at)))
            }
        case .resolved:
            let end = event.isTest ? event.at + Self.testHold : event.at
            var found = false
            for index in entries.indices where entries[index].alertID == event.alertID && entries[index].resolvedAt == nil {
                found = true
                entries[index].resolvedAt = end
                entries[index].annotations.append(("resolution", AlertMessage.text(for: event)))
            }
            // One opened before this run (closed at a restart): the Alertmanager may hold it firing.
            if !found {
                var entry = Entry(alertID: event.alertID, kind: event.kind, isTest: event.isTest, startsAt: event.firedAt ?? event.at,
                                  resolvedAt: end, annotations: [("alert_id", event.alertID)])
                entry.annotations.append(("resolution", AlertMessage.text(for: event)))
                entries.append(entry)
            }
        }
    }

    /// An alert the last run left open that this start goes on with (its window resumed).
    mutating func resume(alertID: String, kind: AlertEvent.Kind, firedAt: Double, escalatedAt: Double?, summary: String) {
        guard index(of: alertID, kind) == nil else { return }
        let annotations = [(name: "summary", value: summary), ("alert_id", alertID)]
        if kind == .breached, let escalatedAt {
            entries.append(Entry(alertID: alertID, kind: .predicted, isTest: false, startsAt: firedAt, annotations: annotations))
            entries.append(Entry(alertID: alertID, kind: .breached, isTest: false, startsAt: escalatedAt, annotations: annotations))
        } else {
            entries.append(Entry(alertID: alertID, kind: kind, isTest: false, startsAt: firedAt, annotations: annotations))
        }
    }

    /// Drops what is no longer sent: alerts resolved `resolvedRetention` before `now`.
    mutating func prune(now: Double) {
        entries.removeAll { $0.resolvedAt.map { now - $0 > Self.resolvedRetention } ?? false }
    }

    /// The JSON array Alertmanager's `POST /api/v2/alerts` takes: open alerts valid until
    /// `now + validFor`, resolved ones ending when they resolved.
    func payload(now: Double, validFor: Double) -> String {
        "[" + entries.map { entry in
            let labels = [(name: "alertname", value: entry.kind == .predicted ? "OverloadPredicted" : "OverloadBreached"),
                          ("severity", entry.kind == .predicted ? "warning" : "critical")]
                + commonLabels + (entry.isTest ? [("test", "true")] : [])
            return "{\"labels\":\(Self.object(labels)),\"annotations\":\(Self.object(entry.annotations)),"
                + "\"startsAt\":\(JSONText.string(TraceTime.rfc3339(entry.startsAt))),"
                + "\"endsAt\":\(JSONText.string(TraceTime.rfc3339(entry.resolvedAt ?? now + validFor)))}"
        }.joined(separator: ",") + "]"
    }

    private func index(of alertID: String, _ kind: AlertEvent.Kind) -> Int? {
        entries.firstIndex { $0.alertID == alertID && $0.kind == kind }
    }

    /// What a receiver's template reads: the journal entry's message and fields, as strings.
    static func firedAnnotations(_ event: AlertEvent) -> [(name: String, value: String)] {
        var annotations = [(name: "summary", value: AlertMessage.text(for: event)), ("alert_id", event.alertID)]
        if let p = event.probability { annotations.append(("probability", AlertMessage.fixed(p, 4))) }
        annotations.append(("horizon_seconds", JSONText.number(event.horizonSeconds)))
        if !event.topFeatures.isEmpty { annotations.append(("top_features", JSONText.features(event.topFeatures))) }
        if let start = event.saleStart { annotations.append(("sale_start", TraceTime.rfc3339(start))) }
        if let pending = event.rulePending { annotations.append(("rule_pending", pending)) }
        return annotations
    }

    static func object(_ pairs: [(name: String, value: String)]) -> String {
        "{" + pairs.map { "\(JSONText.string($0.name)):\(JSONText.string($0.value))" }.joined(separator: ",") + "}"
    }
}
