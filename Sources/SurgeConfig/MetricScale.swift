import SurgeSampling

/// What a metric's number means, read from its name as CONTRACTS.md names metrics: a fraction
/// from 0 to 1 (`cpu_busy`, any `_ratio`), a percent from 0 to 100 (PSI), up or down (`_up`: 1
/// or 0), a time in milliseconds (`_ms`) or seconds (`_seconds`), or a number of its own. A rule is written in the
/// metric's own unit; this is what lets a message say how, when it was written otherwise.
public enum MetricScale: Equatable, Sendable {
    case fraction, percent, flag, milliseconds, seconds, other

    public init(of metric: String) {
        if Self.fractions.contains(metric) || metric.hasSuffix("_ratio") {
            self = .fraction
        } else if metric.hasSuffix("_up") {
            self = .flag
        } else if metric.hasPrefix("psi_") || metric.contains("_psi_") {
            self = .percent
        } else if metric.hasSuffix("_ms") {
            self = .milliseconds
        } else if metric.hasSuffix("_seconds") {
            self = .seconds
        } else {
            self = .other
        }
    }

    /// The CPU's shares are fractions without saying so in their names.
    private static let fractions: Set<String> = [HostMetric.cpuBusy, .cpuIowait, .cpuSteal].reduce(into: []) { $0.insert($1.rawValue) }

    /// Every value the metric can take. A `_ratio` is 0 to 1 by Prometheus' naming convention,
    /// which the daemon's own ratios keep (the listen queue's is capped at 1).
    public var range: ClosedRange<Double>? {
        switch self {
        case .fraction, .flag: 0...1
        case .percent: 0...100
        case .milliseconds, .seconds, .other: nil
        }
    }

    /// Whether the daemon computes the metric itself, so that its range is known rather than
    /// read from a convention: the host's metrics, a probe's `probe_up`, a cgroup's PSI. A
    /// Prometheus query's `_ratio` is named by whoever wrote it, who may mean CPU cores
    /// (`rate(process_cpu_seconds_total)` runs past 1).
    public static func isComputedHere(_ metric: String) -> Bool {
        HostMetric(rawValue: metric) != nil
            || (ApplicationMetric.probe + ApplicationMetric.cgroup).contains { metric == $0 || metric.hasSuffix("_" + $0) }
    }

    /// What is wrong with a condition that cannot tell one tick from another: it holds on no
    /// value the metric can take, or on every one (`cpu_busy > 60`, meant as 60 %, never holds;
    /// no labels would ever come). Nil when it can go either way.
    public static func vacuity(of condition: OverloadCondition) -> String? {
        let scale = MetricScale(of: condition.metric)
        guard let range = scale.range else { return nil }
        let low = condition.comparison.holds(range.lowerBound, condition.threshold)
        let high = condition.comparison.holds(range.upperBound, condition.threshold)
        // Every comparison is monotonic, so the two ends decide the whole range.
        guard low == high else { return nil }
        let verdict = "\"\(condition)\" \(low ? "holds on every tick" : "can never hold")"
        // A metric named by the config's author keeps to its name's range only by convention.
        var problem = isComputedHere(condition.metric)
            ? "\(verdict): \(condition.metric) \(scale.runs)" : "\(verdict) if \(condition.metric) \(scale.runs), as its name says"
        // A whole percent written where a fraction is read, the likeliest slip.
        if scale == .fraction, condition.threshold > 1, condition.threshold <= 100, condition.threshold == condition.threshold.rounded() {
            problem += "; \(OverloadCondition.written(condition.threshold)) % is \(OverloadCondition.written(condition.threshold / 100))"
        }
        return problem
    }

    /// A threshold written with a unit (`1s`, `250ms`, `1%`): what to write instead, in the
    /// metric's own unit. Nil when the text is not a number with a unit.
    public static func unitAdvice(_ text: String, for metric: String) -> String? {
        let scale = MetricScale(of: metric)
        if text.hasSuffix("%"), let percent = Double(text.dropLast()), percent.isFinite {
            switch scale {
            case .fraction: return "\(metric) \(scale.runs): write \(OverloadCondition.written(percent / 100)) for \(text)"
            case .percent: return "\(metric) \(scale.runs): write \(OverloadCondition.written(percent))"
            default: return "write the number alone, in \(metric)'s own unit"
            }
        }
        guard text.first.map({ $0.isNumber || $0 == "." }) == true, let duration = DurationText.parse(text) else { return nil }
        switch scale {
        case .milliseconds: return "\(metric) counts milliseconds: write \(OverloadCondition.written(duration.seconds * 1000)) for \(text)"
        case .seconds: return "\(metric) counts seconds: write \(OverloadCondition.written(duration.seconds)) for \(text)"
        default: return "write the number alone, in \(metric)'s own unit"
        }
    }

    private var runs: String {
        switch self {
        case .fraction: "runs from 0 to 1"
        case .percent: "is a percent, from 0 to 100"
        case .flag: "is 1 (up) or 0 (down)"
        case .milliseconds, .seconds, .other: ""
        }
    }
}
