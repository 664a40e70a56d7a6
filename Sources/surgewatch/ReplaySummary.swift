import SurgeConfig
import SurgeDetection

/// The end of `replay`: surgewatch's episode figures next to the four baselines' on the
/// same trace (definitions in EpisodeScore and Baselines).
struct ReplaySummary {
    var rows: [(name: String, detail: String, score: EpisodeScore, chosenOn: String?)]
    var ticks: Int
    var tickSeconds: Double
    var seconds: Double
    var learningSteps: Int
    var rollbacks: Int
    /// Changes of the serving weights and which served at the end (nil: no referee).
    var servingChanges = 0
    var servingAtEnd: WeightsReferee.Choice?
    /// How surgewatch's p came true on this trace (the table `alerts --record` shows for a host).
    var reliability = Reliability()
    var horizonSeconds: Double

    init(trace: Trace, result: ReplayResult, config: SurgeConfig, tuning: Baselines.Tuning? = nil) {
        let horizon = config.model.horizonTicks, gap = config.alert.resolveAfter
        let ours = EpisodeScore.score(timestamps: trace.timestamps, labels: result.labels, alerting: result.alerting,
                                      horizon: horizon, mergeGap: gap)
        rows = [("surgewatch", "model, \(config.alert.firing)\(config.schedule.firing)", ours, nil)]
        for baseline in Baselines.all(trace: trace, labels: result.labels, overload: config.overload, horizon: horizon,
                                      fireAfter: config.alert.fireAfter, resolveAfter: gap, tuning: tuning) {
            rows.append((baseline.name, baseline.detail, baseline.score, baseline.chosenOn))
        }
        reliability.add(probabilities: result.probabilities, labels: result.labels, horizon: horizon)
        horizonSeconds = Double(horizon) * trace.tickSeconds
        ticks = trace.count
        tickSeconds = trace.tickSeconds
        seconds = result.seconds
        learningSteps = result.learningSteps
        rollbacks = result.rollbacks
        servingChanges = result.servingChanges.count
        servingAtEnd = result.servingAtEnd
    }

    func text(input: String) -> String {
        // The trace's span as a person reads it, and the replay's own time in ms under a second.
        let took = seconds < 1 ? "\(Int((seconds * 1000).rounded())) ms" : "\(format(seconds)) s"
        var lines = ["\(ticks) ticks of \(format(tickSeconds)) s (\(NumberText.span(seconds: Double(ticks) * tickSeconds))) in \(took), "
                     + "\(Int(Double(ticks) / max(seconds, 1e-9))) ticks/s; \(learningSteps) learning steps, \(rollbacks) rollbacks"
                     + (servingAtEnd.map { "; serving weights changed \(servingChanges) times, \($0.rawValue) ones at the end" } ?? "")]
        // The last figure is what the baselines' hindsight choices maximise, so rows compare on it.
        lines.append(pad("", 15) + pad("episodes", 9) + pad("caught", 8) + pad("early", 7) + pad("continuing", 12) + pad("lead (median)", 15)
                     + pad("open after breach (median)", 28) + pad("false alarms/day", 18) + "early - false alarms")
        for row in rows {
            let s = row.score
            lines.append(pad(row.name, 15) + pad("\(s.episodes)", 9) + pad("\(s.caught)", 8) + pad("\(s.caughtEarly)", 7)
                         + pad("\(s.continuing)", 12) + pad(s.medianLeadSeconds.map { "\(Int($0)) s" } ?? "-", 15)
                         + pad(s.medianAfterBreachSeconds.map { "\(Int($0)) s" } ?? "-", 28) + pad(format(s.falseAlarmsPerDay), 18)
                         + pad("\(s.caughtEarly - s.falseAlarms)", 6) + "(\(row.detail))")
        }
        // The days the rates a day were scaled with (surgewatch's row, as every row's).
        let days = rows[0].score.days
        if days < 1 { lines.append("false alarms/day scaled up from \(NumberText.span(seconds: days * 86400)) of ticks: one alarm reads as \(format(1 / days)) a day") }
        lines += reliability.lines(horizon: AlertMessage.duration(horizonSeconds))
        return lines.joined(separator: "\n")
    }

    /// `quietAlerts`: surgewatch's false alarms one by one (QuietAlertList.json), as `quiet_alerts`.
    func json(quietAlerts: String) -> String {
        let entries = rows.map { row -> String in
            let s = row.score
            return "{\"name\":\(JSONText.string(row.name)),\"detail\":\(JSONText.string(row.detail)),\"chosen_on\":\(row.chosenOn.map(JSONText.string) ?? "null"),\"episodes\":\(s.episodes),\"caught\":\(s.caught),\"caught_early\":\(s.caughtEarly),\"recall\":\(format(s.recall)),\"early_fraction\":\(format(s.earlyFraction)),\"continuing\":\(s.continuing),\"warned_fraction\":\(format(s.warnedFraction)),\"median_lead_seconds\":\(s.medianLeadSeconds.map { format($0) } ?? "null"),\"median_after_breach_seconds\":\(s.medianAfterBreachSeconds.map { format($0) } ?? "null"),\"alerts\":\(s.alerts),\"false_alarms\":\(s.falseAlarms),\"false_alarms_per_day\":\(format(s.falseAlarmsPerDay)),\"days\":\(format(s.days))}"
        }
        return "{\"ticks\":\(ticks),\"seconds\":\(format(seconds)),\"ticks_per_second\":\(Int(Double(ticks) / max(seconds, 1e-9))),\"learning_steps\":\(learningSteps),\"rollbacks\":\(rollbacks),\"serving_changes\":\(servingChanges),\"serving_at_end\":\(servingAtEnd.map { JSONText.string($0.rawValue) } ?? "null"),\"results\":[\(entries.joined(separator: ","))],\"reliability\":\(reliability.json),\"quiet_alerts\":\(quietAlerts)}\n"
    }

    private func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(1, width - text.count)) }
    private func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : String(rounded)
    }
}
