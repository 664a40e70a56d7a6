import Foundation
import Testing
@testable import SurgeSampling

/// The exposition parser on bodies captured from real exporters, then on malformed bodies, each
/// of which must be rejected whole with the line and column of the first problem.
@Suite struct PrometheusExpositionTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: Bundle.module.resourcePath! + "/Fixtures/exposition/" + name)))
    }

    @Test func nodeExporterScrape() throws {
        let scrape = try PrometheusExposition.parse(Self.fixture("node_exporter-1.5.0.txt"))
        #expect(scrape.samples.count == 507)
        #expect(scrape.types.count == 283)
        #expect(scrape.types["node_cpu_seconds_total"] == .counter)
        #expect(scrape.types["go_gc_duration_seconds"] == .summary)
        let idle = scrape.samples.first { $0.name == "node_cpu_seconds_total" }
        #expect(idle == PrometheusSample(name: "node_cpu_seconds_total",
                                          labels: [PrometheusLabel("cpu", "0"), PrometheusLabel("mode", "idle")], value: 79.63))
        #expect(scrape.samples.first { $0.name == "node_load1" }?.value == 1.83)
        let received = scrape.samples.first { $0.name == "node_network_receive_bytes_total" && $0.label("device") == "eth0" }
        #expect(received?.value == 2.5742222e+07)
        let os = scrape.samples.first { $0.name == "node_os_info" }
        #expect(os?.label("pretty_name") == "Debian GNU/Linux 12 (bookworm)")
        #expect(os?.labels.count == 12)
    }

    @Test func nginxExporterScrape() throws {
        let scrape = try PrometheusExposition.parse(Self.fixture("nginx-prometheus-exporter-0.11.0.txt"))
        #expect(scrape.samples.map(\.name) == [
            "nginx_connections_accepted", "nginx_connections_active", "nginx_connections_handled",
            "nginx_connections_reading", "nginx_connections_waiting", "nginx_connections_writing",
            "nginx_http_requests_total", "nginx_up", "nginxexporter_build_info"])
        #expect(scrape.samples.first { $0.name == "nginx_http_requests_total" }?.value == 23)
        #expect(scrape.samples.last?.label("commit") == "")
    }

    @Test func pythonClientScrapeWithHistogramEscapesAndSpecialValues() throws {
        let scrape = try PrometheusExposition.parse(Self.fixture("python-prometheus_client.txt"))
        #expect(scrape.types["http_request_duration_seconds"] == .histogram)
        let buckets = scrape.samples.filter { $0.name == "http_request_duration_seconds_bucket" }
        #expect(buckets.count == 11)
        #expect(buckets.last?.label("le") == "+Inf")
        #expect(buckets.last?.value == 500)
        let weird = scrape.samples.filter { $0.name == "app_weird_label" }
        #expect(weird.count == 3)
        #expect(weird[0].label("v") == "a \"quoted\" \\ value\nwith newline")
        #expect(weird[0].value.isNaN)
        #expect(weird[1].value == .infinity)
        #expect(weird[2].value == -.infinity)
        #expect(scrape.samples.first { $0.name == "http_requests_created" }?.value == 1.796046210219694e+09)
    }

    @Test func keepDecodesOnlyTheNamedSeries() throws {
        let scrape = try PrometheusExposition.parse(Self.fixture("node_exporter-1.5.0.txt")) { $0.elementsEqual("node_load1".utf8) }
        #expect(scrape.samples == [PrometheusSample(name: "node_load1", value: 1.83)])
    }

    @Test func timestampsSpacingTrailingCommaAndCRLF() throws {
        let body = "# a plain comment\r\nrequests_total{code=\"200\",} 3 1700000000000\r\n\n  latency\t1e-3  \r\nup -1\n"
        let scrape = try PrometheusExposition.parse(Array(body.utf8))
        #expect(scrape.samples == [
            PrometheusSample(name: "requests_total", labels: [PrometheusLabel("code", "200")], value: 3, timestampMs: 1_700_000_000_000),
            PrometheusSample(name: "latency", value: 0.001),
            PrometheusSample(name: "up", value: -1),
        ])
    }

    @Test(arguments: [
        ("<html><body>502 Bad Gateway</body></html>\n", "line 1, column 1: expected a metric name, got '<'"),
        ("ok 1\nhttp_requests_total{code=\"200\" 5\n", "line 2, column 32: expected ',' or '}' after the value of label 'code'"),
        ("http_requests_total{code=\"20", "line 1, column 29: unterminated label value: expected a closing '\"'"),
        ("x{a=\"1\",a=\"2\"} 1\n", "line 1, column 9: label 'a' appears twice"),
        ("x{a=\"\\t\"} 1\n", "line 1, column 6: invalid escape '\\t' in a label value"),
        ("x{a=1} 1\n", "line 1, column 5: expected '\"' to open the value of label 'a'"),
        ("x{0a=\"1\"} 1\n", "line 1, column 3: expected a label name, got '0'"),
        ("x\n", "line 1, column 2: expected a value after the series name"),
        ("x one\n", "line 1, column 3: expected a number, NaN, +Inf or -Inf, got 'one'"),
        ("x 0x10\n", "line 1, column 3: expected a number, NaN, +Inf or -Inf, got '0x10'"),
        ("x 1 12.5\n", "line 1, column 5: expected a timestamp in milliseconds, got '12.5'"),
        ("x 1 12 extra\n", "line 1, column 8: unexpected text after the timestamp"),
        ("# TYPE x countr\n", "line 1, column 10: unknown metric type 'countr'; expected counter, gauge, histogram, summary or untyped"),
        ("# TYPE x gauge\n# TYPE x counter\n", "line 2, column 10: a second TYPE line for 'x'"),
        ("# TYPE 9x gauge\n", "line 1, column 8: expected a metric name, got '9'"),
    ])
    func malformedBodiesAreRejectedWithLineAndColumn(body: String, message: String) {
        #expect(throws: PrometheusParseError.self) { try PrometheusExposition.parse(Array(body.utf8)) }
        do {
            _ = try PrometheusExposition.parse(Array(body.utf8))
        } catch {
            #expect(error.description == message)
        }
    }

    /// Many labels on one series: each name is still checked against all before it (past 16,
    /// through a set: a scan per label made 50,000 labels cost 28 s in the ASan fuzz build).
    @Test func aSeriesWithManyLabelsIsReadAndARepeatIsStillFound() throws {
        let labels = (0..<50_000).map { "l\($0)=\"v\"" }
        let scrape = try PrometheusExposition.parse(Array("x{\(labels.joined(separator: ","))} 1\n".utf8))
        #expect(scrape.samples.first?.labels.count == 50_000 && scrape.samples.first?.label("l49999") == "v")
        for repeatAt in [3, 16, 17, 40] {
            let names = (0..<repeatAt).map { "l\($0)=\"v\"" } + ["l2=\"w\""]
            let body = "x{\(names.joined(separator: ","))} 1\n"
            #expect(throws: PrometheusParseError.self, "\(repeatAt)") { try PrometheusExposition.parse(Array(body.utf8)) }
        }
    }

    @Test func stubStatusFromRealNginx() throws {
        let text = ProcText(path: "stub_status", bytes: try Self.fixture("nginx-1.22.1-stub_status.txt"))
        #expect(try NginxStubStatus.parse(text) == NginxStubStatus(
            active: 1, accepts: 21, handled: 21, requests: 21, reading: 0, writing: 1, waiting: 0))
    }

    @Test(arguments: [
        ("", "status: expected the four lines of nginx stub_status, got 0"),
        ("Active connections: 1\nserver accepts handled requests\n 1 1 1\n", "status: expected the four lines of nginx stub_status, got 3"),
        ("Active connections: x\nserver accepts handled requests\n 1 1 1\nReading: 0 Writing: 1 Waiting: 0\n",
         "status:1: expected a count for active connections, got 'x'"),
        ("Active connections: 1\nserver accepts handled requests\n 1 1\nReading: 0 Writing: 1 Waiting: 0\n",
         "status:3: expected three counters: accepts handled requests"),
        ("<html>\n<head>\n<title>404 Not Found</title>\n</head>\n", "status:1: expected 'Active connections: N'"),
    ])
    func malformedStubStatus(body: String, message: String) {
        do {
            _ = try NginxStubStatus.parse(ProcText(path: "status", string: body))
            Issue.record("accepted: \(body)")
        } catch {
            #expect(error.description == message)
        }
    }
}
