import Foundation
import Testing

/// The binary with every application source configured against a real HTTP server on
/// 127.0.0.1 (Tests/SurgeSourcesTests/Fixtures/test_http_server.py): the shop's metrics reach
/// the tick output, and a probe that times out costs its own metrics, not the tick.
@Suite(.serialized) struct ApplicationSourcesEndToEndTests {
    static let server = DaemonProcess.repository + "/Tests/SurgeSourcesTests/Fixtures/test_http_server.py"
    static let cgroups = DaemonProcess.repository + "/Tests/SurgeSourcesTests/Fixtures/cgroup-v2/t0"

    /// The sources' test server on 127.0.0.1 (or on the unix socket `unixSocket`, then port 0),
    /// killed with this object; `sampling`: the config's first lines, one-second ticks over the
    /// fixture /proc.
    final class Server {
        let process = Process()
        let base: String
        let port: Int
        let sampling = "[sampling]\ninterval = \"1s\"\nproc_root = \"\(DaemonEndToEndTests.fixtures)/t2\"\n"

        init(unixSocket: String? = nil) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            // The first line comes once the server listens, the socket file made.
            process.arguments = ["python3", ApplicationSourcesEndToEndTests.server] + (unixSocket.map { ["--unix", $0] } ?? [])
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            port = try #require(String(data: out.fileHandleForReading.availableData, encoding: .utf8)
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
            base = "http://127.0.0.1:\(port)"
        }

