import SurgeConfig

/// Which `[alert] fire_on_pending_probability` would have served a history best with the rest
/// of the config's policy: with `[overload] for_ticks` ≥ 2, the level of p at which a predicted
/// alert fires on the tick the rule is one short of holding, scored like the policy grid at
/// each of a few levels and off. Whether the model's word is worth a warning one tick ahead
/// depends on how often this host's rule falls back on its last tick, so the level is chosen
/// on the host's history (`replay --policy-grid` on an earlier trace, `alerts --record
/// --policy-grid` on the stored samples) and set for what comes after (BENCHMARKS.md, "A tick
/// before the rule holds").
public enum PendingLevelSearch {
    static let levels = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]

    /// No lines without a run to wait for (`for_ticks` = 1) or where the series do not say
    /// which ticks were pending (`PolicyGrid.Series.markingPending` found no column to read).
    public static func report(series: [PolicyGrid.Series], config: SurgeConfig) -> [String] {
        guard config.overload.forTicks >= 2, !series.isEmpty, series.allSatisfy({ !$0.rulePending.isEmpty }) else { return [] }
        let row = PolicyTable.Row(name: "", series: series.map { $0.announcing(config.schedule) }, horizon: config.model.horizonTicks,
                                  mergeGap: config.alert.resolveAfter)
        let holding = HoldSearch.holding(config.alert.hold)
        let score: @Sendable (Double) -> EpisodeScore = { level in
            var alert = config.alert
            alert.firePendingProbability = level
            return PolicyTable.score(AlertPolicy(alert, schedule: config.schedule), on: row, holding: holding)
        }
        let off = score(1)
        guard off.episodes > 0 else { return [] }
        var lines = ["the config's policy firing on no pending tick:  \(PolicyGrid.describe(off))"]
        if config.alert.firePendingProbability < 1 {
            lines.append("with the config's level:  \(PolicyGrid.describe(score(config.alert.firePendingProbability)))  [\(line(config.alert.firePendingProbability))]")
        }
        let scores = SideBySide.map(levels, score)
        // Ties go to fewer false alarms, then to the lowest level: the one that warns most.
        guard let best = EpisodeScore.nettingMost(Array(zip(levels, scores))), best.1.net > off.net else {
            return lines + ["no level of p on the tick before the rule holds nets more than firing on none"]
        }
        lines.append("suggested for [alert] a tick before the rule holds:  \(PolicyGrid.describe(best.1))  [\(line(best.0))]")
        let close = zip(levels, scores).filter { $0.1.net >= best.1.net - 1 }.map(\.0)
        lines.append("levels that net within 1 of it: \(close.map(\.formatted2).joined(separator: ", "))")
        return lines
    }

    static func line(_ level: Double) -> String {
        "fire_on_pending_probability = \(level.formatted2)"
    }
}
