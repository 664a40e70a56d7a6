import Foundation
import Testing
@testable import SurgeConfig

@Suite struct GoodConfigTests {
    static let shipped = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/surgewatch.toml").path

    @Test func shippedConfigStatesExactlyTheBuiltInDefaults() throws {
        // The shipped file documents every key with its default; if a default changes in code
        // and not in the file (or the reverse), operators would be misled.
        let config = try ConfigLoader.load(path: Self.shipped)
        #expect(config == SurgeConfig())
    }

    @Test func emptyFileMeansDefaults() throws {
        #expect(try ConfigLoader.parse("", file: "empty.toml") == SurgeConfig())
    }

    @Test func learningLayersNameWhatATrainedModelLearns() throws {
        #expect(SurgeConfig().learning.layers == .output, "the output layer unless the operator asks for more")
        #expect(try ConfigLoader.parse("[learning]\nlayers = \"all\"\n", file: "all.toml").learning.layers == .all)
        #expect(try ConfigLoader.parse("[learning]\nlayers = \"output\"\n", file: "output.toml").learning.layers == .output)
    }

    @Test func alertHoldConditionsUseTheRulesSyntax() throws {
        let config = try ConfigLoader.parse("[alert]\nhold = [\"cpu_busy >= 0.75\", \"psi_cpu_some_avg10 > 30\"]\n", file: "hold.toml")
        #expect(config.alert.hold == [OverloadCondition(metric: "cpu_busy", comparison: .greaterOrEqual, threshold: 0.75),
                                      OverloadCondition(metric: "psi_cpu_some_avg10", comparison: .greater, threshold: 30)])
        #expect(SurgeConfig().alert.hold.isEmpty, "no hold unless the operator sets one")
    }

    /// Spaces around the operator may be left out, and any space separates (U+3000 from a
    /// Chinese input method looks like one); what is not three parts, or not an operator, is
    /// refused with what is wrong.
    @Test func conditionsReadWithoutSpacesAndWithAnySpace() throws {
        let expected = OverloadCondition(metric: "cpu_busy", comparison: .greaterOrEqual, threshold: -0.5)
        for text in ["cpu_busy >= -0.5", "cpu_busy>=-0.5", " cpu_busy\t>=  -0.5 ", "cpu_busy\u{3000}>=\u{3000}-0.5", "cpu_busy >=-0.5"] {
            #expect(try OverloadCondition.parse(text).get() == expected, "\(text)")
        }
        let refusals: [(String, String)] = [
            ("cpu_busy > 1 2", #"expected "METRIC OP NUMBER" such as "http_p99_ms > 1000", got "cpu_busy > 1 2""#),
            ("cpu_busy >", #"expected "METRIC OP NUMBER" such as "http_p99_ms > 1000", got "cpu_busy >""#),
            (">= 1", #"expected "METRIC OP NUMBER" such as "http_p99_ms > 1000", got ">= 1""#),
            ("cpu_busy => 1", "unknown operator '=>'; use one of > >= < <="),
            ("cpu_busy \u{FF1E} 1", "unknown operator '\u{FF1E}'; use one of > >= < <="),
            ("cpu_busy > high", "'high' is not a number"),
            ("CPU > 1", "'CPU' is not a metric name (lower-case letters, digits and _)"),
        ]
        for (text, message) in refusals {
            #expect(OverloadCondition.parse(text) == .failure(.init(message)), "\(text)")
        }
    }

    @Test func aPendingRuleFiresOnlyWhenAsked() throws {
        let config = try ConfigLoader.parse("[overload]\nany = [\"cpu_busy > 0.6\"]\nfor_ticks = 3\n[alert]\nfire_on_pending_probability = 0.7\n",
                                            file: "pending.toml")
        #expect(config.alert.firePendingProbability == 0.7)
        #expect(config.alert.firing.hasSuffix(" or 0.7 a tick before the rule holds"), "\(config.alert.firing)")
        #expect(SurgeConfig().alert.firePendingProbability == 1, "off unless the operator sets it")
        #expect(!SurgeConfig().alert.firing.contains("rule holds"))
    }

    @Test func aLongAlertSettlesOnlyWhenAsked() throws {
        let config = try ConfigLoader.parse("[alert]\nfire_probability = 0.75\nsettle_probability = 0.4\nsettle_after = 60\n", file: "settle.toml")
        #expect(config.alert.settleProbability == 0.4 && config.alert.settleAfter == 60)
        #expect(config.alert.described().hasSuffix("resolve below 0.2 for 3 ticks or below 0.4 for 60 ticks"), "\(config.alert.described())")
        #expect(SurgeConfig().alert.settleProbability == 0, "off unless the operator sets it")
        #expect(!SurgeConfig().alert.described().contains(" or below "))
    }

    @Test func aPrometheusTextfileOnlyWhenNamed() throws {
        let config = try ConfigLoader.parse("[prometheus]\ntextfile = \"/run/surgewatch/surgewatch.prom\"\n", file: "textfile.toml")
        #expect(config.prometheus.textfile == "/run/surgewatch/surgewatch.prom")
        #expect(try ConfigLoader.parse("[prometheus]\ntextfile = \"\"\n", file: "off.toml").prometheus.textfile == nil)
        #expect(SurgeConfig().prometheus.textfile == nil, "no file unless the operator names one")
    }

    /// The trap of a labelled counter not made yet (no 5xx answered): a rule's error ratio
    /// written without `or 0` is warned of; with it, or read by nothing, it is not.
    @Test func aRuleOnALabelledRateWithoutFallbackIsWarnedOf() throws {
        func config(_ expression: String, rule: String = "shop_http_error_ratio > 0.01") throws -> SurgeConfig {
            try ConfigLoader.parse("""
                [overload]
                any = ["\(rule)"]
                [[sources.prometheus]]
                name = "shop"
                url = "http://127.0.0.1:8080/metrics"
                [sources.prometheus.metrics]
                http_error_ratio = '\(expression)'
                """, file: "cautions.toml")
        }
        let strict = #"ratio(rate(http_requests_total{code=~"5.."}), rate(http_requests_total))"#
        #expect(try config(strict).queryCautions == [
            #"sources.prometheus[0].metrics.http_error_ratio: shop_http_error_ratio is missing while no series matches "#
                + #"http_requests_total{code=~"5.."}, as before a shop's first 5xx (client libraries make a labelled series at its "#
                + "first count), and the [overload] rule and the model read it so; where none means zero, write 'rate(...) or 0'"])
        #expect(try config(#"ratio(rate(http_requests_total{code=~"5.."}) or 0, rate(http_requests_total))"#).queryCautions.isEmpty)
        #expect(try config(#"ratio(rate(http_requests_total), rate(http_requests_total{path="/buy"}))"#).queryCautions.isEmpty,
                "a denominator with no series: no traffic, unknown rightly")
        #expect(try config(strict, rule: "cpu_busy > 0.9").queryCautions.isEmpty, "read by neither the rule nor the model")
        let shipped = try ConfigLoader.load(path: Self.shipped.replacingOccurrences(of: "surgewatch.toml", with: "shop-example.toml"))
        #expect(shipped.queryCautions.isEmpty)
    }

    @Test func scheduleLevelsUseTheRulesSyntax() throws {
        let config = try ConfigLoader.parse("[schedule]\nsales = [\"daily 20:00\"]\nfire_when = [\"cpu_busy >= 0.3\"]\n", file: "level.toml")
        #expect(config.schedule.fireWhen == [OverloadCondition(metric: "cpu_busy", comparison: .greaterOrEqual, threshold: 0.3)])
        #expect(SurgeConfig().schedule.fireWhen.isEmpty, "no level unless the operator sets one")
        #expect(try ConfigLoader.parse("[schedule]\nlasts = \"2h\"\n", file: "lasts.toml").schedule.lasts == .seconds(7200))
        #expect(SurgeConfig().schedule.lasts == .seconds(1800))
    }

    @Test func alertmanagerTakesURLsLabelsAndTheHTTPSourcesOptions() throws {
        let config = try ConfigLoader.parse("""
            [alertmanager]
            urls = ["http://127.0.0.1:9093", "https://am.example.com/prefix/", "http://10.0.0.2:9093/api/v2/alerts"]
            timeout = "3s"
            resend = "30s"
            labels = { team = "shop", instance = "shop-eu-1" }
            headers = { Authorization = "Bearer x" }
            tls_ca_file = "/etc/ssl/certs/ca-certificates.crt"
            """, file: "am.toml")
        #expect(config.alertmanager.endpoints == ["http://127.0.0.1:9093/api/v2/alerts", "https://am.example.com/prefix/api/v2/alerts",
                                                  "http://10.0.0.2:9093/api/v2/alerts"], "a URL that names the API is taken as it is")
        #expect(config.alertmanager.timeout == .seconds(3) && config.alertmanager.resend == .seconds(30))
        #expect(config.alertmanager.labels == [.init(name: "team", value: "shop"), .init(name: "instance", value: "shop-eu-1")])
        #expect(config.alertmanager.request.described == "headers Authorization, trusting /etc/ssl/certs/ca-certificates.crt")
        #expect(SurgeConfig().alertmanager.urls.isEmpty, "none unless the operator names one")
        #expect(SurgeConfig().alertmanager.resend == .seconds(60), "Prometheus' resend delay")
    }

    @Test func fullConfigWithEverySource() throws {
        let path = Bundle.module.resourcePath! + "/Fixtures/good/all-sources.toml"
        let config = try ConfigLoader.load(path: path)
        #expect(config.sampling.interval == .seconds(5))
        #expect(config.sources.probes.map(\.name) == ["api", "shop"])
        #expect(config.sources.listenPorts == [80, 443])
        #expect(config.sources.probes[1].timeout == .milliseconds(1500))
        #expect(config.sources.probes[0].request.headers == [.init(name: "Host", value: "shop.example.com"), .init(name: "X-Probe", value: "surgewatch; tick")])
        #expect(config.sources.probes[1].request == .init(connectTo: "[::1]:8443", caFile: "/etc/ssl/certs/ca-certificates.crt", followRedirects: true))
        #expect(config.sources.probes[0].request.connectTo == nil && config.sources.probes[0].request.caFile == nil)
        #expect(!config.sources.probes[0].request.followRedirects, "off unless asked")
        #expect(config.sources.nginx.first?.request.headers == [.init(name: "X-Api-Key", value: "abc-123", file: Bundle.module.resourcePath! + "/Fixtures/good/nginx-api-key")],
                "its file's line, without the newline")
        #expect(config.sources.nginx.first?.request.described
                == "at unix:/run/nginx/status.sock, headers X-Api-Key (from \(Bundle.module.resourcePath!)/Fixtures/good/nginx-api-key)")
        #expect(config.sources.probes[1].request.described
                == "at [::1]:8443, trusting /etc/ssl/certs/ca-certificates.crt, following redirects on its host")
        #expect(config.sources.prometheus.first?.request.described == "headers Authorization", "never the value")
        #expect(try ConfigLoader.load(path: path, sourceFiles: false).sources.nginx.first?.request.headers == [], "a tool that reads no source")
        #expect(config.sources.prometheus.first?.request.headers == [.init(name: "Authorization", value: "Bearer abc")])
        #expect(config.sources.prometheus.first?.metrics.map(\.name) == ["http_rps", "http_error_ratio", "http_p99_ms"])
        #expect(config.sources.prometheus.first?.metrics[2].expression == "histogram_quantile(0.99, http_request_duration_seconds) * 1000")
        #expect(config.sources.cgroups == [SurgeConfig.Cgroup(name: nil, unit: "shop.service")])
        #expect(config.overload.any == [
            OverloadCondition(metric: "http_p99_ms", comparison: .greater, threshold: 1000),
            OverloadCondition(metric: "http_error_ratio", comparison: .greater, threshold: 0.01),
        ])
        #expect(config.overload.all.isEmpty)
        #expect(config.overload.forTicks == 2)
        #expect(config.model.features.contains("api_probe_latency_ms"))
        #expect(config.providedMetrics.contains("nginx_requests_per_s"))
        #expect(config.providedMetrics.contains("cgroup_psi_cpu_some_avg10"))
        #expect(config.store.retention == .seconds(7 * 86400))
        #expect(config.model.path == "/var/lib/surgewatch/custom.swm")
    }

    @Test(arguments: [
        ("10s", Duration.seconds(10)), ("5m", .seconds(300)), ("2h", .seconds(7200)), ("30d", .seconds(2_592_000)),
        ("500ms", .milliseconds(500)), ("1m30s", .seconds(90)), ("1.5s", .milliseconds(1500)),
    ])
    func durationsParse(text: String, duration: Duration) {
        #expect(DurationText.parse(text) == duration)
    }

    @Test(arguments: [("127.0.0.1:8443", true), ("shop-backend:80", true), ("[::1]:8443", true), ("[fe80::1]:1", true),
                      ("127.0.0.1", false), ("127.0.0.1:0", false), ("127.0.0.1:65536", false), (":80", false), ("[::1]8443", false),
                      ("[]:80", false), ("shop example:80", false), ("http://127.0.0.1:80", false), ("127.0.0.1:+80", false)])
    func connectToIsAHostAndAPort(text: String, valid: Bool) {
        #expect((ConfigLoader.hostAndPort(text) != nil) == valid)
    }

    /// A secret's file: absolute as written; relative in systemd's credentials directory
    /// (LoadCredential=) when there is one, else beside the config; its one line is the value.
    @Test func headerFilesAreFoundAndReadAsOneLine() throws {
        #expect(ConfigLoader.headerFilePath("/etc/token", config: "/etc/surgewatch/surgewatch.toml", credentials: "/run/credentials/surgewatch.service") == "/etc/token")
        #expect(ConfigLoader.headerFilePath("shop-token", config: "/etc/surgewatch/surgewatch.toml", credentials: "/run/credentials/surgewatch.service")
                == "/run/credentials/surgewatch.service/shop-token")
        #expect(ConfigLoader.headerFilePath("shop-token", config: "/etc/surgewatch/surgewatch.toml", credentials: nil) == "/etc/surgewatch/shop-token")
        #expect(ConfigLoader.headerFilePath("shop-token", config: "surgewatch.toml", credentials: nil) == "./shop-token")
        let directory = NSTemporaryDirectory() + "surgewatch-header-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (content, value) in [("Bearer abc\n", "Bearer abc"), ("Bearer abc", "Bearer abc"), ("Bearer abc\r\n", "Bearer abc")] {
            try content.write(toFile: directory + "/t", atomically: false, encoding: .utf8)
            #expect(try ConfigLoader.readHeaderFile(directory + "/t").get() == value)
        }
        try "Bearer abc\nsecond line\n".write(toFile: directory + "/t", atomically: false, encoding: .utf8)
        #expect(ConfigLoader.headerValueProblem(try ConfigLoader.readHeaderFile(directory + "/t").get())
                == "the value holds a control character (U+000A): a header's value is one line")
        try String(repeating: "x", count: 9000).write(toFile: directory + "/t", atomically: false, encoding: .utf8)
        #expect(throws: (any Error).self) { try ConfigLoader.readHeaderFile(directory + "/t").get() }
        // A FIFO would block the start until someone wrote to it: refused unread.
        #expect(mkfifo(directory + "/fifo", 0o600) == 0)
        #expect(throws: (any Error).self) { try ConfigLoader.readHeaderFile(directory + "/fifo").get() }
        if case .failure(let reason) = ConfigLoader.readHeaderFile(directory + "/fifo") { #expect(reason.description == "a FIFO, not a file holding a value") }
        #expect(ConfigLoader.notARegularFile(directory) == "a directory" && ConfigLoader.notARegularFile("/dev/null") == "a device")
    }

    @Test(arguments: ["", "10", "s", "10 s", "10 days", "-5s", "1e3s", "10S"])
    func badDurationsDoNot(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func durationsFormatBack() {
        #expect(DurationText.format(.seconds(90)) == "1m30s")
        #expect(DurationText.format(.milliseconds(250)) == "250ms")
        #expect(DurationText.format(.seconds(2_592_000)) == "30d")
    }

    /// Found by fuzzing: past Int64 milliseconds the conversion trapped (check-config crashed).
    @Test func durationsPastInt64MillisecondsSaturateAndFormatWithoutTrapping() {
        #expect(DurationText.parse("1m177777777777777777777777777777m1s") == .milliseconds(Int64.max))
        #expect(DurationText.parse("9223372036854775807s") == .milliseconds(Int64.max))
        #expect(DurationText.parse("9000000000000000s") == .seconds(9_000_000_000_000_000))
        #expect(DurationText.format(seconds: .infinity) == "infs")
        #expect(DurationText.format(seconds: 1e300) == "1e+300s")
        #expect(DurationText.format(seconds: -2) == "-2.0s")
        #expect(DurationText.format(.seconds(Int64.max)) == "9.223372036854776e+18s")
        #expect(DurationText.format(.milliseconds(Int64.max)).hasPrefix("106751991167d"))
    }
}
