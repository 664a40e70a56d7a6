import SurgeConfig
import SurgeSampling

/// How the SLO rule went while an alert was open, for the event that resolves it. Every record
/// counts a predicted alert that no breach followed as a false alarm, but an operator needs to
/// tell a warning the host came within a few percent of from one where nothing moved: the
/// first makes the rule's limit (or the fire level) a question to ask, the second says the
/// model was wrong. After a breach the same figures say how bad it got: how many of the
/// alert's ticks broke the rule, and each condition's worst value.
public struct RuleApproach: Sendable, Equatable {
    public struct Reached: Sendable, Equatable {
        public var condition: OverloadCondition
        /// The value that went furthest towards holding: the highest for > and >=, the lowest
        /// for < and <=; nil when the metric was never known while the alert was open.
        public var value: Double?

        public init(condition: OverloadCondition, value: Double?) {
            self.condition = condition
            self.value = value
        }
    }

    /// Every condition of `[overload]`, `any` then `all`.
    public var reached: [Reached]
    /// The most ticks in a row the rule held.
    public var longestRun: Int
    public var forTicks: Int
    /// The alert's ticks seen, and how many of them broke the rule (held `forTicks` in a row):
    /// none for a warning no breach followed.
    public var ticks: Int
    public var brokenTicks: Int
    /// The first tick seen, Unix seconds; later than the alert's firing when a restart lost
    /// the ticks before it.
    public var since: Double
    /// Whether every tick of the alert was seen.
    public var complete: Bool
    /// Why the first ticks were not seen, when they were not: the daemon's window lost them
    /// at a restart, or (read back from the database) their samples are not stored.
    public var unseenBecause = "after a restart"

    public init(reached: [Reached], longestRun: Int, forTicks: Int, ticks: Int, brokenTicks: Int, since: Double, complete: Bool) {
        self.reached = reached
        self.longestRun = longestRun
        self.forTicks = forTicks
        self.ticks = ticks
        self.brokenTicks = brokenTicks
        self.since = since
        self.complete = complete
    }

    /// "SLO rule not broken: psi_cpu_some_avg10 up to 46% (rule > 50%), tcp_listen_overflows_per_s
    /// up to 0/s (rule > 0/s)", with "; it held 2 ticks in a row of the 3 that break it" when
    /// it did; after a breach "SLO rule broken on 6 of the alert's 10 ticks: psi_cpu_some_avg10
    /// up to 66% (rule > 50%), ..."; either with " (seen from …, after a restart)" when the
    /// alert's first ticks were not seen.
    public var text: String {
        let values = reached.map { item in
            let metric = item.condition.metric
            let way = item.condition.breaksUpward ? "up to" : "down to"
            let value = item.value.map { "\(way) \(AlertMessage.value($0, metric))" } ?? "never known"
            return "\(metric) \(value) (rule \(item.condition.limitText))"
        }.joined(separator: ", ")
        var text: String
        if brokenTicks > 0 {
            text = "SLO rule broken on \(brokenTicks) of the alert's \(NumberText.counted(ticks, "tick")): " + values
        } else {
            text = "SLO rule not broken: " + values
            if longestRun > 0 { text += "; it held \(NumberText.counted(longestRun, "tick")) in a row of the \(forTicks) that break it" }
        }
        if !complete { text += " (seen from \(RFC3339.format(since)), \(unseenBecause))" }
        return text
    }

    /// For journald's `SURGE_RULE_APPROACH`:
    /// `{"reached":[{"condition":"psi_cpu_some_avg10 > 50","value":46.2}],"longest_run":0,"for_ticks":1,
    /// "ticks":13,"broken_ticks":0,"since":"2026-12-07T12:12:28Z","complete":true}`.
    public var json: String {
        let items = reached.map { "{\"condition\":\(JSONText.string($0.condition.description)),\"value\":\(JSONText.number($0.value))}" }
        return "{\"reached\":[\(items.joined(separator: ","))],\"longest_run\":\(longestRun),\"for_ticks\":\(forTicks),"
            + "\"ticks\":\(ticks),\"broken_ticks\":\(brokenTicks),\"since\":\(JSONText.string(RFC3339.format(since))),\"complete\":\(complete)}"
    }
}

