/// Evaluates a fixed list of queries over successive scrapes of one endpoint. It keeps the
/// previous scrape's values of the series the queries read, so rates and quantiles cover exactly
/// the time between two scrapes. A value it cannot know is nil, never zero: a metric absent from
/// the scrape, the first scrape (no previous one), a counter that went backwards (restart of the
/// exporter: the increase is unknowable, as for kernel counters), no observations in a histogram,
/// a division by zero, a non-finite result. Where none means zero, the query says so with
/// `or 0`: client libraries make a labelled series at its first count, so a shop that has not
/// answered a 5xx since it started has no `code="500"` series (`findings` tell the log).
public struct PrometheusQueryEvaluator: Sendable {
    public let queries: [PrometheusQuery]
    /// The metric names worth decoding in a scrape: everything else is skipped while parsing.
    public let seriesNames: Set<String>
    /// The same names as bytes: a scrape's lines are matched against them without decoding.
    private let seriesNameBytes: [[UInt8]]
    private var previous: Snapshot?
    /// Every selector the queries read (a histogram's as its `_bucket` series), once each.
    private let selectors: [SeriesSelector]
    /// What the last scrape said of the selectors beyond their values.
    public private(set) var findings: [SelectorFinding] = []

    /// Series values by metric name, then by label set, at one moment.
    struct Snapshot: Sendable {
        var seconds: Double
        var values: [String: [String: Double]]
    }

    public init(queries: [PrometheusQuery]) {
        self.queries = queries
        seriesNames = queries.reduce(into: Set<String>()) { $0.formUnion($1.seriesNames) }
        seriesNameBytes = seriesNames.map { Array($0.utf8) }
        var selectors: [SeriesSelector] = []
        for selector in queries.flatMap(\.selectors) where !selectors.contains(selector) { selectors.append(selector) }
        self.selectors = selectors
    }

    /// Decodes only the series the queries read.
    public func parse(_ body: [UInt8]) throws(PrometheusParseError) -> PrometheusExposition {
        try PrometheusExposition.parse(body) { name in
            seriesNameBytes.contains { $0.count == name.count && $0.elementsEqual(name) }
        }
    }

    /// One value per query, in order (NaN where missing), from a scrape taken at `seconds` on a
    /// monotonic clock. The scrape becomes the baseline of the next call.
    public mutating func evaluate(_ scrape: PrometheusExposition, at seconds: Double) -> [Double] {
        var byName: [String: [PrometheusSample]] = [:]
        for sample in scrape.samples where seriesNames.contains(sample.name) {
            byName[sample.name, default: []].append(sample)
        }
        let context = Context(current: byName, previous: previous, seconds: seconds)
        let values = queries.map { query in
            guard let value = context.value(of: query), value.isFinite else { return Double.nan }
            return value
        }
        var snapshot = Snapshot(seconds: seconds, values: [:])
        for (name, samples) in byName {
            var series: [String: Double] = [:]
            for sample in samples { series[Self.seriesKey(sample)] = sample.value }
            snapshot.values[name] = series
        }
        previous = snapshot
        let before = findings
        findings = selectors.compactMap { selector in
            guard let family = byName[selector.name] else { return .absentName(selector.name) }
            guard !family.contains(where: selector.matches) else { return nil }
            // A healthy shop's 5xx selector matches nothing tick after tick: its labels are
            // gathered once, not from every series of the page at every tick.
            for case .unmatched(let earlier, let labels) in before where earlier == selector { return .unmatched(selector, labels: labels) }
            let labels = Set(family.flatMap { $0.labels.map(\.name) }).subtracting(["le"]).sorted()
            return .unmatched(selector, labels: labels)
        }
        return values
    }

    /// Identifies a series across scrapes whatever the order its labels are printed in.
    static func seriesKey(_ sample: PrometheusSample) -> String {
        sample.labels.sorted { $0.name < $1.name }.map { "\($0.name)=\($0.value)" }.joined(separator: "\u{0}")
    }

    private struct Context {
        let current: [String: [PrometheusSample]]
        let previous: Snapshot?
        let seconds: Double

