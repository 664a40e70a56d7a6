import SurgeConfig

/// Which `[schedule] fire_when` level would have served a history of announced sales best with
/// the config's policy: for each model feature, levels between the values it had on the ticks
/// that ask the level (the last tick before each start), scored like the policy grid. The
/// level is the host's headroom before a sale (BENCHMARKS.md, "A level on the tick before an
/// announced sale"), so it is chosen on the host's past sales (`replay --policy-grid` on an
/// earlier trace, `alerts --record --policy-grid` on the stored ticks) and set for the sales
/// to come.
public enum SaleLevelSearch {
    /// Fewer announced sales than this in the history choose no level: with a handful, the
    /// level that nets most is whichever splits those few sales, and says nothing of the next.
    static let fewestSales = 10
    /// How many more episodes warned less false alarms a level must net than none before it is
    /// suggested: one sale more is what a level anywhere between two sales' values wins by luck.
    static let leastGain = 2

    public static func report(series: [PolicyGrid.Series], config: SurgeConfig) -> [String] {
        guard !config.schedule.sales.isEmpty else { return [] }
        var schedule = config.schedule
        schedule.fireWhen = []
        let announced = series.map { $0.announcing(schedule) }
        let sales = announced.reduce(0) { $0 + $1.levelTicks.count }
        let policy = AlertPolicy(config.alert, schedule: config.schedule)
        let holding = HoldSearch.holding(config.alert.hold)
        let score: @Sendable ([PolicyGrid.Series]) -> EpisodeScore = { marked in
            PolicyTable.score(policy, on: PolicyTable.Row(name: "", series: marked, horizon: config.model.horizonTicks,
                                                          mergeGap: config.alert.resolveAfter), holding: holding)
        }
        let none = score(announced)
        guard none.episodes > 0 else { return [] }
        var lines = ["the config's policy with no level:  \(PolicyGrid.describe(none))"]
        let own = config.schedule.fireWhen
        let ownMarked = announced.map { $0.markingLevels(own) }
        if !own.isEmpty, ownMarked.allSatisfy({ !$0.saleLevels.isEmpty }) {
            lines.append("with the config's level:  \(PolicyGrid.describe(score(ownMarked)))  [\(HoldSearch.holdLine(own, key: "fire_when", as: \.description))]")
        }
        guard sales >= fewestSales else {
            return lines + ["\(NumberText.counted(sales, "announced sale")) in these ticks: too few to choose a level by (\(fewestSales) or more)"]
        }
        let candidates = config.model.features.flatMap { feature in levels(of: feature, in: announced).map {
            OverloadCondition(metric: feature, comparison: .greaterOrEqual, threshold: $0)
        } }
        let scores = SideBySide.map(candidates) { condition in score(announced.map { $0.markingLevels([condition]) }) }
        // Ties go to fewer false alarms, then to the candidate first in the features' order and
        // the lowest level: the one that warns most of the sales it ties on.
        let best = EpisodeScore.nettingMost(Array(zip(candidates, scores)))
        var level = own
        if let best, best.1.net >= none.net + leastGain {
            lines.append("suggested for [schedule] on these \(sales) sales:  \(PolicyGrid.describe(best.1))  [\(HoldSearch.holdLine([best.0], key: "fire_when"))]")
            let (low, high) = band(around: best.0, in: zip(candidates, scores.map(\.net)).filter { $0.0.metric == best.0.metric })
            lines.append("levels of \(best.0.metric) that net within 1 of it: \(low.formatted2) to \(high.formatted2)")
            level = [best.0]
        } else {
            lines.append("no level on the tick before a sale nets \(leastGain) more than none on these \(sales) sales")
        }
        let marked = announced.map { $0.markingLevels(level) }
        if !level.isEmpty, marked.allSatisfy({ !$0.saleLevels.isEmpty }) {
            lines += windowLines(level: level, marked: marked, config: config, holding: holding)
        }
        return lines
    }

    /// The window's thresholds (`[schedule] fire_probability`) tried with a level: once the
    /// level warns of the sales that start on a busy host, a lowered threshold in the window
    /// mostly fires on the first tick of sales the shop absorbs (BENCHMARKS.md, "The sale
    /// window's threshold with a level"), so it is chosen with the level.
    static let windowThresholds = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1]

    static func windowLines(level: [OverloadCondition], marked: [PolicyGrid.Series], config: SurgeConfig,
                            holding: @escaping @Sendable (PolicyGrid.Series) -> [Bool]?) -> [String] {
        let row = PolicyTable.Row(name: "", series: marked, horizon: config.model.horizonTicks, mergeGap: config.alert.resolveAfter)
        let thresholds = windowThresholds.filter { $0 > config.alert.resolveProbability }
        // The config's own threshold is scored too where the grid does not hold it.
        let own = config.schedule.fireProbability
        let scores = SideBySide.map(thresholds + (thresholds.contains(own) ? [] : [own])) { threshold in
            var schedule = config.schedule
            schedule.fireWhen = level
            schedule.fireProbability = threshold
            return PolicyTable.score(AlertPolicy(config.alert, schedule: schedule), on: row, holding: holding)
        }
        let ownNet = scores[thresholds.firstIndex(of: own) ?? thresholds.count].net
        let nets = zip(thresholds, scores).map { "\($0.formatted2) nets \($1.net)" }.joined(separator: ", ")
        var lines = ["the window's fire_probability with \(HoldSearch.holdLine(level, key: "fire_when", as: \.description)): " + nets]
        // Ties go to fewer false alarms, then to the lower threshold, as for the level.
        if let best = EpisodeScore.nettingMost(Array(zip(thresholds, scores))), best.1.net > ownNet {
            lines.append("suggested with it:  \(PolicyGrid.describe(best.1))  [fire_probability = \(best.0.formatted2)]")
        } else {
            lines.append("the config's fire_probability (\(config.schedule.fireProbability.formatted2)) nets as much as any with it")
        }
        return lines
    }

    /// How sharp a choice is: the run of a feature's levels (in order, with what each nets)
    /// around `chosen` that net within 1 of it. A wide band says the exact level matters
    /// little; a narrow one, that it splits few sales.
    static func band(around chosen: OverloadCondition, in levels: [(OverloadCondition, Int)]) -> (low: Double, high: Double) {
        guard let at = levels.firstIndex(where: { $0.0 == chosen }) else { return (chosen.threshold, chosen.threshold) }
        let close = { (index: Int) in levels[index].1 >= levels[at].1 - 1 }
        var (low, high) = (at, at)
        while low > 0, close(low - 1) { low -= 1 }
        while high < levels.count - 1, close(high + 1) { high += 1 }
        return (levels[low].0.threshold, levels[high].0.threshold)
    }

    /// The levels tried for `feature`: halfway between each two of the values it had on the
    /// ticks that ask the level, rounded to two decimals as the line prints them, so each
    /// splits the sales in one more place.
    static func levels(of feature: String, in series: [PolicyGrid.Series]) -> [Double] {
        let values = Set(series.flatMap { part in
            part.levelTicks.compactMap { part.columns[feature]?[$0] }.filter(\.isFinite)
        }).sorted()
        var seen = Set<Double>()
        return zip(values, values.dropFirst()).map { (($0 + $1) / 2 * 100).rounded() / 100 }.filter { seen.insert($0).inserted }
    }
}
