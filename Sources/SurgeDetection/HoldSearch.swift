import SurgeConfig
import SurgeSampling

/// Which `[alert] hold` would have served a history best with the config's policy: for each
/// model feature, holds at its own quantiles on that history (so no per-metric constant:
/// "cpu_busy >= 0.74" where 0.74 is this host's 80th percentile), scored like the policy grid.
/// The level is the host's, so it is chosen on its history (`replay --policy-grid` on an
/// earlier trace, `alerts --record --policy-grid` on the stored ticks) and set in `[alert]` for
/// what comes after (BENCHMARKS.md, "A hold chosen on the host's history").
public enum HoldSearch {
    /// Quantiles of each feature tried as hold levels: the top of its range, where a hot spell
    /// sits. Lower levels hold through ordinary busy hours: on the World Cup's training days the
    /// median of CPU pressure (0.88) was "best", holding alerts open for hours so that 174 of
    /// 364 episodes began inside one (BENCHMARKS.md).
    static let quantiles = [0.8, 0.85, 0.9, 0.95, 0.975]
    /// The largest share of the history's ticks a hold level may be reached on: the lowest
    /// quantile's top fifth, with room for ties.
    static let mostTicksAHoldMayCover = 0.25

    public static func report(trace: Trace, labels: [Bool?], probabilities: [Double?], config: SurgeConfig) -> [String] {
        report(series: [series(trace: trace, labels: labels, probabilities: probabilities, config: config)], config: config)
    }

    /// A replayed trace as a series with the columns of `metrics(config)`, for this search and
    /// for `PolicyGrid.report` (which reads those of `[schedule] fire_when`).
    public static func series(trace: Trace, labels: [Bool?], probabilities: [Double?], config: SurgeConfig) -> PolicyGrid.Series {
        var columns: [String: [Double]] = [:]
        for metric in metrics(config) { columns[metric] = trace.column(metric) }
        return PolicyGrid.Series(timestamps: trace.timestamps, labels: labels, probabilities: probabilities, columns: columns)
            .markingPending(config.overload)
    }

    /// The metrics a search reads: the model's features, where levels are tried, and those of
    /// the config's own hold and `[schedule] fire_when`, which are scored beside them, and of
    /// the SLO rule where it waits (`for_ticks` ≥ 2), whose run `PendingLevelSearch` reads.
    public static func metrics(_ config: SurgeConfig) -> [String] {
        var seen = Set<String>()
        let rule = config.overload.forTicks >= 2 ? (config.overload.any + config.overload.all).map(\.metric) : []
        return (config.model.features + config.alert.hold.map(\.metric) + config.schedule.fireWhen.map(\.metric) + rule)
            .filter { seen.insert($0).inserted }
    }

