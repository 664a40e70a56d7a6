import SurgeConfig
import SurgeDaemon
import SurgeDetection
import SurgeSampling
import SurgeStore

/// `surgewatch alerts --record`: the daemon's own record on its host (HostRecord), from the
/// `predictions` table, in words or as one JSON object.
struct HostRecordReport {
    let record: HostRecord
    let config: SurgeConfig
    /// PolicyGrid's lines on the stored history, when asked for (`--policy-grid`).
    let policyGrid: [String]?
    /// HoldSearch's lines on the stored p, verdicts and samples (`--policy-grid`).
    let holdSearch: [String]?
    /// SaleLevelSearch's lines on the same, when the config announces sales (`--policy-grid`).
    let saleLevelSearch: [String]?
    /// AtOnceLevelSearch's lines on the same (`--policy-grid`).
    let atOnceLevelSearch: [String]?
    /// PendingLevelSearch's lines on the same, when the SLO rule waits (`--policy-grid`).
    let pendingLevelSearch: [String]?
    /// Which weights serve and the referee's record, when the daemon keeps one.
    let referee: RefereeStanding?
    /// What the figures assume where no config was given (`--db`: StoredSettings' note).
    let assumed: String?
    /// How the SLO rule's metrics ran against their limits over the record's span.
    let headroom: RuleHeadroom
    /// The alerts no overload was in or followed, with how near the rule came in each.
    let quietAlerts: QuietAlertList

    /// Said above `--policy-grid`'s suggestions when the history is too thin to choose on.
    var policyGridCaution: String? {
        policyGrid == nil ? nil : PolicyGrid.thinCaution(record.score, saying: "too little history")
    }

    init(path: String, since: Double?, until: Double? = nil, config: SurgeConfig, policyGrid: Bool = false, assumed: String? = nil) throws {
        record = try HostRecord.stored(in: path, since: since, until: until, config: config, keepingSeries: policyGrid, followingSales: true)
        self.config = config
        self.assumed = assumed
        referee = try RefereeStanding(path: path, config: config)
        let rule = try RuleSamples(path: path, from: record.first, to: record.last, overload: config.overload)
        headroom = RuleHeadroom(config.overload, values: Dictionary(uniqueKeysWithValues: zip(rule.schema.names, rule.columns)))
        let interval = record.intervalSeconds
        quietAlerts = QuietAlertList(alerts: record.quietAlerts.map { alert in
            (alert, RuleApproach.over(config.overload, schema: rule.schema, times: rule.times, columns: rule.columns,
                                      from: alert.firedAt, to: alert.lastOpen, tickSeconds: interval))
        }, falseAlarms: record.score.falseAlarms, intervalSeconds: interval)
        if policyGrid {
            // The stored samples of the metrics the searches, `[schedule] fire_when` and a rule
            // that waits read, and the rule's pending ticks from them.
            let series = try PolicyGrid.Series.withStoredColumns(record.series, metrics: HoldSearch.metrics(config), path: path, since: since)
                .map { $0.markingPending(config.overload) }
            self.policyGrid = PolicyGrid.report(series: series, config: config)
            holdSearch = HoldSearch.report(series: series, config: config)
            saleLevelSearch = SaleLevelSearch.report(series: series, config: config)
            atOnceLevelSearch = AtOnceLevelSearch.report(series: series, config: config)
            pendingLevelSearch = PendingLevelSearch.report(series: series, config: config)
        } else {
            (self.policyGrid, holdSearch, saleLevelSearch, atOnceLevelSearch, pendingLevelSearch) = (nil, nil, nil, nil, nil)
        }
    }

    /// The stored samples of the rule's metrics from the record's first tick to its last.
    struct RuleSamples {
        var schema = MetricSchema([])
        var times: [Double] = []
        var columns: [[Double]] = []

        init(path: String, from: Double?, to: Double?, overload: SurgeConfig.Overload) throws {
            guard let from, let to else { return }
            let history = try SampleHistory(path: path, only: Set((overload.any + overload.all).map(\.metric)))
            schema = MetricSchema(history.metrics)
            columns = [[Double]](repeating: [], count: history.metrics.count)
            try history.forEach(since: from, until: to) { time, row in
                times.append(time)
                for index in columns.indices { columns[index].append(row[index]) }
            }
        }
    }

