import SurgeConfig
import SurgeSampling

/// The alerting a shop could have without surgewatch, scored on the same trace with the same
/// hysteresis (`alertSeries`), each also alerting on the SLO rule itself:
/// - `reactive`: the SLO rule alone (Alertmanager on the SLO): it can never warn early;
/// - `cpu threshold`: warn when cpu_busy ≥ θ; θ is the best of 0.05 ... 0.99 *on this trace*
///   (hindsight the baseline could not have in production, so the comparison favours it);
/// - `warning level`: the rule's own condition at a fraction of its limit (e.g. CPU pressure
///   ≥ 40 beside the rule's > 50), the warning a Prometheus user writes beside the critical
///   rule; the fraction the best of 0.10 ... 0.99 on this trace (`WarningLevelBaseline`);
/// - `holt`: Holt's linear-trend forecast of every metric the rule reads, H ticks ahead, warns
///   when the rule holds on the forecast; smoothing constants the best of a small grid, also
///   chosen on this trace.
/// "Best" maximises early-caught episodes minus false alarms.
public enum Baselines {
    public struct Result: Sendable {
        public var name: String
        public var detail: String
        public var score: EpisodeScore
    }

    public static func all(trace: Trace, labels: [Bool?], overload: SurgeConfig.Overload, horizon: Int,
                           fireAfter: Int, resolveAfter: Int) -> [Result] {
        func scored(_ warn: [Bool]) -> EpisodeScore {
            EpisodeScore.score(timestamps: trace.timestamps, labels: labels,
                               alerting: alertSeries(warn: warn, labels: labels, fireAfter: fireAfter, resolveAfter: resolveAfter),
                               horizon: horizon, mergeGap: resolveAfter)
        }
        func better(_ a: EpisodeScore, than b: EpisodeScore) -> Bool {
            let (x, y) = (a.caughtEarly - a.falseAlarms, b.caughtEarly - b.falseAlarms)
            return x != y ? x > y : a.falseAlarms < b.falseAlarms
        }
        var results = [Result(name: "reactive rule", detail: "the [overload] rule alone",
                              score: scored([Bool](repeating: false, count: trace.count)))]

        if let cpu = trace.column("cpu_busy") {
            var best: (threshold: Double, score: EpisodeScore)?
            for step in 1...95 {
                let threshold = 0.04 + Double(step) * 0.01
                let score = scored(cpu.map { $0 >= threshold })
                if best == nil || better(score, than: best!.score) { best = (threshold, score) }
            }
            results.append(Result(name: "cpu threshold", detail: "cpu_busy >= \(best!.threshold.formatted2)", score: best!.score))
        }

        var bestLevel: (detail: String, score: EpisodeScore)?
        WarningLevelBaseline.forEachCandidate(trace: trace, overload: overload) { detail, warn in
            let score = scored(warn)
            if bestLevel == nil || better(score, than: bestLevel!.score) { bestLevel = (detail, score) }
        }
        if let bestLevel {
            results.append(Result(name: "warning level", detail: bestLevel.detail, score: bestLevel.score))
        }

        var bestHolt: (alpha: Double, beta: Double, score: EpisodeScore)?
        for alpha in [0.2, 0.5, 0.8] {
            for beta in [0.1, 0.3, 0.5] {
                let warn = holtWarnings(trace: trace, overload: overload, horizon: max(horizon, 1), alpha: alpha, beta: beta)
                let score = scored(warn)
                if bestHolt == nil || better(score, than: bestHolt!.score) { bestHolt = (alpha, beta, score) }
            }
        }
        if let bestHolt {
            results.append(Result(name: "holt forecast", detail: "alpha \(bestHolt.alpha), beta \(bestHolt.beta), \(max(horizon, 1)) ticks ahead",
                                  score: bestHolt.score))
        }
        return results
    }

    /// Per tick: does the rule hold on the Holt forecast `horizon` ticks ahead? Missing values
    /// leave the forecast where it was.
    static func holtWarnings(trace: Trace, overload: SurgeConfig.Overload, horizon: Int, alpha: Double, beta: Double) -> [Bool] {
        let metrics = Array(Set((overload.any + overload.all).map(\.metric))).sorted()
        let schema = MetricSchema(metrics)
        let rule = OverloadRule(overload, schema: schema)
        let columns = metrics.map { trace.schema.index(of: $0) }
        var level = [Double](repeating: .nan, count: metrics.count)
        var trend = [Double](repeating: 0, count: metrics.count)
        var warn = [Bool](repeating: false, count: trace.count)
        var forecast = [Double](repeating: .nan, count: metrics.count)
        for row in 0..<trace.count {
            for (index, column) in columns.enumerated() {
                guard let column else { continue }
                let value = trace.value(row: row, column: column)
                guard value.isFinite else { continue }
                if level[index].isNaN {
                    level[index] = value
                } else {
                    let previous = level[index]
                    level[index] = alpha * value + (1 - alpha) * (previous + trend[index])
                    trend[index] = beta * (level[index] - previous) + (1 - beta) * trend[index]
                }
                forecast[index] = level[index] + Double(horizon) * trend[index]
            }
            let sample = Sample(timestamp: trace.timestamps[row], tick: row + 1, schema: schema, values: forecast)
            warn[row] = rule.holdsNow(sample) == true
        }
        return warn
    }
}

extension Double {
    var formatted2: String {
        let scaled = (self * 100).rounded()
        return "\(Int(scaled) / 100).\(String(repeating: "0", count: Int(scaled) % 100 < 10 ? 1 : 0))\(Int(scaled) % 100)"
    }
}