        func value(of query: PrometheusQuery) -> Double? {
            switch query {
            case .number(let number):
                return number
            case .gauge(let selector):
                let matching = (current[selector.name] ?? []).filter(selector.matches)
                guard !matching.isEmpty else { return nil }
                return matching.reduce(0) { $0 + $1.value }
            case .rate(let selector):
                guard let previous, seconds > previous.seconds,
                      let increase = increases(of: selector.name, selector).map({ $0.reduce(0) { $0 + $1.increase } })
                else { return nil }
                return increase / (seconds - previous.seconds)
            case .histogramQuantile(let phi, let selector):
                guard let increases = increases(of: selector.name + "_bucket", selector) else { return nil }
                var buckets: [Double: Double] = [:]
                for (sample, increase) in increases {
                    guard let bound = sample.label("le").flatMap(Self.bucketBound) else { return nil }
                    buckets[bound, default: 0] += increase
                }
                return PrometheusQueryEvaluator.bucketQuantile(phi, buckets: buckets.sorted { $0.key < $1.key })
            case .ratio(let numerator, let denominator):
                guard let top = value(of: numerator), let bottom = value(of: denominator), bottom != 0 else { return nil }
                return top / bottom
            case .binary(let op, let left, let right):
                if op == .or { return value(of: left) ?? value(of: right) }
                guard let a = value(of: left), let b = value(of: right) else { return nil }
                switch op {
                case .add: return a + b
                case .subtract: return a - b
                case .multiply: return a * b
                case .divide: return b == 0 ? nil : a / b
                case .or: return a
                }
            }
        }

        /// The increase since the previous scrape of every matching series present in both.
        /// nil when none is, or when one went backwards (a reset hides how much it grew).
        func increases(of name: String, _ selector: SeriesSelector) -> [(sample: PrometheusSample, increase: Double)]? {
            guard let before = previous?.values[name] else { return nil }
            var result: [(PrometheusSample, Double)] = []
            for sample in current[name] ?? [] where selector.matches(sample) {
                guard let old = before[PrometheusQueryEvaluator.seriesKey(sample)] else { continue }
                guard sample.value >= old else { return nil }
                result.append((sample, sample.value - old))
            }
            return result.isEmpty ? nil : result
        }

        static func bucketBound(_ text: String) -> Double? {
            text == "+Inf" ? .infinity : Double(text)
        }
    }

    /// Prometheus' bucketQuantile: linear interpolation inside the bucket that holds the
    /// rank; a rank in the +Inf bucket gives the highest finite bound. Cumulative counts that
    /// dip (buckets scraped while being updated) are raised to stay monotonic.
    static func bucketQuantile(_ phi: Double, buckets: [(key: Double, value: Double)]) -> Double? {
        guard buckets.count >= 2, buckets.last!.key == .infinity else { return nil }
        var counts = buckets.map(\.value)
        for index in counts.indices.dropFirst() { counts[index] = max(counts[index], counts[index - 1]) }
        let total = counts.last!
        guard total > 0 else { return nil }
        let rank = phi * total
        let index = counts.firstIndex { $0 >= rank } ?? counts.count - 1
        if index == counts.count - 1 { return buckets[index - 1].key }
        let upper = buckets[index].key
        if index == 0, upper <= 0 { return upper }
        let lower = index == 0 ? 0 : buckets[index - 1].key
        let countBefore = index == 0 ? 0 : counts[index - 1]
        let inBucket = counts[index] - countBefore
        guard inBucket > 0 else { return lower }
        return lower + (upper - lower) * (rank - countBefore) / inBucket
    }
}

/// What a scrape showed of one selector beyond its value, for the log: a typo in a metric's
/// or a label's name otherwise reads as a value missing, or as no errors at all.
public enum SelectorFinding: Sendable, Equatable, CustomStringConvertible {
    /// No line of the scrape carries this metric name.
    case absentName(String)
    /// The metric is there, but none of its series matches; `labels`: the label names its
    /// series carry (bar a histogram's `le`).
    case unmatched(SeriesSelector, labels: [String])

    /// Which selector and what of it, without the labels seen: one key per thing to say.
    public var description: String {
        switch self {
        case .absentName(let name): return "absent \(name)"
        case .unmatched(let selector, _): return "unmatched \(selector.text)"
        }
    }
}
