import SurgeSampling
import Synchronization

/// `[[sources.nginx]]`: nginx's stub_status page. Connection states are gauges; accepts,
/// handled and requests become per-second rates against the previous read (missing on the first
/// read and after nginx restarts, when the counters start again from zero).
public final class NginxSource: MetricSource {
    public let id: String
    public let metricNames: [String]
    private let fetcher: HTTPFetcher
    private let previous = Mutex<(seconds: Double, status: NginxStubStatus)?>(nil)

    public init(name: String?, url: String, timeout: Duration, options: HTTPRequestOptions = HTTPRequestOptions()) {
        id = "nginx \(name ?? url)"
        metricNames = ApplicationMetric.prefixed(ApplicationMetric.nginx, by: name)
        fetcher = HTTPFetcher(url: url, timeout: timeout, maxBodyBytes: 64 << 10, options: options)
    }

    public func read(monotonicSeconds now: Double) async -> SourceReading {
        let status: NginxStubStatus
        do {
            switch await fetcher.document() {
            case .failure(let error): return .missing(metricNames.count, location: fetcher.label, error.description)
            case .success(let body): status = try NginxStubStatus.parse(ProcText(path: fetcher.label, bytes: body))
            }
        } catch {
            return .missing(metricNames.count, location: fetcher.label, error.description)
        }
        let before = previous.withLock { stored in
            defer { stored = (now, status) }
            return stored
        }
        func rate(_ counter: KeyPath<NginxStubStatus, UInt64>) -> Double {
            guard let before else { return .nan }
            return counterRate(previous: before.status[keyPath: counter], current: status[keyPath: counter],
                               seconds: now - before.seconds) ?? .nan
        }
        // The order of ApplicationMetric.nginx.
        return SourceReading(values: [
            Double(status.active), rate(\.accepts), rate(\.handled), rate(\.requests),
            Double(status.reading), Double(status.writing), Double(status.waiting),
        ])
    }
}
