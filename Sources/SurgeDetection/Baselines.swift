import SurgeConfig
import SurgeSampling

/// The alerting a shop could have without surgewatch, scored on the same trace with the same
/// hysteresis (`alertSeries`), each also alerting on the SLO rule itself:
/// - `reactive`: the SLO rule alone (Alertmanager on the SLO): it can never warn early;
/// - `cpu threshold`: warn when cpu_busy ≥ θ, θ one of 0.05 ... 0.99; alone, or with a
///   resolve band: the alert, once open, holds while cpu_busy ≥ b·θ (b one of `bands`), as
///   surgewatch's holds while p ≥ resolve_probability;
/// - `listen queue`: warn when the fullest accept queue (tcp_listen_queue_ratio) is ≥ θ full,
///   θ one of 0.01 ... 0.99: the queue fills before it overflows, and the built-in model reads
///   it, so a static threshold on it is the peer to beat; with the same resolve bands;
/// - `warning level`: the rule's own condition at a fraction of its limit (e.g. CPU pressure
///   ≥ 40 beside the rule's > 50), the warning a Prometheus user writes beside the critical
///   rule; the fraction one of 0.10 ... 0.99 (`WarningLevelBaseline`), with the same bands;
/// - `holt`: Holt's linear-trend forecast of every metric the rule reads, H ticks ahead, warns
///   when the rule holds on the forecast; smoothing constants from a small grid.
/// Each family's setting is the best *on the scored trace itself* (hindsight no operator has,
/// so the comparison favours the baselines) and, given a tuning trace, also the best on that
/// one (what an operator could have set in advance, as surgewatch's policy is). "Best"
/// maximises early-caught episodes minus false alarms.
public enum Baselines {
    public struct Result: Sendable {
        public var name: String
        public var detail: String
        public var score: EpisodeScore
        /// Where the setting was chosen: nil on the scored trace itself, else the tuning trace's name.
        public var chosenOn: String?
    }

    /// An earlier trace to choose the baselines' settings on, with its labels.
    public struct Tuning: Sendable {
        public var name: String
        public var trace: Trace
        public var labels: [Bool?]

        /// Labels from the rule alone (the tuning trace is not replayed through a model).
        public init(name: String, trace: Trace, overload: SurgeConfig.Overload) {
            self.name = name
            self.trace = trace
            var rule = OverloadRule(overload, schema: trace.schema)
            labels = (0..<trace.count).map { rule.label(trace.sample($0)) }
        }
    }

    /// A baseline's setting: its description and, per tick, whether it warns and whether an
    /// open alert holds (`hold` nil: it holds only while it warns).
    struct Candidate: Sendable {
        var detail: String
        var warn: [Bool]
        var hold: [Bool]?
    }

    /// Resolve bands, as fractions of the firing level: once open, a threshold alert holds
    /// while the metric stays at or above band × threshold. Without them the comparison gave
    /// surgewatch a band (resolve_probability) and the thresholds none, and a band is worth more
    /// to a threshold on a metric that hovers near it than to the model (BENCHMARKS.md,
    /// session 13).
    static let bands = [0.9, 0.8, 0.7, 0.6, 0.5]

    /// A threshold candidate on `column` alone and with each resolve band.
    static func thresholdCandidates(name: String, column: [Double], threshold: Double, _ visit: (Candidate) -> Void) {
        let warn = column.map { $0 >= threshold }
        visit(Candidate(detail: "\(name) >= \(threshold.formatted2)", warn: warn))
        for band in bands {
            let floor = threshold * band
            visit(Candidate(detail: "\(name) >= \(threshold.formatted2), held while >= \(floor.formatted2)",
                            warn: warn, hold: column.map { $0 >= floor }))
        }
    }

    enum Family: CaseIterable {
        case cpuThreshold, listenQueue, warningLevel, holt

        var name: String {
            switch self {
            case .cpuThreshold: "cpu threshold"
            case .listenQueue: "listen queue"
            case .warningLevel: "warning level"
            case .holt: "holt forecast"
            }
        }