/// Follows the rule's metrics over an open alert's ticks, its escalation included (DetectionPipeline).
struct RuleApproachTracker {
    private let conditions: [OverloadCondition]
    private let columns: [Int?]
    private let forTicks: Int
    private var reached: [Double?]
    private var longestRun = 0
    private var ticks = 0
    private var brokenTicks = 0
    private var since: Double?

    init(_ overload: SurgeConfig.Overload, schema: MetricSchema) {
        conditions = overload.any + overload.all
        columns = conditions.map { schema.index(of: $0.metric) }
        forTicks = overload.forTicks
        reached = Array(repeating: nil, count: conditions.count)
    }

    /// A new alert: nothing seen yet.
    mutating func reset() {
        reached = Array(repeating: nil, count: conditions.count)
        longestRun = 0
        ticks = 0
        brokenTicks = 0
        since = nil
    }

    /// One tick of the open alert; `run`: the ticks in a row the rule has held up to it, those
    /// before the alert fired included (`WindowLabeller.ruleRun`).
    mutating func add(_ sample: Sample, run: Int) {
        if since == nil { since = sample.timestamp }
        for (index, (condition, column)) in zip(conditions, columns).enumerated() {
            guard let column, !sample.values[column].isNaN else { continue }
            let value = sample.values[column]
            reached[index] = reached[index].map { condition.breaksUpward ? max($0, value) : min($0, value) } ?? value
        }
        longestRun = max(longestRun, run)
        ticks += 1
        if run >= forTicks { brokenTicks += 1 }
    }

    /// What was seen since the alert fired at `firedAt` (nil: no tick seen).
    func approach(firedAt: Double, tickSeconds: Double) -> RuleApproach? {
        guard let since else { return nil }
        return RuleApproach(reached: zip(conditions, reached).map { RuleApproach.Reached(condition: $0, value: $1) },
                            longestRun: longestRun, forTicks: forTicks, ticks: ticks, brokenTicks: brokenTicks, since: since,
                            complete: since <= firedAt + tickSeconds / 2)
    }
}

extension OverloadCondition {
    /// Whether the condition holds above its threshold (> and >=): the value it reached is the
    /// highest seen, else the lowest.
    var breaksUpward: Bool { comparison == .greater || comparison == .greaterOrEqual }

    /// "> 50%": the operator and the threshold in the metric's units, as alerts write values.
    var limitText: String { "\(comparison.rawValue) \(AlertMessage.value(threshold, metric))" }
}

extension RuleApproach {
    /// How the rule went from `from` to `to` (an alert's first and last tick open), read from
    /// stored samples: `times` in order, `columns` the values of `schema`'s metrics at each
    /// (NaN: missing). The rule is followed from up to `for_ticks` − 1 ticks before, so a run
    /// that began before the alert counts whole, as the daemon counts it. Nil with no sample
    /// in the span.
    public static func over(_ overload: SurgeConfig.Overload, schema: MetricSchema, times: [Double], columns: [[Double]],
                            from: Double, to: Double, tickSeconds: Double) -> RuleApproach? {
        var first = lowerBound(times, from)
        guard first < times.count, times[first] <= to else { return nil }
        let inSpan = first
        // Back over the ticks just before it, while they follow one another.
        while first > 0, inSpan - first < overload.forTicks - 1, times[first] - times[first - 1] <= 1.5 * tickSeconds { first -= 1 }
        var rule = OverloadRule(overload, schema: schema)
        var tracker = RuleApproachTracker(overload, schema: schema)
        var index = first
        while index < times.count, times[index] <= to {
            let sample = Sample(timestamp: times[index], tick: index + 1, schema: schema, values: columns.map { $0[index] })
            _ = rule.label(sample)
            if index >= inSpan { tracker.add(sample, run: rule.run) }
            index += 1
        }
        var approach = tracker.approach(firedAt: from, tickSeconds: tickSeconds)
        approach?.unseenBecause = "the samples before not stored"
        return approach
    }

    /// The first index whose time is at or after `time`.
    private static func lowerBound(_ times: [Double], _ time: Double) -> Int {
        var (low, high) = (0, times.count)
        while low < high {
            let middle = (low + high) / 2
            if times[middle] < time { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
