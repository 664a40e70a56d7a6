import SurgeConfig

/// Which `[alert] fire_at_once_probability` would have served a history best with the rest of
/// the config's policy: the level of p at which one tick fires a predicted alert without
/// waiting for `fire_after` ticks, scored like the policy grid at each of a few levels (at or
/// above `fire_probability`, as `[alert]` requires) and off. The policy grid's lines all fire
/// at once on none, so without this an operator could not tell whether the default level
/// pays on this host: on a host whose p jumps for one tick where the load jumps and falls back
/// it costs false alarms and warns of nothing the other tiers miss (Alibaba's training days,
/// BENCHMARKS.md, "The at-once level named on a host's history (session 53)").
public enum AtOnceLevelSearch {
    static let levels = [0.8, 0.85, 0.9, 0.93, 0.95, 0.96, 0.97, 0.98, 0.99]
    /// The section's heading in `replay` and `alerts --record`, before what the history is.
    public static let heading =
        "[alert] fire_at_once_probability: p on one tick that fires without waiting for fire_after ticks, with the config's policy otherwise"

    /// No lines where one tick already fires (`fire_after` = 1) or no level is left at or above
    /// `fire_probability`.
    public static func report(series: [PolicyGrid.Series], config: SurgeConfig) -> [String] {
        let allowed = levels.filter { $0 >= config.alert.fireProbability }
        guard config.alert.fireAfter >= 2, !allowed.isEmpty, !series.isEmpty else { return [] }
        let search = AlertLevelSearch(
            key: "fire_at_once_probability", levels: allowed,
            offName: "the config's policy firing only after fire_after ticks",
            suggestionName: "suggested for [alert] on one tick",
            noneNetsMore: "no level of p on one tick nets more than waiting for fire_after ticks",
            level: \.fireAtOnceProbability, setting: { $0.fireAtOnceProbability = $1 })
        return search.report(series: series, config: config)
    }
}
