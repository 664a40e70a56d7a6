import Foundation
import Testing
import TestSupport
import SurgeSampling
@testable import SurgeSources

/// The probe, Prometheus and nginx sources against a real local server: values when it answers,
/// missing values and a named problem when it is down, slow, failing or sends garbage.
@Suite struct ApplicationSourceTests {
    let server: TestHTTPServer

    init() throws { server = try TestHTTPServer() }

    @Test func probeUp() async {
        let source = ProbeSource(name: "api", url: server.url("/health"), timeout: .seconds(2))
        #expect(source.metricNames == ["api_probe_latency_ms", "api_probe_up"])
        let reading = await source.read(monotonicSeconds: 0)
        #expect(reading.problems.isEmpty)
        #expect(reading.values[0] > 0 && reading.values[0] < 2000)
        #expect(reading.values[1] == 1)
    }

    @Test func probeOfAFailingEndpoint() async {
        let failing = await ProbeSource(name: nil, url: server.url("/status/500"), timeout: .seconds(2)).read(monotonicSeconds: 0)
        #expect(failing.values[0] > 0, "a 500 still answered: its latency is known")
        #expect(failing.values[1] == 0)
        #expect(failing.problems.map(\.message) == ["\(server.url("/status/500")): HTTP 500"])

        let slow = await ProbeSource(name: nil, url: server.url("/slow/3000"), timeout: .milliseconds(200)).read(monotonicSeconds: 0)
        #expect(slow.values[0] == 200, "a timeout is a latency of at least the timeout, not a missing one")
        #expect(slow.values[1] == 0)
        #expect(slow.problems.first?.kind == .failure)

        let down = await ProbeSource(name: nil, url: "http://127.0.0.1:\(try! LoopbackPort.unused())/", timeout: .seconds(1))
            .read(monotonicSeconds: 0)
        #expect(down.values[0].isNaN && down.values[1] == 0, "refused: nothing answered, no latency")
    }

    /// A shop behind a name-based virtual host answers a probe of 127.0.0.1 only with its name;
    /// a /metrics behind a bearer token only with the token.
    @Test func headersReachAVirtualHostAndAProtectedEndpoint() async {
        let wrongHost = await ProbeSource(name: nil, url: server.url("/vhost/shop.example.com"), timeout: .seconds(2)).read(monotonicSeconds: 0)
        #expect(wrongHost.values[1] == 0 && wrongHost.problems.map(\.message) == ["\(server.url("/vhost/shop.example.com")): HTTP 421"])
        let shop = await ProbeSource(name: nil, url: server.url("/vhost/shop.example.com"), timeout: .seconds(2),
                                     options: HTTPRequestOptions(headers: [("Host", "shop.example.com")])).read(monotonicSeconds: 0)
        #expect(shop.values[1] == 1 && shop.problems.isEmpty, "\(shop.problems)")

        let url = server.url("/auth/s3cret/metrics")
        let refused = await PrometheusSource(name: nil, url: url, timeout: .seconds(2), metrics: Self.contractMetrics).read(monotonicSeconds: 0)
        #expect(refused.values.allSatisfy(\.isNaN) && refused.problems.map(\.message) == ["\(url): HTTP 401"])
        let scraped = await PrometheusSource(name: nil, url: url, timeout: .seconds(2),
                                             options: HTTPRequestOptions(headers: [("Authorization", "Bearer s3cret")]),
                                             metrics: Self.contractMetrics).read(monotonicSeconds: 0)
        #expect(scraped.problems.isEmpty && !scraped.values[3].isNaN, "\(scraped.problems)")
    }

