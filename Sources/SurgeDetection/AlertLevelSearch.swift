import SurgeConfig

/// One `[alert]` level chosen on a history with the rest of the config's policy as it is:
/// scored like the policy grid at each of a few levels and off (1), so an operator changes the
/// one key the history speaks for and keeps the rest. The policy grid itself never fires at
/// once or on a pending tick; these searches name those keys (`PendingLevelSearch`,
/// `AtOnceLevelSearch`).
struct AlertLevelSearch {
    /// The key, as `[alert]` spells it.
    let key: String
    let levels: [Double]
    /// The first line's name for the policy with the key off.
    let offName: String
    /// The suggestion's name ("suggested for [alert] …").
    let suggestionName: String
    /// The line when no level nets more than the key off.
    let noneNetsMore: String
    let level: @Sendable (SurgeConfig.Alert) -> Double
    let setting: @Sendable (inout SurgeConfig.Alert, Double) -> Void

    func report(series: [PolicyGrid.Series], config: SurgeConfig) -> [String] {
        let row = PolicyTable.Row(name: "", series: series.map { $0.announcing(config.schedule) }, horizon: config.model.horizonTicks,
                                  mergeGap: config.alert.resolveAfter)
        let holding = HoldSearch.holding(config.alert.hold)
        let setting = self.setting
        let score: @Sendable (Double) -> EpisodeScore = { level in
            var alert = config.alert
            setting(&alert, level)
            return PolicyTable.score(AlertPolicy(alert, schedule: config.schedule), on: row, holding: holding)
        }
        let off = score(1)
        guard off.episodes > 0 else { return [] }
        var lines = ["\(offName):  \(PolicyGrid.describe(off))"]
        let own = level(config.alert)
        let ownScore = own < 1 ? score(own) : off
        if own < 1 {
            lines.append("with the config's level:  \(PolicyGrid.describe(ownScore))  [\(line(own))]")
        }
        let scores = SideBySide.map(levels, score)
        // Ties go to fewer false alarms, then to the lowest level: the one that warns most.
        guard let best = EpisodeScore.nettingMost(Array(zip(levels, scores))), best.1.net > off.net else {
            // Where the config's level nets less than none, the line to copy turns it off.
            return lines + [noneNetsMore + (ownScore.net < off.net ? "  [\(line(1))]" : "")]
        }
        lines.append("\(suggestionName):  \(PolicyGrid.describe(best.1))  [\(line(best.0))]")
        let close = zip(levels, scores).filter { $0.1.net >= best.1.net - 1 }.map(\.0)
        lines.append("levels that net within 1 of it: \(close.map(\.formatted2).joined(separator: ", "))")
        return lines
    }

    func line(_ level: Double) -> String {
        "\(key) = \(level.formatted2)"
    }
}
