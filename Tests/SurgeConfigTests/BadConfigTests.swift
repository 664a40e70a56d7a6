import Foundation
import Testing
@testable import SurgeConfig

/// Every file in Fixtures/bad must be rejected with exactly the listed lines: file, line,
/// column, key path and message. A file added there without an entry here fails the suite.
@Suite struct BadConfigTests {
    static let directory = Bundle.module.resourcePath! + "/Fixtures/bad"

    static let expected: [String: [String]] = [
        "wrong-type-interval.toml": [
            #"3:12: sampling.interval: expected a duration string such as "10s", "5m", "2h" or "30d", got integer 10"#],
        "unknown-key-typo.toml": [
            "2:1: sampling.intervall: unknown key 'intervall'; did you mean 'interval'?"],
        "out-of-range-ticks.toml": [
            "2:9: window.ticks: 1 is out of range: expected 2 to 2880"],
        "bad-duration.toml": [
            #"3:13: store.retention: expected a duration such as "10s", "5m", "2h" or "30d", got "30 days""#],
        "interval-below-floor.toml": [
            "2:12: sampling.interval: 500ms is out of range: expected 1s to 5m"],
        "interval-beyond-int64.toml": [
            "3:12: sampling.interval: 1m177777777777777777777777777777m1s is out of range: expected 1s to 5m"],
        "unknown-table.toml": [
            "1:1: modle: unknown key 'modle'; did you mean 'model'?"],
        "bad-condition-operator.toml": [
            "4:3: overload.any[1]: unknown operator '>>'; use one of > >= < <="],
        // Percents and durations where the metric reads a fraction or milliseconds.
        "condition-percent-as-fraction.toml": [
            #"9:3: overload.any[0]: "cpu_busy > 60" can never hold: cpu_busy runs from 0 to 1; 60 % is 0.6"#,
            "10:3: overload.any[1]: '1%' is not a number; http_error_ratio runs from 0 to 1: write 0.01 for 1%",
            #"14:9: alert.hold[0]: "psi_cpu_some_avg10 >= 0" holds on every tick: psi_cpu_some_avg10 is a percent, from 0 to 100"#],
        "condition-duration-threshold.toml": [
            "6:8: overload.any[0]: '1.5s' is not a number; probe_latency_ms counts milliseconds: write 1500 for 1.5s"],
        "hold-unknown-metric.toml": [
            "2:29: alert.hold[1]: no enabled source provides metric 'cpu_bussy'; did you mean 'cpu_busy'?"],
        "unknown-feature.toml": [
            "2:25: model.features[1]: no enabled source provides metric 'cpu_bussy'; did you mean 'cpu_busy'?"],
        "alertmanager-bad-keys.toml": [
            #"2:34: alertmanager.urls[1]: expected an Alertmanager's http:// or https:// address with a host, such as "http://127.0.0.1:9093", got "alertmanager:9093""#,
            #"2:55: alertmanager.urls[2]: "http://127.0.0.1:9093" is listed twice: each would get every alert twice"#,
            "2:80: alertmanager.urls[3]: expected a URL string, got integer 9093",
            "3:10: alertmanager.resend: 5s is out of range: expected 10s to 10m",
            "4:27: alertmanager.labels.severity: 'severity' is set by surgewatch: warning for a predicted alert, critical for a breach",
            "4:46: alertmanager.labels.1st: '1st' is not a label name (letters, digits and _, not starting with a digit)",
            #"4:65: alertmanager.labels.env: expected the label's value as a non-empty string, got string """#,
            "5:13: alertmanager.headers.Content-Type: 'Content-Type' is the source's own: the alerts are posted as application/json"],
        "probe-without-url.toml": [
            "4:1: sources.probe[0]: [[sources.probe]] needs 'url'"],
        "second-probe-bad-url.toml": [
            #"7:7: sources.probe[1].url: expected an http:// or https:// URL with a host, got "ftp://127.0.0.1/health""#],
        "resolve-above-fire.toml": [
            "3:23: alert.resolve_probability: must be below alert.fire_probability (0.6), or alerts would flap; got 0.7"],
        "fire-at-once-below-fire.toml": [
            "3:28: alert.fire_at_once_probability: must be at or above alert.fire_probability (0.9); got 0.85"],
        "leap-not-above-resolve.toml": [
            "3:28: alert.fire_on_leap_probability: must be above alert.resolve_probability (0.3), where a leap starts, or 1 for none; got 0.25"],
        "pending-without-for-ticks.toml": [
            "3:31: alert.fire_on_pending_probability: fires a tick before the rule has held overload.for_ticks ticks in a row, so it needs for_ticks >= 2 (it is 1); set it, or leave this key out"],
        "settle-not-above-resolve.toml": [
            "3:22: alert.settle_probability: must lie between alert.resolve_probability (0.2) and alert.fire_probability (0.95), or 0 for none; got 0.2"],
        "settle-too-quick.toml": [
            "4:16: alert.settle_after: must be more than alert.resolve_after (3): a settle as quick as the resolve is a higher resolve_probability; got 3"],
        "schedule-bad-sale.toml": [
            #"3:10: schedule.sales[1]: expected an RFC 3339 time such as "2026-12-12T20:00:00+08:00", or "daily HH:MM" (local time) or "daily HH:MM+08:00"; got "daily 8pm""#,
            #"4:10: schedule.sales[2]: expected an RFC 3339 time such as "2026-12-12T20:00:00+08:00", or "daily HH:MM" (local time) or "daily HH:MM+08:00"; got "2026-12-12 25:00""#],
        "schedule-sale-without-offset.toml": [
            "2:10: schedule.sales[0]: date-time 2026-12-12T20:00:00 has no offset from UTC, so it is a different moment in each time zone; write the shop's offset, such as 2026-12-12T20:00:00+08:00, or 2026-12-12T20:00:00Z for UTC",
            #"2:31: schedule.sales[1]: "2026-12-12T20:00:00" has no offset from UTC, so it is a different moment in each time zone; write the shop's offset, such as 2026-12-12T20:00:00+08:00, or 2026-12-12T20:00:00Z for UTC"#,
            #"3:10: schedule.sales[2]: expected an RFC 3339 time such as "2026-12-12T20:00:00+08:00", or "daily HH:MM" (local time) or "daily HH:MM+08:00"; got date-time 2026-12-12"#,
            #"3:22: schedule.sales[3]: expected a sale time such as "2026-12-12T20:00:00+08:00" or "daily 20:00", got integer 3"#],
        "schedule-level-unknown-metric.toml": [
            "3:33: schedule.fire_when[1]: no enabled source provides metric 'load_1'; did you mean 'load1'?"],
        "schedule-level-lead-too-short.toml": [
            "4:13: schedule.fire_when: is asked on the last tick before each start, which schedule.lead (0s) does not reach: set lead to at least sampling.interval (10s)"],
        "schedule-lead-too-long.toml": [
            "3:8: schedule.lead: 3h is out of range: expected 0s to 2h"],
        "schedule-threshold-not-above-resolve.toml": [
            "6:20: schedule.fire_probability: must be above alert.resolve_probability (0.3), or an alert fired before a sale would resolve at once; got 0.3"],
        "features-not-array.toml": [
            #"2:12: model.features: expected an array of strings, got string "cpu_busy""#],
        "timeout-not-below-interval.toml": [
            "6:11: sources.nginx[0].timeout: timeout 5s must be shorter than sampling.interval (2s), or a slow endpoint would stall ticks"],
        "listen-port-out-of-range.toml": [
            "2:21: sources.listen_ports[1]: expected a port from 1 to 65535, got integer 0"],
        "listen-port-twice.toml": [
            "2:22: sources.listen_ports[1]: port 443 is listed twice"],
        "feature-element-wrong-type.toml": [
            "2:25: model.features[1]: expected a string, got integer 3"],
        "learning-layers-unknown.toml": [
            #"2:10: learning.layers: expected "output" or "all", got "lstm""#],
        "wrong-type-bool.toml": [
            #"2:10: learning.online: expected true or false, got string "yes""#],
        "horizon-beyond-window.toml": [
            "2:17: model.horizon_ticks: must be shorter than window.ticks (30); got 40"],
        "prometheus-bad-metric-name.toml": [
            "4:1: sources.prometheus[0].metrics.HTTP-rps: 'HTTP-rps' is not a metric name (lower-case letters, digits and _)"],
        "prometheus-bad-expressions.toml": [
            "4:37: sources.prometheus[0].metrics.http_rps: expected ')' to close rate(, got the end, in 'rate(http_requests_total'",
            "5:35: sources.prometheus[0].metrics.http_p99_ms: histogram_quantile needs a quantile from 0 to 1 first, such as 0.99, in 'histogram_quantile(99, http_request_duration_seconds)'",
            #"6:47: sources.prometheus[0].metrics.http_errors: invalid regular expression "5..(" for label 'code': expected ')', in 'rate(http_requests_total{code=~"5..("})'"#,
            "7:14: sources.prometheus[0].metrics.app_queue: 'avg' is not needed: each rate(...) or gauge(...) sums the series its selector matches, in 'avg(app_queue_length)'",
            "8:51: sources.prometheus[0].metrics.http_ok: expected a number or rate(...), gauge(...), ratio(...), histogram_quantile(...), got the end, in 'rate(http_requests_total{code=\"200\"}) +'"],
        "prometheus-textfile-relative.toml": [
            #"3:12: prometheus.textfile: expected an absolute path such as "/run/surgewatch/surgewatch.prom", got "surgewatch.prom""#],
        "prometheus-textfile-not-prom.toml": [
            #"2:12: prometheus.textfile: node_exporter's textfile collector reads only files named *.prom, got "/run/surgewatch/surgewatch.txt""#],
        "not-utf8.toml": [
            "3:10: cannot read the file: not valid UTF-8"],
        "cgroup-bad-unit.toml": [
            #"2:8: sources.cgroup[0].unit: expected a systemd unit name such as "shop.service", got "shop service""#],
        "feature-twice.toml": [
            "2:34: model.features[2]: 'cpu_busy' is listed twice"],
        "features-empty.toml": [
            "2:12: model.features: needs at least one metric"],
        "number-wrong-type.toml": [
            #"2:20: alert.fire_probability: expected a number, got string "high""#],
        "overload-without-conditions.toml": [
            "1:1: overload: the SLO rule needs at least one condition in 'any' or 'all'"],
        "probability-out-of-range.toml": [
            "2:20: alert.fire_probability: 1.5 is out of range: expected 0.0 to 1.0"],
        "http-request-bad.toml": [
            #"3:14: sources.probe[0].connect_to: expected HOST:PORT to connect to in place of the URL's, such as "127.0.0.1:8443" or "[::1]:8443", got "127.0.0.1""#,
            #"4:15: sources.probe[0].tls_ca_file: expected an absolute path to PEM certificates, got "shop-ca.pem""#,
            #"5:15: sources.probe[0].unix_socket: expected the absolute path of the socket the server listens on, got "shop.sock""#,
            "6:13: sources.probe[0].headers.Shop Name: 'Shop Name' is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)",
            "6:68: sources.probe[0].headers.X-Shop: the value holds a control character (U+000D): a header's value is one line",
            "6:99: sources.probe[0].headers.Accept: the value is empty: leave the header out instead",
            "6:111: sources.probe[0].headers.host: 'host' is given twice (as 'Host'): header names are case-insensitive",
            "11:15: sources.prometheus[0].unix_socket: a source connects either to connect_to's address or to a unix socket, not both",
            "13:1: sources.prometheus[0].headers.Content-Length: 'Content-Length' belongs to the connection, not the request: it is not the config's to set",
            "14:1: sources.prometheus[0].headers.Accept: 'Accept' is the source's own: a scrape asks for the text format 0.0.4, the one surgewatch reads",
            "15:11: sources.prometheus[0].headers.X-Token: expected the header's value as a string, got integer 42",
            "17:17: sources.prometheus[0].header_files.Authorization: cannot read /nonexistent/shop-token: No such file or directory",
            "18:9: sources.prometheus[0].header_files.X-Key: expected the path of a file holding the header's value, got integer 7",
            #"24:20: sources.nginx[0].follow_redirects: expected true or false, got string "yes""#],
        "probe-bad-name.toml": [
            "2:8: sources.probe[0].name: 'Shop-1' cannot prefix metric names: use lower-case letters, digits and _"],
        "prometheus-metric-not-string.toml": [
            "4:12: sources.prometheus[0].metrics.http_rps: expected an expression string such as 'rate(http_requests_total)', got integer 5"],
        "prometheus-without-metrics.toml": [
            "1:1: sources.prometheus[0]: [[sources.prometheus]] needs a [sources.prometheus.metrics] table naming the series to use"],
        "table-wrong-type.toml": [
            "1:11: journal: expected a table [journal], got integer 5"],
        "tables-element-wrong-type.toml": [
            "2:10: sources.probe[0]: expected a table, got integer 1"],
        "tables-wrong-type.toml": [
            "2:9: sources.probe: expected an array of tables [[sources.probe]], got integer 5"],
        "toml-dotted-onto-value.toml": [
            #"3:1: TOML syntax: 'interval' is already string "10s" defined elsewhere; dotted keys cannot add to it"#],
        "toml-integer-too-big.toml": [
            "2:9: TOML syntax: integer 99999999999999999999 does not fit in 64 bits"],
        "toml-multiline-key.toml": [
            "2:1: TOML syntax: a key cannot be a multi-line string"],
        "toml-surrogate-escape.toml": [
            #"2:15: TOML syntax: \UD800ABCD is not a Unicode scalar value"#],
        "toml-table-redefined.toml": [
            #"3:1: TOML syntax: [store.path]: 'path' is already string "x.db", not a table"#],
        "several-errors.toml": [
            "3:1: sampling.surprise: unknown key 'surprise' (known here: interval, proc_root, cgroup_root)",
            "6:9: window.ticks: 0 is out of range: expected 2 to 2880",
            #"9:14: journal.identifier: expected a non-empty word without spaces, got "surge watch""#],
    ]

    static var files: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".toml") }.sorted()) ?? []
    }

    @Test(arguments: files)
    func rejectedWithLocatedMessages(file: String) throws {
        let path = "\(Self.directory)/\(file)"
        do {
            _ = try ConfigLoader.load(path: path)
            Issue.record("\(file) was accepted")
        } catch {
            let lines = error.errors.map(\.description)
            if file == "syntax-unclosed-table.toml" {
                // toml++ words the syntax message; we fix where it points and how it starts.
                #expect(lines.count == 1)
                #expect(lines.first?.hasPrefix("\(path):1:") == true, "\(lines)")
                #expect(lines.first?.contains("TOML syntax:") == true, "\(lines)")
                return
            }
            let expected = try #require(Self.expected[file], "add the expected errors of \(file)")
            #expect(lines == expected.map { "\(path):\($0)" })
        }
    }

    @Test func everyExpectationHasAFile() {
        #expect(Set(Self.expected.keys).isSubset(of: Set(Self.files)))
        #expect(Self.files.count >= 10)
    }

    @Test func missingFileNamesThePath() {
        #expect(throws: ConfigErrors.self) { try ConfigLoader.load(path: "/nonexistent/surgewatch.toml") }
        do {
            _ = try ConfigLoader.load(path: "/nonexistent/surgewatch.toml")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/surgewatch.toml: cannot read the file"))
        }
    }
}
