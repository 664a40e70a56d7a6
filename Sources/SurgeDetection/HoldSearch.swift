import SurgeConfig
import SurgeSampling

/// Which `[alert] hold` would have served a trace best with the config's policy: for each model
/// feature, holds at its own quantiles on the trace (so no per-metric constant: "cpu_busy >=
/// 0.74" where 0.74 is this trace's 80th percentile), scored like the policy grid. The level is
/// the host's, so it is chosen on its history (`replay --policy-grid` on an earlier trace) and
/// set in `[alert]` for what comes after (BENCHMARKS.md, "A hold chosen on the host's history").
public enum HoldSearch {
    /// Quantiles of each feature tried as hold levels: the top of its range, where a hot spell
    /// sits. Lower levels hold through ordinary busy hours: on the World Cup's training days the
    /// median of CPU pressure (0.88) was "best", holding alerts open for hours so that 174 of
    /// 364 episodes began inside one (BENCHMARKS.md).
    static let quantiles = [0.8, 0.85, 0.9, 0.95, 0.975]

    public static func report(trace: Trace, labels: [Bool?], probabilities: [Double?], config: SurgeConfig) -> [String] {
        let policy = AlertPolicy(config.alert)
        func score(_ holding: [Bool]?) -> EpisodeScore {
            EpisodeScore.score(timestamps: trace.timestamps, labels: labels,
                               alerting: alertSeries(probabilities: probabilities, labels: labels, policy: policy, holding: holding),
                               horizon: config.model.horizonTicks, mergeGap: config.alert.resolveAfter)
        }
        let none = score(nil)
        guard none.episodes > 0 else { return [] }
        var best: (hold: String, score: EpisodeScore)?
        for feature in config.model.features {
            guard let column = trace.column(feature) else { continue }
            let known = column.filter(\.isFinite).sorted()
            guard !known.isEmpty else { continue }
            var tried = Set<Double>()
            for q in quantiles {
                let level = (known[min(known.count - 1, Int(q * Double(known.count)))] * 100).rounded() / 100
                guard tried.insert(level).inserted else { continue }
                let s = score(column.map { $0.isFinite && $0 >= level })
                // By warned episodes minus false alarms: a hold turns fresh warnings into
                // continuing ones by design, so the strict count would never pick one.
                let merit = s.warned - s.falseAlarms, bestMerit = best.map { $0.score.warned - $0.score.falseAlarms } ?? Int.min
                if merit > bestMerit || (merit == bestMerit && s.falseAlarms < best!.score.falseAlarms) {
                    best = ("hold = [\"\(feature) >= \(level.formatted2)\"]", s)
                }
            }
        }
        var lines = ["the config's policy with no hold:  \(PolicyGrid.describe(none))"]
        if let best, best.score.warned - best.score.falseAlarms > none.warned - none.falseAlarms {
            lines.append("with the hold that nets most:  \(PolicyGrid.describe(best.score))  [\(best.hold)]")
        } else {
            lines.append("no hold on a model feature nets more than none")
        }
        return lines
    }
}
