import SurgeSampling

/// `[[sources.probe]]`: one GET per tick on a fresh connection, as a new customer would connect.
/// `probe_up` is 1 for a 2xx or 3xx answer within the timeout, else 0; `probe_latency_ms` is the
/// time to the last byte of any answer (with `follow_redirects`, of every hop). A 3xx not
/// followed is said once: its latency is the redirect's, not the page's. A probe that times out reports the timeout as its
/// latency: a customer would have waited at least that long, and an overloaded shop is exactly
/// when the latency must not go missing (a rule such as `probe_latency_ms > 1000` would turn
/// unknown instead of breached, and the model would see the last value carried forward). When
/// nothing answered at all (refused, no route) the latency is missing and `probe_up` says why.
public final class ProbeSource: MetricSource {
    public let id: String
    public let metricNames: [String]
    private let fetcher: HTTPFetcher

    public init(name: String?, url: String, timeout: Duration, options: HTTPRequestOptions = HTTPRequestOptions()) {
        id = "probe \(name ?? url)"
        metricNames = ApplicationMetric.prefixed(ApplicationMetric.probe, by: name)
        // No body kept, and none too large: a shop's heavy page is up, timed to its last byte (a
        // 1 MiB cap had made a page past it read as down at every tick).
        fetcher = HTTPFetcher(url: url, timeout: timeout, maxBodyBytes: nil, freshConnection: true, options: options)
    }

    public func read(monotonicSeconds: Double) async -> SourceReading {
        switch await fetcher.get() {
        case .success(let response) where response.isSuccess:
            var reading = SourceReading(values: [response.seconds * 1000, 1])
            if let redirect = response.unfollowedRedirect {
                reading.problems = [SourceProblem(kind: .notice, location: fetcher.label, message: "\(fetcher.label): HTTP \(response.status), "
                    + "\(redirect); probe_latency_ms times that answer, not the page it points to")]
            }
            return reading
        case .success(let response):
            return SourceReading(values: [response.seconds * 1000, 0], problems: [
                SourceProblem(kind: .failure, location: fetcher.label,
                              message: HTTPFetchError.status(url: fetcher.label, code: response.status).description)])
        case .failure(let error):
            var latency = Double.nan
            if case .timedOut(_, let after) = error { latency = after.seconds * 1000 }
            return SourceReading(values: [latency, 0], problems: [
                SourceProblem(kind: .failure, location: fetcher.label, message: error.description)])
        }
    }
}