    /// Over several series (the daemon's runs), their figures added up. A series without a
    /// metric's column counts that metric as never holding.
    public static func report(series: [PolicyGrid.Series], config: SurgeConfig) -> [String] {
        let row = PolicyTable.Row(name: "", series: series.map { $0.announcing(config.schedule) }, horizon: config.model.horizonTicks, mergeGap: config.alert.resolveAfter)
        let score: @Sendable (AlertPolicy, [OverloadCondition]) -> EpisodeScore = { policy, conditions in
            PolicyTable.score(policy, on: row, holding: holding(conditions))
        }
        // By warned episodes minus false alarms: a hold turns fresh warnings into continuing
        // ones by design, so the strict count would never pick one.
        func net(_ s: EpisodeScore) -> Int { s.warned - s.falseAlarms }
        // Ties go to fewer false alarms, for holds and policies alike.
        func better(_ a: EpisodeScore, than b: EpisodeScore) -> Bool {
            net(a) != net(b) ? net(a) > net(b) : a.falseAlarms < b.falseAlarms
        }
        func netsMost(_ policies: [(text: String, score: EpisodeScore)]) -> (text: String, score: EpisodeScore)? {
            policies.max { better($1.score, than: $0.score) }
        }
        let policy = AlertPolicy(config.alert, schedule: config.schedule)
        let none = score(policy, [])
        guard none.episodes > 0 else { return [] }
        var lines = ["the config's policy with no hold:  \(PolicyGrid.describe(none))"]
        if !config.alert.hold.isEmpty {
            let own = score(policy, config.alert.hold)
            lines.append("with the config's hold:  \(PolicyGrid.describe(own))  [\(holdLine(config.alert.hold, as: \.description))]")
        }
        var best: (hold: OverloadCondition, score: EpisodeScore)?
        for feature in config.model.features {
            let known = series.flatMap { $0.columns[feature] ?? [] }.filter(\.isFinite).sorted()
            guard !known.isEmpty else { continue }
            var tried = Set<Double>()
            for q in quantiles {
                let level = (known[min(known.count - 1, Int(q * Double(known.count)))] * 100).rounded() / 100
                guard tried.insert(level).inserted else { continue }
                // A level most ticks reach is no hot spell: on a feature that sits at one value
                // (probe_up at 1, a listen queue at 0) the quantile is that value, and a hold
                // there would keep an alert open for as long as the value lasts.
                let reached = known.count - (known.firstIndex { $0 >= level } ?? known.count)
                guard Double(reached) <= Self.mostTicksAHoldMayCover * Double(known.count) else { continue }
                let condition = OverloadCondition(metric: feature, comparison: .greaterOrEqual, threshold: level)
                let s = score(policy, [condition])
                if best == nil || better(s, than: best!.score) {
                    best = (condition, s)
                }
            }
        }
        var chosen: (hold: [OverloadCondition], score: EpisodeScore) = ([], none)
        if let best, net(best.score) > net(none) {
            lines.append("with the hold that nets most:  \(PolicyGrid.describe(best.score))  [\(holdLine([best.hold]))]")
            chosen = ([best.hold], best.score)
        } else {
            lines.append("no hold on a model feature nets more than none")
        }
        // Then the fire policy, with that hold: another of the grid's only where it nets
        // clearly more, and still warns 70 % of the episodes (or as many as the config's
        // policy, if fewer). Chosen together with the hold, or alone, the grid's best overfits
        // the history it was chosen on; chosen this way on each evaluation row's training
        // trace, it netted 428 against the hold's 420 and 387 for neither; without the 70 %
        // floor 437, but some rows then warned of only half their episodes (BENCHMARKS.md).
        let floor = min(0.7, chosen.score.warnedFraction)
        let chosenHold = chosen.hold
        let grid = PolicyGrid.scoredCandidates(config) { score($0, chosenHold) }.filter { $0.score.warnedFraction >= floor }
        let bestPolicy = netsMost(grid)
        let clearly = Double(net(chosen.score)) * (1 + policyMargin) + 1
        var suggestion: (policy: String?, score: EpisodeScore) = (nil, chosen.score)
        if let bestPolicy, Double(net(bestPolicy.score)) >= clearly {
            suggestion = (bestPolicy.text, bestPolicy.score)
        }
        // Over the false-alarm budget on a history long enough to judge it by: the grid policy
        // that nets most within the budget (and above the floor), where one is.
        if suggestion.score.days >= 1, suggestion.score.falseAlarmsPerDay > falseAlarmBudgetPerDay,
           let quieter = netsMost(grid.filter { $0.score.falseAlarmsPerDay <= falseAlarmBudgetPerDay }) {
            suggestion = (quieter.text, quieter.score)
        }
        let hold = chosen.hold.isEmpty ? "no hold" : holdLine(chosen.hold)
        lines.append("suggested for [alert] on this history:  \(PolicyGrid.describe(suggestion.score))  [\(hold); "
                     + (suggestion.policy ?? "the config's fire and resolve settings") + "]")
        return lines
    }

    /// Per series, the ticks on which `hold` holds (a tick without the metric's value does not),
    /// or nil for no hold: `PolicyTable.score`'s `holding`.
    static func holding(_ hold: [OverloadCondition]) -> @Sendable (PolicyGrid.Series) -> [Bool]? {
        { part in
            hold.isEmpty ? nil : (0..<part.timestamps.count).map { tick in
                hold.contains { condition in
                    guard let value = part.columns[condition.metric]?[tick], value.isFinite else { return false }
                    return condition.comparison.holds(value, condition.threshold)
                }
            }
        }
    }

    /// False alarms a day an operator is asked to accept (the target): a suggestion
    /// over it on the history gives way to the grid's best policy within it.
    static let falseAlarmBudgetPerDay = 1.0

    /// How much more (as a share of the chosen hold's warned − false alarms, plus one) a fire
    /// policy of the grid must net on the history before it is suggested over the config's.
    /// 10 % and 20 % suggested the same on every evaluation row (BENCHMARKS.md).
    static let policyMargin = 0.1

    /// `hold = [...]` (or another `key` that takes conditions, such as `[schedule] fire_when`)
    /// in the config's own words: the config's conditions as written, a level the search found
    /// as it rounds it, to two decimals ("cpu_busy >= 0.90").
    static func holdLine(_ conditions: [OverloadCondition], key: String = "hold",
                         as text: (OverloadCondition) -> String = { "\($0.metric) \($0.comparison.rawValue) \($0.threshold.formatted2)" }) -> String {
        "\(key) = [" + conditions.map { "\"\(text($0))\"" }.joined(separator: ", ") + "]"
    }
}
