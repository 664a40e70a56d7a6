import Testing
import SurgeConfig
@testable import SurgeDetection

/// `AtOnceLevelSearch`: the `[alert] fire_at_once_probability` a history speaks for, with the
/// rest of the config's policy (fire at p ≥ 0.9 for 2 ticks) as it is.
@Suite struct AtOnceLevelSearchTests {
    /// Six units of 40 ticks, p 0.05 but on `spikes` (tick → p); the even units breach on
    /// ticks 11 and 12, the odd ones never.
    func series(breaching spikes: [Int: Double], falling spikesThatFallBack: [Int: Double]) -> PolicyGrid.Series {
        var timestamps: [Double] = [], labels: [Bool?] = [], ps: [Double?] = []
        for unit in 0..<6 {
            let breaks = unit % 2 == 0
            for tick in 0..<40 {
                timestamps.append(Double(timestamps.count) * 10)
                labels.append(breaks && (tick == 11 || tick == 12))
                ps.append((breaks ? spikes : spikesThatFallBack)[tick] ?? 0.05)
            }
        }
        return PolicyGrid.Series(timestamps: timestamps, labels: labels, probabilities: ps)
    }

    func config(atOnce: Double = 0.96, fireAfter: Int = 2, fire: Double = 0.9) -> SurgeConfig {
        var config = PipelineLearningTests().config()
        config.alert.fireProbability = fire
        config.alert.fireAfter = fireAfter
        config.alert.fireAtOnceProbability = atOnce
        return config
    }

    /// Breaches come after one tick at p 0.98, fall-backs after one at 0.95: waiting for two
    /// ticks warns of none, levels up to 0.95 also fire on every fall-back, 0.96 to 0.98 warn
    /// of the breaches alone. The lowest of those is named.
    @Test func aSingleTickThatTellsBreachesApartIsNamed() {
        let history = series(breaching: [10: 0.98], falling: [10: 0.95])
        let lines = AtOnceLevelSearch.report(series: [history], config: config())
        #expect(lines.count == 4, "\(lines)")
        #expect(lines[0].hasPrefix("the config's policy firing only after fire_after ticks:  3 episodes, 0 early (0 %)"), "\(lines)")
        #expect(lines[1].hasPrefix("with the config's level:  3 episodes, 3 early (100 %), 0.0 false alarms/day"), "\(lines)")
        #expect(lines[2].hasPrefix("suggested for [alert] on one tick:  3 episodes, 3 early (100 %), 0.0 false alarms/day"), "\(lines)")
        #expect(lines[2].hasSuffix("[fire_at_once_probability = 0.96]"), "\(lines)")
        #expect(lines[3] == "levels that net within 1 of it: 0.96, 0.97, 0.98", "\(lines)")
    }

    /// Alibaba's case: the breaches are foretold by two ticks at p 0.97, which fire anyway,
    /// while single ticks at p 0.99 fall back. Any level only adds false alarms, so the line
    /// to copy turns the tier off; with it off already, there is nothing to copy.
    @Test func aSingleTickThatOnlyMisleadsIsTurnedOff() {
        let history = series(breaching: [9: 0.97, 10: 0.97], falling: [10: 0.99])
        let lines = AtOnceLevelSearch.report(series: [history], config: config())
        #expect(lines.count == 3, "\(lines)")
        #expect(lines[0].hasPrefix("the config's policy firing only after fire_after ticks:  3 episodes, 3 early (100 %), 0.0 false alarms/day"), "\(lines)")
        #expect(lines[1].hasPrefix("with the config's level:  3 episodes, 3 early (100 %), 108.0 false alarms/day"),
                "three false alarms in 240 ticks: \(lines)")
        #expect(lines[2] == "no level of p on one tick nets more than waiting for fire_after ticks  [fire_at_once_probability = 1.00]", "\(lines)")
        let off = AtOnceLevelSearch.report(series: [history], config: config(atOnce: 1))
        #expect(off.count == 2 && off[1] == "no level of p on one tick nets more than waiting for fire_after ticks", "\(off)")
    }

    /// No search where one tick fires anyway, where no level is left at or above
    /// fire_probability, or where the history holds no episode.
    @Test func nothingToSearch() {
        let history = series(breaching: [10: 0.98], falling: [10: 0.95])
        #expect(AtOnceLevelSearch.report(series: [history], config: config(fireAfter: 1)).isEmpty)
        #expect(AtOnceLevelSearch.report(series: [history], config: config(atOnce: 1, fire: 0.995)).isEmpty)
        let calm = PolicyGrid.Series(timestamps: history.timestamps, labels: history.labels.map { _ in false }, probabilities: history.probabilities)
        #expect(AtOnceLevelSearch.report(series: [calm], config: config()).isEmpty)
        #expect(AtOnceLevelSearch.report(series: [], config: config()).isEmpty)
    }
}