    static let contractMetrics: [(name: String, expression: String)] = [
        ("http_rps", "rate(http_requests_total)"),
        ("http_error_ratio", #"ratio(rate(http_requests_total{code=~"5.."}), rate(http_requests_total))"#),
        ("http_p99_ms", "histogram_quantile(0.99, http_request_duration_seconds) * 1000"),
        ("app_inflight", "gauge(app_inflight_requests)"),
    ]

    @Test func prometheusScrapesGiveRatesRatiosAndQuantiles() async {
        let source = PrometheusSource(name: nil, url: server.url("/metrics"), timeout: .seconds(2), metrics: Self.contractMetrics)
        #expect(source.metricNames == ["http_rps", "http_error_ratio", "http_p99_ms", "app_inflight"])
        let first = await source.read(monotonicSeconds: 100)
        #expect(first.problems.isEmpty)
        #expect(first.values[0].isNaN && first.values[1].isNaN && first.values[2].isNaN, "no previous scrape yet")
        #expect(first.values[3] == 1)
        // The server adds 100 requests (5 of them 503) per scrape; 10 s apart: 10/s.
        let second = await source.read(monotonicSeconds: 110)
        #expect(second.problems.isEmpty)
        #expect(second.values[0] == 10)
        #expect(abs(second.values[1] - 0.05) < 1e-12)
        // Bucket increases 40, 70, 90, 98, 100, 100: p99 = 0.5 + 0.5 × (99 − 98) / 2 s.
        #expect(abs(second.values[2] - 750) < 1e-9)
        #expect(second.values[3] == 2)
    }

    /// A metric name with a typo, and a label test no series passes yet: each said once, at
    /// notice level, with the page's nearest name and the labels its series carry.
    @Test func aMisspelledSeriesAndASeriesNotYetMadeAreSaidOnce() async {
        let url = server.url("/metrics")
        let source = PrometheusSource(name: nil, url: url, timeout: .seconds(2), metrics: [
            ("http_rps", "rate(http_request_total)"), ("http_not_found_rate", #"rate(http_requests_total{code="404"})"#)])
        let first = await source.read(monotonicSeconds: 100)
        let second = await source.read(monotonicSeconds: 110)
        #expect(second.values[0].isNaN && second.values[1].isNaN, "\(second.values)")
        #expect(first.problems.map(\.kind) == [.notice, .notice])
        #expect(first.problems.map(\.message) == [
            "\(url): no series named http_request_total on the page: http_rps stays missing until one appears; did you mean http_requests_total?",
            "\(url): no series of http_requests_total matches http_requests_total{code=\"404\"} (its labels: code, path): what "
                + "http_not_found_rate reads of it is missing until one does. Client libraries make a labelled series at its first count "
                + "(no 5xx answered yet): where none means zero, write 'rate(...) or 0'; a label named or valued otherwise than the "
                + "exporter's stays unmatched"])
        #expect(second.problems.isEmpty, "said once: \(second.problems)")
        // With 'or 0' the absence is the query's to stand in for: said without the advice.
        let covered = await PrometheusSource(name: nil, url: url, timeout: .seconds(2), metrics: [
            ("http_not_found_rate", #"rate(http_requests_total{code="404"}) or 0"#)]).read(monotonicSeconds: 0)
        #expect(covered.problems.map(\.message) == [
            "\(url): no series of http_requests_total matches http_requests_total{code=\"404\"} (its labels: code, path): none yet, "
                + "which the 'or' of http_not_found_rate stands in for until one comes; a label named or valued otherwise than the "
                + "exporter's would stay unmatched"])
    }

    /// A probe keeps no body: a page of 3 MiB (a shop's heavy listing page) is up, timed to its
    /// last byte, where a cap on the body had read it as down.
    @Test func aProbeOfAHeavyPageIsUp() async {
        let probed = await ProbeSource(name: nil, url: server.url("/big/3"), timeout: .seconds(5)).read(monotonicSeconds: 0)
        #expect(probed.values[1] == 1 && probed.problems.isEmpty, "\(probed.problems)")
        #expect(probed.values[0] > 0)
    }

    @Test func prometheusGarbageAndFailures() async {
        let garbage = await PrometheusSource(name: "shop", url: server.url("/garbage"), timeout: .seconds(2), metrics: Self.contractMetrics)
            .read(monotonicSeconds: 0)
        #expect(garbage.values.allSatisfy { $0.isNaN })
        #expect(garbage.problems.map(\.message) == [
            "\(server.url("/garbage")): not the Prometheus text format: line 1, column 1: expected a metric name, got '<'"])

        let failing = await PrometheusSource(name: nil, url: server.url("/status/500"), timeout: .seconds(2), metrics: Self.contractMetrics)
            .read(monotonicSeconds: 0)
        #expect(failing.values.allSatisfy { $0.isNaN })
        #expect(failing.problems.map(\.message) == ["\(server.url("/status/500")): HTTP 500"])

        let big = await PrometheusSource(name: nil, url: server.url("/big/20"), timeout: .seconds(5), metrics: Self.contractMetrics)
            .read(monotonicSeconds: 0)
        #expect(big.values.allSatisfy { $0.isNaN })
        #expect(big.problems.first?.message.contains("larger than") == true)

        let truncated = await PrometheusSource(name: nil, url: server.url("/truncated"), timeout: .seconds(2), metrics: Self.contractMetrics)
            .read(monotonicSeconds: 0)
        #expect(truncated.values.allSatisfy { $0.isNaN })
        #expect(truncated.problems.first?.message.contains("cut short") == true)
    }

    /// The config loader rejects such a query; a caller that skipped it still hears why.
    @Test func aQueryThatDoesNotParseIsMissingAndSaysWhy() async {
        let source = PrometheusSource(name: nil, url: server.url("/metrics"), timeout: .seconds(2),
                                      metrics: [("ok", "gauge(app_inflight_requests)"), ("broken", "rate(x")])
        let reading = await source.read(monotonicSeconds: 0)
        #expect(reading.values[0] == 1)
        #expect(reading.values[1].isNaN)
        #expect(reading.problems.map(\.message) == ["broken = 'rate(x': expected ')' to close rate(, got the end"])
    }

    @Test func nginxStatusCountersBecomeRates() async {
        let source = NginxSource(name: nil, url: server.url("/nginx_status"), timeout: .seconds(2))
        let first = await source.read(monotonicSeconds: 0)
        #expect(first.problems.isEmpty)
        #expect(first.values[0] == 2)  // active
        #expect(first.values[1].isNaN && first.values[2].isNaN && first.values[3].isNaN)
        let second = await source.read(monotonicSeconds: 5)
        // accepts and handled grow 10 per read, requests 50, five seconds apart.
        #expect(Array(second.values[0..<4]) == [3, 2, 2, 10])
        #expect(Array(second.values[4..<7]) == [0, 1, 2])

        let garbage = await NginxSource(name: nil, url: server.url("/garbage"), timeout: .seconds(2)).read(monotonicSeconds: 0)
        #expect(garbage.values.allSatisfy { $0.isNaN })
        #expect(garbage.problems.first?.message.hasPrefix(server.url("/garbage")) == true)
    }
}
