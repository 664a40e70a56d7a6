import SurgeConfig
import SurgeSampling

/// Per-tick probabilities scored like `replay`: under the config's alert policy, and under the
/// best policies of a grid (fire threshold × ticks in a row × resolve band), so predictors with differently
/// calibrated probabilities compare at their own best operating points, and an operator sees
/// which `[alert]` settings would have served a trace best (in hindsight: on that trace).
public enum PolicyGrid {
    /// Ticks in a row: a trace, or one run of the daemon (HostRecord), scored on its own so
    /// that no alert or episode spans a restart.
    public struct Series: Sendable {
        public var timestamps: [Double]
        public var labels: [Bool?]
        public var probabilities: [Double?]
        /// Metric values per tick (NaN where missing), for the hold search (`HoldSearch`):
        /// the trace's columns, or the stored samples of the same ticks.
        public var columns: [String: [Double]]
        /// Per tick, the start of the announced sale whose window holds it (`[schedule]`), or
        /// empty when no sale is announced.
        public var saleStarts: [Double?]
        /// Per tick, whether a condition of `[schedule] fire_when` holds on the last tick before
        /// a start (`AlertObservation.saleLevel`); empty when none is set or the metrics are
        /// not in `columns`.
        public var saleLevels: [Bool]
        /// Per tick, whether the SLO rule is one tick from holding (`AlertObservation.rulePending`);
        /// empty when not read (`markingPending`: the rule holds from its first tick, or a
        /// metric it reads has no column).
        public var rulePending: [Bool]
        /// The threshold in an announced sale's window (`[schedule] fire_probability`) this
        /// trace was replayed with, where it differs from trace to trace; nil: the policy's own.
        public var saleFireProbability: Double?

        public init(timestamps: [Double], labels: [Bool?], probabilities: [Double?], columns: [String: [Double]] = [:],
                    saleStarts: [Double?] = [], saleLevels: [Bool] = [], rulePending: [Bool] = []) {
            self.timestamps = timestamps
            self.labels = labels
            self.probabilities = probabilities
            self.columns = columns
            self.saleStarts = saleStarts
            self.saleLevels = saleLevels
            self.rulePending = rulePending
        }

        /// The same ticks with `schedule`'s sales marked, as the pipeline marks them (each
        /// window closing one tick, the series' own spacing, after its start).
        public func announcing(_ schedule: SurgeConfig.Schedule) -> Series {
            guard !schedule.sales.isEmpty else { return self }
            var copy = self
            let tick = timestamps.count > 1 ? timestamps[1] - timestamps[0] : 10
            var announced = AnnouncedStarts(schedule)
            copy.saleStarts = timestamps.map { announced.saleStart(at: $0, interval: tick) }
            return copy.markingLevels(schedule.fireWhen)
        }

        /// The same ticks with `rulePending` read from `columns` as the pipeline's labeller
        /// reads the rule: empty when it holds from its first tick (`for_ticks` = 1) or a
        /// metric it reads has no column. A series starts the rule's run afresh, where the
        /// daemon after a restart counts the ticks of its resumed window too.
        public func markingPending(_ overload: SurgeConfig.Overload) -> Series {
            var copy = self
            copy.rulePending = []
            let metrics = overload.metrics
            let values = metrics.compactMap { columns[$0] }
            guard overload.forTicks >= 2, values.count == metrics.count else { return copy }
            let schema = MetricSchema(metrics)
            var rule = OverloadRule(overload, schema: schema)
            copy.rulePending = timestamps.indices.map { tick in
                _ = rule.label(Sample(timestamp: timestamps[tick], tick: tick + 1, schema: schema, values: values.map { $0[tick] }))
                return rule.isPending
            }
            return copy
        }

        /// The ticks that ask `[schedule] fire_when` (the last before each start): where the
        /// level is read, and where `SaleLevelSearch` reads the values it tries as levels.
        var levelTicks: [Int] {
            let tick = timestamps.count > 1 ? timestamps[1] - timestamps[0] : 10
            return timestamps.indices.filter { index in
                saleStarts.indices.contains(index)
                    && SurgeConfig.Schedule.asksLevel(at: timestamps[index], saleStart: saleStarts[index], interval: tick)
            }
        }

