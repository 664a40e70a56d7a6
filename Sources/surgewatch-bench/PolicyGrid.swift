import SurgeConfig
import SurgeDetection

/// Per-tick probabilities scored like `replay`: under the config's alert policy, and under the
/// best policy of a grid (fire threshold × ticks in a row), so predictors with differently
/// calibrated probabilities compare at their own best operating points.
enum PolicyGrid {
    static func report(timestamps: [Double], labels: [Bool?], probabilities: [Double?], config: SurgeConfig) {
        let horizon = config.model.horizonTicks
        func score(_ policy: AlertPolicy) -> EpisodeScore {
            EpisodeScore.score(timestamps: timestamps, labels: labels,
                               alerting: alertSeries(probabilities: probabilities, labels: labels, policy: policy),
                               horizon: horizon, mergeGap: config.alert.resolveAfter)
        }
        let own = AlertPolicy(fireProbability: config.alert.fireProbability, resolveProbability: config.alert.resolveProbability,
                              fireAfter: config.alert.fireAfter, resolveAfter: config.alert.resolveAfter,
                              fireAtOnceProbability: config.alert.fireAtOnceProbability)
        print("  the config's policy:  \(describe(score(own)))")
        var grid: [(policy: String, score: EpisodeScore)] = []
        for fire in [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95] {
            for after in 1...3 {
                let policy = AlertPolicy(fireProbability: fire, resolveProbability: min(config.alert.resolveProbability, fire * 0.6),
                                         fireAfter: after, resolveAfter: config.alert.resolveAfter, fireAtOnceProbability: 1)
                grid.append(("p >= \(fire) for \(after)", score(policy)))
            }
        }
        let net = { (s: EpisodeScore) in Double(s.caughtEarly) - Double(s.falseAlarms) }
        if let best = grid.max(by: { net($0.score) < net($1.score) }) {
            print("  best early - false alarms (\(best.policy)):  \(describe(best.score))")
        }
        let early = grid.filter { $0.score.earlyFraction >= 0.7 }
        if let quietest = early.min(by: { $0.score.falseAlarms < $1.score.falseAlarms }) {
            print("  fewest false alarms at >= 70 % early (\(quietest.policy)):  \(describe(quietest.score))")
        } else {
            print("  no policy of the grid warns 70 % of episodes early")
        }
    }

    static func describe(_ s: EpisodeScore) -> String {
        let percent = Int((s.earlyFraction * 100).rounded())
        let perDay = (s.falseAlarmsPerDay * 100).rounded() / 100
        return "\(s.episodes) episodes, \(s.caughtEarly) early (\(percent) %), \(perDay) false alarms/day, median lead \(Int(s.medianLeadSeconds ?? 0)) s"
    }
}