        /// Each setting's description (the same text on every trace, so a choice carries over)
        /// and its warnings on `trace`.
        func forEachCandidate(trace: Trace, overload: SurgeConfig.Overload, horizon: Int, _ visit: (Candidate) -> Void) {
            switch self {
            case .cpuThreshold:
                guard let cpu = trace.column("cpu_busy") else { return }
                for step in 1...95 {
                    thresholdCandidates(name: "cpu_busy", column: cpu, threshold: 0.04 + Double(step) * 0.01, visit)
                }
            case .listenQueue:
                guard let queue = trace.column("tcp_listen_queue_ratio") else { return }
                for threshold in [0.01, 0.02, 0.03, 0.04] + (5...99).map({ Double($0) / 100 }) {
                    thresholdCandidates(name: "tcp_listen_queue_ratio", column: queue, threshold: threshold, visit)
                }
            case .warningLevel:
                WarningLevelBaseline.forEachCandidate(trace: trace, overload: overload, visit)
            case .holt:
                for alpha in [0.2, 0.5, 0.8] {
                    for beta in [0.1, 0.3, 0.5] {
                        visit(Candidate(detail: "alpha \(alpha), beta \(beta), \(max(horizon, 1)) ticks ahead",
                                        warn: Baselines.holtWarnings(trace: trace, overload: overload, horizon: max(horizon, 1), alpha: alpha, beta: beta)))
                    }
                }
            }
        }
    }

    public static func all(trace: Trace, labels: [Bool?], overload: SurgeConfig.Overload, horizon: Int,
                           fireAfter: Int, resolveAfter: Int, tuning: Tuning? = nil) -> [Result] {
        let scored: @Sendable (_ warn: [Bool], _ hold: [Bool]?, _ trace: Trace, _ labels: [Bool?]) -> EpisodeScore = { warn, hold, trace, labels in
            EpisodeScore.score(timestamps: trace.timestamps, labels: labels,
                               alerting: alertSeries(warn: warn, hold: hold, labels: labels, fireAfter: fireAfter, resolveAfter: resolveAfter),
                               horizon: horizon, mergeGap: resolveAfter)
        }
        func best(_ family: Family, on trace: Trace, _ labels: [Bool?]) -> (detail: String, score: EpisodeScore)? {
            var best: (detail: String, score: EpisodeScore)?
            forEachScored(family, on: trace, labels) { candidate, score in
                if best == nil || better(score, than: best!.score) { best = (candidate.detail, score) }
            }
            return best
        }
        /// The family's candidates with their scores, in the family's order, scored a batch at
        /// a time on every core: scoring is most of `replay`'s summary, and each candidate's
        /// score depends on it alone, so the choices are those of one thread.
        func forEachScored(_ family: Family, on trace: Trace, _ labels: [Bool?], _ visit: (Candidate, EpisodeScore) -> Void) {
            var batch: [Candidate] = []
            let score: @Sendable (Candidate) -> EpisodeScore = { scored($0.warn, $0.hold, trace, labels) }
            func flush() {
                let scores = SideBySide.map(batch, score)
                for (candidate, score) in zip(batch, scores) { visit(candidate, score) }
                batch.removeAll(keepingCapacity: true)
            }
            family.forEachCandidate(trace: trace, overload: overload, horizon: horizon) { candidate in
                batch.append(candidate)
                if batch.count == scoringBatch { flush() }
            }
            flush()
        }
        var results = [Result(name: "reactive rule", detail: "the [overload] rule alone",
                              score: scored([Bool](repeating: false, count: trace.count), nil, trace, labels))]
        for family in Family.allCases {
            // One pass over this trace's candidates finds the hindsight best and scores the
            // setting chosen on the tuning trace.
            let chosen = tuning.flatMap { best(family, on: $0.trace, $0.labels)?.detail }
            var hindsight: (detail: String, score: EpisodeScore)?
            var inAdvance: EpisodeScore?
            forEachScored(family, on: trace, labels) { candidate, score in
                if hindsight == nil || better(score, than: hindsight!.score) { hindsight = (candidate.detail, score) }
                if candidate.detail == chosen { inAdvance = score }
            }
            if let hindsight {
                results.append(Result(name: family.name, detail: hindsight.detail, score: hindsight.score))
            }
            if let tuning, let chosen, let inAdvance {
                results.append(Result(name: family.name, detail: "\(chosen), chosen on \(tuning.name)", score: inAdvance,
                                      chosenOn: tuning.name))
            }
        }
        return results
    }

    /// Candidates scored together: a threshold with its resolve bands (6), twice, so that two
    /// cores each get a share and a batch's warning series stay few.
    static let scoringBatch = 12

    static func better(_ a: EpisodeScore, than b: EpisodeScore) -> Bool {
        let (x, y) = (a.caughtEarly - a.falseAlarms, b.caughtEarly - b.falseAlarms)
        return x != y ? x > y : a.falseAlarms < b.falseAlarms
    }

    /// Per tick: does the rule hold on the Holt forecast `horizon` ticks ahead? Missing values
    /// leave the forecast where it was.
    static func holtWarnings(trace: Trace, overload: SurgeConfig.Overload, horizon: Int, alpha: Double, beta: Double) -> [Bool] {
        let metrics = overload.metrics
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