    func text() -> String {
        guard let first = record.first, let last = record.last else { return "no predictions stored in that time\n" }
        let s = record.score
        let interval = config.sampling.interval.seconds
        let horizon = AlertMessage.duration(Double(config.model.horizonTicks) * interval)
        let stale = AlertMessage.duration(Double(EpisodeScore.defaultStaleAfter) * interval)
        let lead = s.medianLeadSeconds.map { "; median lead \(AlertMessage.duration($0))" } ?? ""
        let missed = s.episodes - s.warned
        let rows: [(String, String, String)] = [
            ("overload episodes", "\(s.episodes)", "runs of ticks where the [overload] rule held"),
            ("warned early", "\(s.caughtEarly)", "an alert at most \(stale) old was open the tick before\(lead)"),
            ("continuing", "\(s.continuing)", "began inside an alert still open from an earlier breach"),
            ("not warned", "\(missed)", missed == 0 ? "" : "\(s.caught - s.warned) of them alerted once breached"),
            ("resolved", "\(s.afterBreachSeconds.count)",
             s.medianAfterBreachSeconds.map { "alerts that covered a breach and closed; open a median \(AlertMessage.duration($0)) after it" } ?? ""),
            ("false alarms", "\(s.falseAlarms)",
             "\(AlertMessage.fixed(s.falseAlarmsPerDay, 2)) a day\(s.days < 1 ? " (scaled up from \(AlertMessage.duration(s.days * 86400)))" : ""): "
             + "an alert with no overload in it or \(horizon) after, once per \(stale) begun; "
             + "in one that covered overload, each full \(stale) with none"),
        ]
        let span = AlertMessage.duration(s.days * 86400)
        var lines = ["surgewatch's own record from \(TickLine.rfc3339(first)) to \(TickLine.rfc3339(last)): "
                     + "\(record.ticks) ticks covering \(span), in \(NumberText.counted(record.runs, "run")) of the daemon"]
        if let assumed { lines.append(assumed) }
        for (name, count, note) in rows {
            let padded = name.padded(to: 18) + count.padded(to: 6, left: true)
            lines.append(note.isEmpty ? padded : padded + "   " + note)
        }
        if !headroom.isEmpty {
            lines.append("the [overload] rule's own metrics over these ticks (how near its limits they ran):")
            lines += headroom.lines.map { "  " + $0 }
        }
        lines += quietAlerts.lines(everyOne: "--json has every one")
        lines += record.sales?.lines(everyOne: "--json has every one") ?? []
        lines += record.reliability.lines(horizon: horizon)
        if let referee { lines.append(referee.text) }
        if let policyGrid {
            // The stored p does not depend on the alerts (learning reads the SLO rule's
            // verdicts, not the alerts), so another policy replayed on it is what that policy
            // would have done here.
            if let policyGridCaution { lines.append(policyGridCaution) }
            lines.append("other [alert] policies replayed on the stored p (in hindsight, on this host's own history):")
            lines += policyGrid.map { "  " + $0 }
        }
        if let holdSearch, !holdSearch.isEmpty {
            lines.append("[alert] hold levels at this host's quantiles of each feature with the config's policy, then the settings suggested for [alert] (in hindsight, on the stored samples):")
            lines += holdSearch.map { "  " + $0 }
        }
        if let saleLevelSearch, !saleLevelSearch.isEmpty {
            lines.append("[schedule] fire_when levels between each feature's values on the tick before each announced sale, with the config's policy (in hindsight, on the stored samples):")
            lines += saleLevelSearch.map { "  " + $0 }
        }
        if let atOnceLevelSearch, !atOnceLevelSearch.isEmpty {
            lines.append(AtOnceLevelSearch.heading + " (in hindsight, on the stored samples):")
            lines += atOnceLevelSearch.map { "  " + $0 }
        }
        if let pendingLevelSearch, !pendingLevelSearch.isEmpty {
            lines.append(PendingLevelSearch.heading + " (in hindsight, on the stored samples):")
            lines += pendingLevelSearch.map { "  " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func json() -> String {
        let s = record.score
        func time(_ t: Double?) -> String { t.map { JSONText.string(TickLine.rfc3339($0)) } ?? "null" }
        return "{\"from\":\(time(record.first)),\"to\":\(time(record.last)),\"ticks\":\(record.ticks),\"runs\":\(record.runs),"
            + "\"days\":\(JSONText.number(s.days)),\"episodes\":\(s.episodes),\"caught\":\(s.caught),\"caught_early\":\(s.caughtEarly),"
            + "\"continuing\":\(s.continuing),\"median_lead_seconds\":\(s.medianLeadSeconds.map(JSONText.number) ?? "null"),"
            + "\"resolved_after_breach\":\(s.afterBreachSeconds.count),"
            + "\"median_after_breach_seconds\":\(s.medianAfterBreachSeconds.map(JSONText.number) ?? "null"),"
            + "\"false_alarms\":\(s.falseAlarms),\"false_alarms_per_day\":\(JSONText.number(s.falseAlarmsPerDay)),"
            + "\"rule_metrics\":\(headroom.json),\"quiet_alerts\":\(quietAlerts.json),\"sales\":\(record.sales?.json ?? "null"),"
            + "\"reliability\":\(record.reliability.json),\"referee\":\(referee?.json ?? "null"),"
            + "\"assumed\":\(assumed.map(JSONText.string) ?? "null")"
            + (policyGrid.map { ",\"policy_grid\":[" + $0.map(JSONText.string).joined(separator: ",") + "]" } ?? "")
            + (policyGrid == nil ? "" : ",\"policy_grid_caution\":\(policyGridCaution.map(JSONText.string) ?? "null")")
            + (holdSearch.map { ",\"hold_search\":[" + $0.map(JSONText.string).joined(separator: ",") + "]" } ?? "")
            + (saleLevelSearch.map { ",\"sale_level_search\":[" + $0.map(JSONText.string).joined(separator: ",") + "]" } ?? "")
            + (atOnceLevelSearch.map { ",\"at_once_level_search\":[" + $0.map(JSONText.string).joined(separator: ",") + "]" } ?? "")
            + (pendingLevelSearch.map { ",\"pending_level_search\":[" + $0.map(JSONText.string).joined(separator: ",") + "]" } ?? "") + "}\n"
    }
}
