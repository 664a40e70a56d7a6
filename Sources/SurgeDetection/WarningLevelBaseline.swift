import SurgeConfig

/// The warning level a Prometheus user would write beside the SLO rule: the same condition at a
/// fraction of its limit (`psi_cpu_some_avg10 > 50` breaks the SLO, `>= 40` warns). For `>`
/// and `>=` a fraction f of the limit, for `<` and `<=` the limit raised by (1 − f); limits of
/// 0 or below have no such level (`tcp_listen_overflows_per_s > 0` has nothing under it) and
/// are skipped. Each `any` condition is tried alone; the `all` conditions together, at one f.
enum WarningLevelBaseline {
    /// Calls `visit` with each candidate's description and warnings: one per fraction
    /// 0.10 ... 0.99 and per condition group that has a level (one at a time, so a long trace
    /// does not hold 180 warning series at once).
    static func forEachCandidate(trace: Trace, overload: SurgeConfig.Overload, _ visit: (String, [Bool]) -> Void) {
        var groups = overload.any.map { [$0] }
        if !overload.all.isEmpty { groups.append(overload.all) }
        for group in groups where group.allSatisfy({ $0.threshold > 0 }) {
            let columns = group.map { trace.column($0.metric) }
            guard columns.allSatisfy({ $0 != nil }) else { continue }
            for percent in 10...99 {
                let fraction = Double(percent) / 100
                let levels = group.map { warningCondition($0, fraction: fraction) }
                let warn = (0..<trace.count).map { row in
                    zip(levels, columns).allSatisfy { level, column in
                        let value = column![row]
                        return value.isFinite && level.comparison.holds(value, level.threshold)
                    }
                }
                let text = levels.map { "\($0.metric) \($0.comparison.rawValue) \($0.threshold.formatted2)" }.joined(separator: " and ")
                visit("\(text) (\(fraction.formatted2) of the limit)", warn)
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
