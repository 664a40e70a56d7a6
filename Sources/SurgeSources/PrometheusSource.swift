import SurgeSampling
import Synchronization

/// `[[sources.prometheus]]`: scrapes an endpoint each tick and computes the configured queries
/// (`PrometheusQuery`). A failed scrape (down, slow, not 2xx, not the exposition format) makes
/// every metric of the endpoint missing for the tick, and the next rates span the gap.
public final class PrometheusSource: MetricSource {
    public let id: String
    public let metricNames: [String]
    private let fetcher: HTTPFetcher
    private let evaluator: Mutex<PrometheusQueryEvaluator>
    /// Queries that did not parse (the config loader rejects them, so only a caller that skipped
    /// it has any): their metrics stay missing and every read says why.
    private let invalidQueries: [SourceProblem]
    /// The config's metric names that read each series name, for what a finding costs.
    private let readers: [String: [String]]
    /// The selectors some query has no `or` to fall back from (`SeriesSelector.text`).
    private let withoutFallback: Set<String>
    /// Findings said already: each is worth one notice, not one a tick.
    private let noted = Mutex<Set<String>>([])

    /// `metrics` are the config's names and expressions, already validated by the config loader.
    public init(name: String?, url: String, timeout: Duration, options: HTTPRequestOptions = HTTPRequestOptions(),
                metrics: [(name: String, expression: String)]) {
        id = "prometheus \(name ?? url)"
        metricNames = ApplicationMetric.prefixed(metrics.map(\.name), by: name)
        fetcher = HTTPFetcher(url: url, timeout: timeout, maxBodyBytes: 16 << 20,
                              accept: "text/plain;version=0.0.4;q=1.0,*/*;q=0.1", options: options)
        var invalid: [SourceProblem] = []
        let queries = metrics.map { metric -> PrometheusQuery in
            do {
                return try PrometheusQuery.parse(metric.expression)
            } catch {
                invalid.append(SourceProblem(kind: .failure, location: "\(url) \(metric.name)",
                                             message: "\(metric.name) = '\(metric.expression)': \(error)"))
                return .number(.nan)
            }
        }
        invalidQueries = invalid
        var readers: [String: [String]] = [:]
        for (query, metric) in zip(queries, metricNames) {
            for name in query.seriesNames.sorted() { readers[name, default: []].append(metric) }
        }
        self.readers = readers
        withoutFallback = Set(queries.flatMap(\.selectorsWithoutFallback).map(\.text))
        evaluator = Mutex(PrometheusQueryEvaluator(queries: queries))
    }

    public func read(monotonicSeconds: Double) async -> SourceReading {
        let body: [UInt8]
        switch await fetcher.document() {
        case .failure(let error): return .missing(metricNames.count, location: fetcher.label, error.description)
        case .success(let document): body = document
        }
        let (reading, findings) = evaluator.withLock { evaluator -> (SourceReading, [SelectorFinding]) in
            do {
                let scrape = try evaluator.parse(body)
                return (SourceReading(values: evaluator.evaluate(scrape, at: monotonicSeconds), problems: invalidQueries), evaluator.findings)
            } catch {
                return (.missing(metricNames.count, location: fetcher.label, "\(fetcher.label): not the Prometheus text format: \(error)"), [])
            }
        }
        let new = noted.withLock { noted in findings.filter { noted.insert($0.description).inserted } }
        guard !new.isEmpty else { return reading }
        var said = reading
        said.problems += new.map { SourceProblem(kind: .notice, location: "\(fetcher.label) \($0)", message: notice($0, page: body)) }
        return said
    }

    /// What a finding means, once: a metric name on no line of the page (with the page's
    /// nearest name, a typo's likely fix), or a selector no series of its metric matches.
    private func notice(_ finding: SelectorFinding, page: [UInt8]) -> String {
        switch finding {
        case .absentName(let name):
            let readers = readers[name, default: []]
            var message = "\(fetcher.label): no series named \(name) on the page: \(readers.joined(separator: ", ")) "
                + "\(readers.count == 1 ? "stays" : "stay") missing until one appears"
            if let near = NameSuggestion.closest(to: name, among: Self.metricNames(on: page)) { message += "; did you mean \(near)?" }
            return message
        case .unmatched(let selector, let labels):
            let readers = readers[selector.name, default: []]
            let found = "\(fetcher.label): no series of \(selector.name) matches \(selector.text) (its labels: "
                + "\(labels.isEmpty ? "none" : labels.joined(separator: ", "))): "
            guard withoutFallback.contains(selector.text) else {
                return found + "none yet, which the 'or' of \(readers.joined(separator: ", ")) stands in for until one comes; a label "
                    + "named or valued otherwise than the exporter's would stay unmatched"
            }
            return found + "what \(readers.joined(separator: ", ")) \(readers.count == 1 ? "reads" : "read") of it is missing until one "
                + "does. Client libraries make a labelled series at its first count (no 5xx answered yet): where none means zero, "
                + "write 'rate(...) or 0'; a label named or valued otherwise than the exporter's stays unmatched"
        }
    }

    /// Every metric name the page's samples carry, once each.
    static func metricNames(on page: [UInt8]) -> [String] {
        var names: Set<String> = []
        _ = try? PrometheusExposition.parse(page) { name in
            names.insert(String(decoding: name, as: UTF8.self))
            return false
        }
        return names.sorted()
    }
}
