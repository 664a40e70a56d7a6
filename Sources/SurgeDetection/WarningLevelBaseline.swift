import SurgeConfig

/// The warning level a Prometheus user would write beside the SLO rule: the same condition at a
/// fraction of its limit (`psi_cpu_some_avg10 > 50` breaks the SLO, `>= 40` warns). For `>`
/// and `>=` a fraction f of the limit, for `<` and `<=` the limit raised by (1 − f); limits of
/// 0 or below have no such level (`tcp_listen_overflows_per_s > 0` has nothing under it) and
/// are skipped. Each `any` condition is tried alone; the `all` conditions together, at one f.
enum WarningLevelBaseline {
    /// Calls `visit` with each candidate: one per fraction 0.10 ... 0.99 and per condition
    /// group that has a level, alone and held at each of `Baselines.bands` of that fraction
    /// (one at a time, so a long trace does not hold a thousand warning series at once).
    static func forEachCandidate(trace: Trace, overload: SurgeConfig.Overload, _ visit: (Baselines.Candidate) -> Void) {
        var groups = overload.any.map { [$0] }
        if !overload.all.isEmpty { groups.append(overload.all) }
        for group in groups where group.allSatisfy({ $0.threshold > 0 }) {
            let columns = group.compactMap { trace.column($0.metric) }
            guard columns.count == group.count else { continue }
            func levels(_ fraction: Double) -> (text: String, series: [Bool]) {
                let levels = group.map { warningCondition($0, fraction: fraction) }
                let series = (0..<trace.count).map { row in
                    zip(levels, columns).allSatisfy { level, column in
                        let value = column[row]
                        return value.isFinite && level.comparison.holds(value, level.threshold)
                    }
                }
                return (levels.map { "\($0.metric) \($0.comparison.rawValue) \($0.threshold.formatted2)" }.joined(separator: " and "), series)
            }
            for percent in 10...99 {
                let fraction = Double(percent) / 100
                let warn = levels(fraction)
                let detail = "\(warn.text) (\(fraction.formatted2) of the limit)"
                visit(Baselines.Candidate(detail: detail, warn: warn.series))
                for band in Baselines.bands {
                    let hold = levels(fraction * band)
                    visit(Baselines.Candidate(detail: "\(detail), held while \(hold.text)", warn: warn.series, hold: hold.series))
                }
            }
        }
    }

    static func warningCondition(_ condition: OverloadCondition, fraction: Double) -> OverloadCondition {
        var level = condition
        switch condition.comparison {
        case .greater, .greaterOrEqual:
            level.comparison = .greaterOrEqual
            level.threshold = condition.threshold * fraction
        case .less, .lessOrEqual:
            level.comparison = .lessOrEqual
            level.threshold = condition.threshold * (2 - fraction)
        }
        return level
    }
}
