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
        evaluator = Mutex(PrometheusQueryEvaluator(queries: queries))
    }

    public func read(monotonicSeconds: Double) async -> SourceReading {
        let body: [UInt8]
        switch await fetcher.document() {
        case .failure(let error): return .missing(metricNames.count, location: fetcher.label, error.description)
        case .success(let document): body = document
        }
        return evaluator.withLock { evaluator in
            do {
                let scrape = try evaluator.parse(body)
                return SourceReading(values: evaluator.evaluate(scrape, at: monotonicSeconds), problems: invalidQueries)
            } catch {
                return .missing(metricNames.count, location: fetcher.label, "\(fetcher.label): not the Prometheus text format: \(error)")
            }
        }
    }
}
