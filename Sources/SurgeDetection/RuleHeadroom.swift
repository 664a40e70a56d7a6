import SurgeConfig

/// How the SLO rule's own metrics ran against their limits over a span of the host's history
/// (`alerts --record`): the rule decides every figure of the record, and where its limit sits
/// against the host's usual peaks is the first thing to know when choosing it. A limit that
/// busy hours come within a few percent of gives near misses (warnings no breach followed);
/// one they never approach gives a rule that only a collapse breaks.
public struct RuleHeadroom: Sendable, Equatable {
    public struct Condition: Sendable, Equatable {
        public var condition: OverloadCondition
        /// Ticks where the metric was known, and where the condition held on its own.
        public var known: Int
        public var past: Int
        /// The value furthest towards the limit (the highest for > and >=, the lowest for <
        /// and <=), and the 99th and 90th percentiles on that side (the 1st and 10th for < and <=).
        public var extreme: Double?
        public var p99: Double?
        public var p90: Double?
    }

    public let conditions: [Condition]

    /// `values`: each metric the conditions read, its values over the span (NaN: missing).
    public init(_ overload: SurgeConfig.Overload, values: [String: [Double]]) {
        conditions = (overload.any + overload.all).map { condition in
            var known = (values[condition.metric] ?? []).filter { !$0.isNaN }
            known.sort()
            let upward = condition.breaksUpward
            // The nearest-rank percentile on the side the limit is on: p99 above, p1 below.
            func towardLimit(_ share: Double) -> Double? {
                guard !known.isEmpty else { return nil }
                // Rounded, so that 1 − 0.99 is the 0.01 it reads as (not 0.010000000000000009,
                // which ranks one place past).
                let quantile = ((upward ? share : 1 - share) * 1e9).rounded() / 1e9
                let rank = Int((quantile * Double(known.count)).rounded(.up)) - 1
                return known[min(max(rank, 0), known.count - 1)]
            }
            return Condition(condition: condition, known: known.count,
                             past: known.filter { condition.comparison.holds($0, condition.threshold) }.count,
                             extreme: upward ? known.last : known.first, p99: towardLimit(0.99), p90: towardLimit(0.9))
        }
    }

    /// Whether any metric of the rule was known at all (no samples stored: nothing to say).
    public var isEmpty: Bool { conditions.allSatisfy { $0.known == 0 } }

    /// One line a condition: "psi_cpu_some_avg10 > 50%: highest 66%, p99 41%, p90 12%; past
    /// the limit on 24 of 8640 ticks".
    public var lines: [String] {
        conditions.map { item in
            let metric = item.condition.metric
            let head = "\(metric) \(item.condition.limitText): "
            guard let extreme = item.extreme, let p99 = item.p99, let p90 = item.p90 else { return head + "never known" }
            let upward = item.condition.breaksUpward
            return head + "\(upward ? "highest" : "lowest") \(AlertMessage.value(extreme, metric)), "
                + "\(upward ? "p99" : "p1") \(AlertMessage.value(p99, metric)), \(upward ? "p90" : "p10") \(AlertMessage.value(p90, metric)); "
                + "past the limit on \(item.past) of \(NumberText.counted(item.known, "tick"))"
        }
    }

    /// `[{"condition":"psi_cpu_some_avg10 > 50","known_ticks":8640,"past_ticks":24,"extreme":66,"p99":41,"p90":12}]`
    /// (p99 and p90 on the limit's side: the 1st and 10th percentiles for < and <=).
    public var json: String {
        "[" + conditions.map { item in
            "{\"condition\":\(JSONText.string(item.condition.description)),\"known_ticks\":\(item.known),\"past_ticks\":\(item.past),"
                + "\"extreme\":\(JSONText.number(item.extreme)),\"p99\":\(JSONText.number(item.p99)),\"p90\":\(JSONText.number(item.p90))}"
        }.joined(separator: ",") + "]"
    }
}
