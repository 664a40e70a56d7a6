import SurgeConfig
import SurgeSampling

/// An alert that no overload was in or followed within the horizon: the false alarms' main
/// kind (EpisodeScore), listed by `alerts --record` with how near the SLO rule came in it, so
/// that an operator can tell a near miss (the rule's limit, or the fire level, to question)
/// from a warning where nothing moved (the model's mistake).
public struct QuietAlert: Sendable, Equatable {
    /// The first and the last tick the alert was open, Unix seconds.
    public var firedAt: Double
    public var lastOpen: Double
    public var ticks: Int
    /// The false alarms it counts in the score: one per `staleAfter` ticks begun.
    public var falseAlarms: Int
    /// The highest p while it was open (nil where none was stored).
    public var peakProbability: Double?

    public init(firedAt: Double, lastOpen: Double, ticks: Int, falseAlarms: Int, peakProbability: Double?) {
        self.firedAt = firedAt
        self.lastOpen = lastOpen
        self.ticks = ticks
        self.falseAlarms = falseAlarms
        self.peakProbability = peakProbability
    }

    /// The quiet alerts of one run of ticks, scored as EpisodeScore.score scores them.
    public static func of(timestamps: [Double], labels: [Bool?], alerting: [Bool], probabilities: [Double?], horizon: Int,
                          staleAfter: Int = EpisodeScore.defaultStaleAfter) -> [QuietAlert] {
        precondition(timestamps.count == labels.count && labels.count == alerting.count && alerting.count == probabilities.count)
        let prefix = EpisodeScore.overloadPrefix(labels)
        return EpisodeScore.alertRanges(alerting)
            .filter { !EpisodeScore.overload(prefix, from: $0.open, to: $0.close, horizon: horizon) }
            .map { alert in
                QuietAlert(firedAt: timestamps[alert.open], lastOpen: timestamps[alert.close], ticks: alert.close - alert.open + 1,
                           falseAlarms: EpisodeScore.quietAlertCount(alert, staleAfter: staleAfter),
                           peakProbability: probabilities[alert.open...alert.close].compactMap { $0 }.max())
            }
    }
}

/// The quiet alerts of a record, each with how the SLO rule went while it was open, in words
/// (`alerts --record`) and as JSON.
public struct QuietAlertList: Sendable {
    public let alerts: [(alert: QuietAlert, approach: RuleApproach?)]
    /// The record's false alarms in all: those beyond the quiet alerts' own were quiet
    /// stretches inside alerts that did cover overload.
    public let falseAlarms: Int
    public let intervalSeconds: Double
    /// A month of a busy host's alerts is many lines: the newest are listed, JSON has them all.
    public static let listed = 10

    public init(alerts: [(alert: QuietAlert, approach: RuleApproach?)], falseAlarms: Int, intervalSeconds: Double) {
        self.alerts = alerts
        self.falseAlarms = falseAlarms
        self.intervalSeconds = intervalSeconds
    }

    /// "alerts no overload was in or followed (the false alarms above), with how near the SLO
    /// rule came: 3", then one line each: "  2026-12-07T14:02:10Z, open 2m, p up to 0.97:
    /// SLO rule not broken: psi_cpu_some_avg10 up to 49.9% (rule > 50%)". Nothing when no
    /// alert was quiet.
    public func lines(everyOne: String? = nil) -> [String] {
        guard !alerts.isEmpty else { return [] }
        let counted = alerts.reduce(0) { $0 + $1.alert.falseAlarms }
        let stale = AlertMessage.duration(Double(EpisodeScore.defaultStaleAfter) * intervalSeconds)
        var lines = ["alerts no overload was in or followed (the false alarms above), with how near the SLO rule came: \(alerts.count)"]
        if falseAlarms > counted {
            let more = falseAlarms - counted
            lines[0] += "; \(NumberText.counted(more, "false alarm")) more \(more == 1 ? "was a quiet stretch" : "were quiet stretches") "
                + "of \(stale) inside alerts that covered overload"
        }
        let shown = alerts.suffix(Self.listed)
        if shown.count < alerts.count {
            lines.append("  (\(alerts.count - shown.count) earlier not listed\(everyOne.map { "; " + $0 } ?? ""))")
        }
        for (alert, approach) in shown {
            let peak = alert.peakProbability.map { ", p up to \(AlertMessage.fixed($0, 2))" } ?? ""
            let open = AlertMessage.duration(Double(alert.ticks) * intervalSeconds)
            // The verdicts stored with the ticks say no overload; samples that break the rule read
            // here mean another rule than the one the daemon ran then (changed since, or --db's).
            let otherRule = approach.map { $0.brokenTicks > 0 } == true ? " (not overload by the verdicts stored then: the rule read here is not the one the daemon ran)" : ""
            lines.append("  \(RFC3339.format(alert.firedAt)), open \(open)\(peak): " + (approach.map { $0.text + otherRule } ?? "no samples stored while it was open"))
        }
        return lines
    }

    /// `[{"fired_at":"…","last_open":"…","ticks":12,"false_alarms":1,"peak_probability":0.97,"rule_approach":{…}}]`
    /// (`rule_approach` as journald's SURGE_RULE_APPROACH, null with no samples).
    public var json: String {
        "[" + alerts.map { alert, approach in
            "{\"fired_at\":\(JSONText.string(RFC3339.format(alert.firedAt))),\"last_open\":\(JSONText.string(RFC3339.format(alert.lastOpen))),"
                + "\"ticks\":\(alert.ticks),\"false_alarms\":\(alert.falseAlarms),\"peak_probability\":\(JSONText.number(alert.peakProbability)),"
                + "\"rule_approach\":\(approach?.json ?? "null")}"
        }.joined(separator: ",") + "]"
    }
}

extension QuietAlertList {
    /// A replayed trace's quiet alerts, the rule followed on the trace's own columns (`replay`).
    public init(trace: Trace, labels: [Bool?], alerting: [Bool], probabilities: [Double?], overload: SurgeConfig.Overload,
                horizon: Int, falseAlarms: Int) {
        let metrics = Array(Set((overload.any + overload.all).map(\.metric))).sorted()
        let schema = MetricSchema(metrics)
        let columns = metrics.map { trace.column($0) ?? [Double](repeating: .nan, count: trace.count) }
        let tickSeconds = trace.tickSeconds
        let quiet = QuietAlert.of(timestamps: trace.timestamps, labels: labels, alerting: alerting, probabilities: probabilities, horizon: horizon)
        self.init(alerts: quiet.map { alert in
            (alert, RuleApproach.over(overload, schema: schema, times: trace.timestamps, columns: columns,
                                      from: alert.firedAt, to: alert.lastOpen, tickSeconds: tickSeconds))
        }, falseAlarms: falseAlarms, intervalSeconds: tickSeconds)
    }
}