        /// The same ticks with `conditions` as `[schedule] fire_when` (sales already marked):
        /// no levels when there are none or a condition's metric has no column.
        func markingLevels(_ conditions: [OverloadCondition]) -> Series {
            var copy = self
            copy.saleLevels = []
            let levels = conditions.compactMap { condition in columns[condition.metric].map { (condition, $0) } }
            guard !levels.isEmpty, levels.count == conditions.count else { return copy }
            copy.saleLevels = Array(repeating: false, count: timestamps.count)
            for index in levelTicks where levels.contains(where: { condition, values in condition.comparison.holds(values[index], condition.threshold) }) {
                copy.saleLevels[index] = true
            }
            return copy
        }
    }

    /// Below this many overload episodes, or under a day, a history or trace is said to be
    /// too thin to choose `[alert]` settings on (as `train` says of a validation part).
    public static let fewEpisodes = OfflineTrainer.Result.fewValidationEpisodes

    /// Said above the grid's suggestions when what they were chosen on is too thin (`saying`
    /// how: "too little history", "too short a trace"): hundreds of policies scored on three episodes fit that span's
    /// accidents, and a rate "a day" from half an hour is one alarm times 48. Nil when not.
    public static func thinCaution(_ score: EpisodeScore, saying thin: String) -> String? {
        guard score.episodes < fewEpisodes || score.days < 1 else { return nil }
        return "note: \(NumberText.counted(score.episodes, "overload episode")) over \(AlertMessage.duration(score.days * 86400)): "
            + "\(thin) to choose [alert] settings on (fewer than \(fewEpisodes) episodes or under a day); what follows fits "
            + "this span alone, so let a week and a few sales pass before you copy from it"
    }

    public static func report(timestamps: [Double], labels: [Bool?], probabilities: [Double?], config: SurgeConfig) -> [String] {
        report(series: [Series(timestamps: timestamps, labels: labels, probabilities: probabilities)], config: config)
    }

    /// The same over several series, their figures added up.
    public static func report(series: [Series], config: SurgeConfig) -> [String] {
        let announced = series.map { $0.announcing(config.schedule) }
        let row = PolicyTable.Row(name: "", series: announced, horizon: config.model.horizonTicks,
                                  mergeGap: config.alert.resolveAfter)
        let score: @Sendable (AlertPolicy) -> EpisodeScore = { PolicyTable.score($0, on: row) }
        let own = AlertPolicy(config.alert, schedule: config.schedule)
        let ownScore = score(own)
        // The stored history holds p and the rule's verdicts, not the metrics a hold reads.
        var missing: [String] = []
        if !config.alert.hold.isEmpty { missing.append("[alert] hold") }
        if config.alert.firePendingProbability < 1 && announced.contains(where: { $0.rulePending.isEmpty }) {
            missing.append("[alert] fire_on_pending_probability")
        }
        let levelsRead = announced.allSatisfy { !$0.saleLevels.isEmpty || $0.saleStarts.isEmpty }
        if !config.schedule.fireWhen.isEmpty && !config.schedule.sales.isEmpty && !levelsRead { missing.append("[schedule] fire_when") }
        let ownName = missing.isEmpty ? "the config's policy" : "the config's policy without its " + missing.joined(separator: " and ")
        var lines = ["\(ownName):  \(describe(ownScore))"]
        // Without an episode every policy ties, and a "best" would be an arbitrary pick.
        guard ownScore.episodes > 0 else { return lines + ["no overload episode in these ticks: nothing to choose a policy by"] }
        let grid = scoredCandidates(config, by: score)
        // Ties go to fewer false alarms, as for the baselines.
        if let best = grid.max(by: { Baselines.better($1.score, than: $0.score) }) {
            lines.append("best early - false alarms:  \(describe(best.score))  [\(best.text)]")
        }
        let early = grid.filter { $0.score.earlyFraction >= 0.7 }
        if let quietest = early.min(by: { ($0.score.falseAlarms, -$0.score.caughtEarly) < ($1.score.falseAlarms, -$1.score.caughtEarly) }) {
            lines.append("fewest false alarms at >= 70 % early:  \(describe(quietest.score))  [\(quietest.text)]")
        } else {
            lines.append("no policy of the grid warns 70 % of episodes early")
        }
        // The same with episodes inside an alert still open from an earlier breach counted as
        // warned (EpisodeScore.continuing): "an alert was open at the tick before".
        let warned = grid.filter { $0.score.warnedFraction >= 0.7 }
        if let quietest = warned.min(by: { ($0.score.falseAlarms, -$0.score.warned) < ($1.score.falseAlarms, -$1.score.warned) }) {
            lines.append("fewest false alarms at >= 70 % warned (early + continuing):  \(describe(quietest.score))  [\(quietest.text)]")
        } else {
            lines.append("no policy of the grid warns 70 % of episodes (early + continuing)")
        }
        return lines
    }

