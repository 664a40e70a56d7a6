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
    /// The section's heading in `replay` and `alerts --record`, before what the history is.
    public static let heading =
        "[alert] fire_on_pending_probability: p on the tick before the rule holds (for_ticks - 1 ticks held), with the config's policy otherwise"
    static let search = AlertLevelSearch(
        key: "fire_on_pending_probability", levels: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95],
        offName: "the config's policy firing on no pending tick", suggestionName: "suggested for [alert] a tick before the rule holds",
        noneNetsMore: "no level of p on the tick before the rule holds nets more than firing on none",
        level: \.firePendingProbability, setting: { $0.firePendingProbability = $1 })

    /// No lines without a run to wait for (`for_ticks` = 1) or where the series do not say
    /// which ticks were pending (`PolicyGrid.Series.markingPending` found no column to read).
    public static func report(series: [PolicyGrid.Series], config: SurgeConfig) -> [String] {
        guard config.overload.forTicks >= 2, !series.isEmpty, series.allSatisfy({ !$0.rulePending.isEmpty }) else { return [] }
        return search.report(series: series, config: config)
    }
}