        deinit {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The metrics of one `--tick-output json` line, null where missing.
    static func values(ofTick line: String) throws -> [String: Any]? {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["values"] as? [String: Any]
    }

    @Test func everySourceFeedsTheTickAndASlowOneDoesNotStallIt() throws {
        let server = try Server(), base = server.base
        defer { withExtendedLifetime(server) {} }  // up to here: its deinit stops the server
        let scratch = try Scratch(config: server.sampling + """
            cgroup_root = "\(Self.cgroups)"
            [[sources.probe]]
            name = "api"
            url = "\(base)/health"
            [[sources.probe]]
            name = "slow"
            url = "\(base)/slow/5000"
            timeout = "300ms"
            [[sources.prometheus]]
            url = "\(base)/metrics"
            timeout = "500ms"
            [sources.prometheus.metrics]
            http_rps = 'rate(http_requests_total)'
            http_error_ratio = 'ratio(rate(http_requests_total{code=~"5.."}), rate(http_requests_total))'
            http_p99_ms = 'histogram_quantile(0.99, http_request_duration_seconds) * 1000'
            [[sources.nginx]]
            url = "\(base)/nginx_status"
            timeout = "500ms"
            [[sources.cgroup]]
            unit = "shop.service"
            """)
        let started = Date()
        // A proxy in the environment (a shell's, or systemd's DefaultEnvironment=) where none
        // listens: the sources read the shop, not through it.
        let proxy = "http://127.0.0.1:9"
        let daemon = try DaemonProcess(["run", "--config", scratch.config, "--state-dir", scratch.state,
                                        "--max-ticks", "4", "--tick-output", "json"],
                                       environment: ["http_proxy": proxy, "HTTPS_PROXY": proxy, "ALL_PROXY": proxy])
        #expect(daemon.waitForExit(.seconds(20)) == 0, "\(daemon.stderr)")
        // Four ticks one second apart: the 5 s endpoint must not stretch them.
        #expect(Date().timeIntervalSince(started) < 8, "\(daemon.stderr)")
        let ticks = try daemon.stdoutLines.map(Self.values(ofTick:))
        #expect(ticks.count == 4)
        let last = try #require(ticks.last ?? nil)
        #expect(last["api_probe_up"] as? Double == 1)
        #expect((last["api_probe_latency_ms"] as? Double).map { $0 > 0 && $0 < 1000 } == true)
        #expect(last["slow_probe_up"] as? Double == 0)
        #expect(last["slow_probe_latency_ms"] as? Double == 300, "no answer in time: at least the timeout")
        // The server counts 100 requests (5 failed) per scrape, one scrape per tick.
        let rps = try #require(last["http_rps"] as? Double)
        #expect(rps > 50 && rps < 200, "\(rps)")
        #expect(last["http_error_ratio"] as? Double == 0.05)
        #expect(last["http_p99_ms"] as? Double == 750)
        #expect((last["nginx_requests_per_s"] as? Double).map { $0 > 20 && $0 < 100 } == true)
        #expect(last["cgroup_memory_bytes"] as? Double == 52_297_728)
        // The slow probe's failure is logged once, not once per tick.
        let reports = daemon.stderr.components(separatedBy: "\n").filter { $0.contains("source probe slow failed") }
        #expect(reports.count == 1, "\(daemon.stderr)")
        #expect(reports.first?.contains("no complete response within 300ms") == true)
    }

    /// A shop behind a name-based virtual host, probed with its Host header, and a /metrics
    /// behind a bearer token read from systemd's credentials directory (what the unit's
    /// `LoadCredential=` gives it), read again at SIGHUP, and never written to the log.
    @Test func headersReachAVirtualHostAndATokenFromTheCredentials() throws {
        let server = try Server(), base = server.base
        defer { withExtendedLifetime(server) {} }  // up to here: its deinit stops the server
        let scratch = try Scratch(config: server.sampling + """
            [[sources.probe]]
            name = "shop"
            url = "\(base)/vhost/shop.example.com"
            headers = { Host = "shop.example.com" }
            [[sources.probe]]
            name = "byname"
            url = "http://shop.example.com:\(server.port)/vhost/shop.example.com"
            connect_to = "127.0.0.1:\(server.port)"
            [[sources.prometheus]]
            url = "\(base)/auth/s3cret-token/metrics"
            header_files = { Authorization = "shop-metrics-token" }
            [sources.prometheus.metrics]
            http_rps = 'rate(http_requests_total)'
            """)
        let credentials = scratch.directory + "/credentials"
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        let token = credentials + "/shop-metrics-token"
        try "Bearer s3cret-token\n".write(toFile: token, atomically: true, encoding: .utf8)
        chmod(token, 0o400)
        // check-config as the unit would read it: the header file found, its value not shown.
        let check = try DaemonProcess(["check-config", scratch.config], environment: ["CREDENTIALS_DIRECTORY": credentials])
        #expect(check.waitForExit(.seconds(10)) == 0, "\(check.stderr)")
        #expect(check.stdoutLines.contains("source prometheus: GET \(base)/auth/s3cret-token/metrics, headers Authorization (from \(token))"),
                "\(check.stdout)")
        #expect(check.stdoutLines.contains("source probe byname: GET http://shop.example.com:\(server.port)/vhost/shop.example.com, at 127.0.0.1:\(server.port)"),
                "\(check.stdout)")
        #expect(!check.stdout.contains("Bearer"))
        let daemon = try DaemonProcess(["run", "--config", scratch.config, "--state-dir", scratch.state, "--tick-output", "json"],
                                       environment: ["CREDENTIALS_DIRECTORY": credentials])
        #expect(daemon.waitFor(.seconds(20)) { $0.stdoutLines.count >= 3 }, "\(daemon.stderr)")
        let third = try Self.values(ofTick: daemon.stdoutLines[2])
        #expect(third?["shop_probe_up"] as? Double == 1, "the virtual host answered its own name: \(daemon.stderr)")
        #expect(third?["byname_probe_up"] as? Double == 1, "the shop's name connected to 127.0.0.1: \(daemon.stderr)")
        #expect((third?["http_rps"] as? Double).map { $0 > 50 && $0 < 200 } == true, "scraped with the token: \(daemon.stderr)")
        #expect(!daemon.stderr.contains("failed"), "\(daemon.stderr)")
        // The credential replaced (a rotated token, here a wrong one): read again at SIGHUP.
        try FileManager.default.removeItem(atPath: token)
        try "Bearer rotated\n".write(toFile: token, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(daemon.waitFor(.seconds(20)) { $0.stderr.contains("source prometheus \(base)/auth/s3cret-token/metrics failed: "
                                                                  + "\(base)/auth/s3cret-token/metrics: HTTP 401") }, "\(daemon.stderr)")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(.seconds(10)) == 0, "\(daemon.stderr)")
        #expect(!(daemon.stderr + daemon.stdout).contains("rotated") && !daemon.stderr.contains("Bearer"), "no secret in the log")
    }

    /// A shop SLO's error rule over an app that has not answered a 5xx yet, whose client
    /// library therefore exports no `code="5xx"` series: with the shipped example's query (its
    /// `or 0`) the error ratio is 0 and the rule's verdict known on every calm tick (without it,
    /// before session 63, the ratio was missing and the rule unknown, so online learning had
    /// no label); written without `or 0` it is missing and the log says why, once, as it says a
    /// misspelled series.
    @Test func anErrorRatioWithNoErrorsYetIsZeroAndATypoIsSaid() throws {
        let example = try String(contentsOfFile: DaemonProcess.repository + "/config/shop-example.toml", encoding: .utf8)
        let shipped = try #require(example.split(separator: "\n").first { $0.hasPrefix("http_error_ratio = ") })
        let server = try Server(), base = server.base
        defer { withExtendedLifetime(server) {} }  // up to here: its deinit stops the server
        let scratch = try Scratch(config: server.sampling + """
            [overload]
            any = ["http_error_ratio > 0.01"]
            [[sources.prometheus]]
            url = "\(base)/lazy/metrics"
            [sources.prometheus.metrics]
            \(shipped)
            strict_error_ratio = 'ratio(rate(http_requests_total{code=~"5.."}), rate(http_requests_total))'
            http_rps = 'rate(http_request_total)'
            """)
        let daemon = try DaemonProcess(["run", "--config", scratch.config, "--state-dir", scratch.state,
                                        "--max-ticks", "4", "--tick-output", "json"])
        #expect(daemon.waitForExit(.seconds(20)) == 0, "\(daemon.stderr)")
        let ticks = try daemon.stdoutLines.map(Self.values(ofTick:))
        #expect(ticks.count == 4)
        #expect(ticks.dropFirst().allSatisfy { $0?["http_error_ratio"] as? Double == 0 }, "\(shipped): \(ticks)")
        #expect(ticks.allSatisfy { $0?["strict_error_ratio"] is NSNull }, "\(ticks)")
        let lines = daemon.stderr.components(separatedBy: "\n")
        let typo = lines.filter { $0.contains("no series named http_request_total") }
        #expect(typo.count == 1 && typo[0].contains("did you mean http_requests_total?"), "\(daemon.stderr)")
        let unmatched = lines.filter { $0.contains("matches http_requests_total{code=~\"5..\"}") }
        #expect(unmatched.count == 1 && unmatched[0].contains("write 'rate(...) or 0'"), "\(daemon.stderr)")
        #expect(!daemon.stderr.contains("failed"), "notices, not failures: \(daemon.stderr)")
    }

    /// `check-config --fetch`: the config tried against the shop before it is applied, each
    /// application source read twice as the daemon reads it, with its values and what it said.
    @Test func checkConfigFetchReadsEachSourceAndSaysWhy() throws {
        let server = try Server(), base = server.base
        defer { withExtendedLifetime(server) {} }  // up to here: its deinit stops the server
        let scratch = try Scratch(config: server.sampling + """
            [overload]
            any = ["http_error_ratio > 0.01"]
            [[sources.probe]]
            name = "shop"
            url = "\(base)/health"
            [[sources.prometheus]]
            url = "\(base)/lazy/metrics"
            [sources.prometheus.metrics]
            http_error_ratio = 'ratio(rate(http_requests_total{code=~"5.."}) or 0, rate(http_requests_total))'
            http_rps = 'rate(http_request_total)'
            [[sources.nginx]]
            url = "http://127.0.0.1:1/nginx_status"
            """)
        let (code, out, err) = try DaemonProcess.run(["check-config", "--fetch", scratch.config])
        #expect(code == 0, "a source that fails is said, the config still valid: \(err)")
        let lines = out.components(separatedBy: "\n")
        #expect(lines.contains { $0.hasPrefix("fetched probe shop: shop_probe_latency_ms ") && $0.hasSuffix(", shop_probe_up 1") }, "\(out)")
        #expect(lines.contains("fetched prometheus \(base)/lazy/metrics: http_error_ratio 0, http_rps missing"), "\(out)")
        #expect(lines.contains { $0.hasPrefix("  note: ") && $0.hasSuffix("did you mean http_requests_total?") }, "\(out)")
        #expect(lines.contains { $0.hasPrefix("  failed: http://127.0.0.1:1/nginx_status: connection failed: ") }, "\(out)")
        // Without the flag nothing is fetched.
        let (_, plain, _) = try DaemonProcess.run(["check-config", scratch.config])
        #expect(!plain.contains("fetched"))
    }
}