    /// The grid's policies with their texts and scores, scored side by side on every core, in
    /// the grid's order.
    static func scoredCandidates(_ config: SurgeConfig, by score: @escaping @Sendable (AlertPolicy) -> EpisodeScore)
        -> [(text: String, score: EpisodeScore)] {
        let policies = candidates(config)
        return zip(policies, SideBySide.map(policies.map(\.policy), score)).map { (text: $0.text, score: $1) }
    }

    /// The grid's 117 policies, each with its text in the config's own words (so a line can
    /// be copied into `[alert]`): fire threshold × ticks in a row × resolve band.
    public static func candidates(_ config: SurgeConfig) -> [(text: String, policy: AlertPolicy)] {
        var grid: [(text: String, policy: AlertPolicy)] = []
        // The grid's policies never fire on a leap; where the config does, each line says so,
        // so that a line copied into [alert] is the policy scored.
        let noLeap = config.alert.fireOnLeapProbability < 1 ? ", fire_on_leap_probability = 1" : ""
        // [schedule] is not [alert]'s: announced sales keep their threshold in every policy;
        // so do fire_on_pending_probability and the settle, which each line leaves as the config has them.
        let sale = AlertPolicy(config.alert, schedule: config.schedule).saleFireProbability
        for fire in [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99] {
            for after in 1...3 {
                // The resolve threshold tied to the fire threshold, then wider bands: a wide band
                // holds one alert through a hot spell instead of re-firing at each burst
                // (BENCHMARKS.md, "The resolve threshold"). Ties keep the first, the tied one.
                // The grid is the same whatever the config's band, which line one scores.
                let tied = min(0.5, fire * 0.6)
                for resolve in [tied] + [0.3, 0.2, 0.1].filter({ $0 < tied }) {
                    // The config's settle where it fits inside this line's band; where it does
                    // not, the line says it is off, as [alert] would refuse it there.
                    let fits = config.alert.settleFits(resolve: resolve, fire: fire)
                    let noSettle = config.alert.settleProbability > 0 && !fits ? ", settle_probability = 0" : ""
                    let policy = AlertPolicy(fireProbability: fire, resolveProbability: resolve,
                                             fireAfter: after, resolveAfter: config.alert.resolveAfter, fireAtOnceProbability: 1,
                                             saleFireProbability: sale > resolve ? sale : 1,
                                             firePendingProbability: config.alert.firePendingProbability,
                                             settleProbability: fits ? config.alert.settleProbability : 0, settleAfter: config.alert.settleAfter)
                    grid.append(("fire_probability = \(fire), fire_after = \(after), fire_at_once_probability = 1, resolve_probability = \(resolve.formatted2)\(noLeap)\(noSettle)",
                                 policy))
                }
            }
        }
        return grid
    }

    public static func describe(_ s: EpisodeScore) -> String {
        let perDay = (s.falseAlarmsPerDay * 100).rounded() / 100
        guard s.episodes > 0 else { return "0 episodes, \(perDay) false alarms/day" }
        let percent = Int((s.earlyFraction * 100).rounded())
        let continuing = s.continuing > 0
            ? " + \(s.continuing) continuing = \(s.warned) warned (\(Int((s.warnedFraction * 100).rounded())) %)" : ""
        return "\(NumberText.counted(s.episodes, "episode")), \(s.caughtEarly) early (\(percent) %)\(continuing), \(perDay) false alarms/day, median lead \(Int(s.medianLeadSeconds ?? 0)) s"
    }
}
