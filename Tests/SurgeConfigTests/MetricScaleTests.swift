import Testing
@testable import SurgeConfig

/// What a metric's name says its numbers are, and the rules that cannot tell ticks apart.
@Suite struct MetricScaleTests {
    @Test func namesSayTheScale() {
        #expect(MetricScale(of: "cpu_busy") == .fraction)
        #expect(MetricScale(of: "cpu_steal") == .fraction)
        #expect(MetricScale(of: "mem_used_ratio") == .fraction)
        #expect(MetricScale(of: "shop_http_error_ratio") == .fraction)
        #expect(MetricScale(of: "psi_io_full_avg10") == .percent)
        #expect(MetricScale(of: "web_cgroup_psi_cpu_some_avg10") == .percent)
        #expect(MetricScale(of: "shop_probe_up") == .flag)
        #expect(MetricScale(of: "http_p99_ms") == .milliseconds)
        #expect(MetricScale(of: "queue_wait_seconds") == .seconds)
        #expect(MetricScale(of: "load1") == .other)
        #expect(MetricScale(of: "net_rx_bytes_per_s") == .other)
        // A name that only contains "cpu_busy" is not the host's CPU.
        #expect(MetricScale(of: "cpu_busy_cores") == .other)
    }

    private func vacuity(_ text: String) throws -> String? {
        MetricScale.vacuity(of: try OverloadCondition.parse(text).get())
    }

    @Test func aConditionIsVacuousOnlyWhenBothEndsOfTheRangeAgree() throws {
        // Either side of the range's ends: each can hold on some tick and not on another.
        for text in ["cpu_busy > 0.6", "cpu_busy >= 1", "cpu_busy > 0", "cpu_busy <= 0", "cpu_busy < 1",
                     "psi_cpu_some_avg10 > 99.5", "probe_up < 1", "probe_up >= 1", "load1 > 4000", "http_p99_ms > -1"] {
            #expect(try vacuity(text) == nil, "\(text)")
        }
        #expect(try vacuity("cpu_busy > 1") == "\"cpu_busy > 1\" can never hold: cpu_busy runs from 0 to 1")
        #expect(try vacuity("cpu_busy < 0") == "\"cpu_busy < 0\" can never hold: cpu_busy runs from 0 to 1")
        #expect(try vacuity("cpu_busy <= 1") == "\"cpu_busy <= 1\" holds on every tick: cpu_busy runs from 0 to 1")
        #expect(try vacuity("mem_used_ratio >= 0") == "\"mem_used_ratio >= 0\" holds on every tick: mem_used_ratio runs from 0 to 1")
        #expect(try vacuity("psi_mem_full_avg10 > 100") == "\"psi_mem_full_avg10 > 100\" can never hold: psi_mem_full_avg10 is a percent, from 0 to 100")
        #expect(try vacuity("probe_up > 1") == "\"probe_up > 1\" can never hold: probe_up is 1 (up) or 0 (down)")
    }

    @Test func aWholePercentWhereAFractionIsReadIsNamed() throws {
        #expect(try vacuity("cpu_busy > 85") == "\"cpu_busy > 85\" can never hold: cpu_busy runs from 0 to 1; 85 % is 0.85")
        #expect(try vacuity("http_error_ratio >= 100") == "\"http_error_ratio >= 100\" can never hold if http_error_ratio runs from 0 to 1, as its name says; 100 % is 1")
        // 1.5 is no likelier a percent than a slip of another kind; 250 is no percent at all.
        #expect(try vacuity("cpu_busy > 1.5") == "\"cpu_busy > 1.5\" can never hold: cpu_busy runs from 0 to 1")
        #expect(try vacuity("cpu_busy > 250") == "\"cpu_busy > 250\" can never hold: cpu_busy runs from 0 to 1")
    }

    @Test func theMetricsTheDaemonComputesAreKnownByName() {
        for metric in ["cpu_busy", "tcp_listen_queue_ratio", "psi_io_some_avg10", "probe_up", "shop_probe_up", "probe_latency_ms",
                       "web_cgroup_psi_cpu_some_avg10"] {
            #expect(MetricScale.isComputedHere(metric), "\(metric)")
        }
        // Named in a [[sources.prometheus]] table by the config's author.
        for metric in ["http_error_ratio", "cpu_ratio", "backend_up", "shop_cgroup_memory_bytes_ratio"] {
            #expect(!MetricScale.isComputedHere(metric), "\(metric)")
        }
    }

    /// A rule on an author-named `_ratio` past 1 is a warning, not a refusal: the query may
    /// count CPU cores. One on the host's own is refused (BadConfigTests).
    @Test func aConventionalRangeIsAWarning() throws {
        let text = """
            [[sources.prometheus]]
            url = "http://127.0.0.1:9090/metrics"
            metrics = { http_error_ratio = 'ratio(rate(errors_total), rate(requests_total))', cores_ratio = 'rate(process_cpu_seconds_total)' }
            [overload]
            any = ["http_error_ratio > 1", "cores_ratio > 2.5", "cpu_busy > 0.9"]
            [alert]
            hold = ["http_error_ratio >= 0"]
            """
        let config = try ConfigLoader.parse(text, file: "shop.toml")
        #expect(config.conditionCautions == [
            "overload.any[0]: \"http_error_ratio > 1\" can never hold if http_error_ratio runs from 0 to 1, as its name says",
            "overload.any[1]: \"cores_ratio > 2.5\" can never hold if cores_ratio runs from 0 to 1, as its name says",
            "alert.hold[0]: \"http_error_ratio >= 0\" holds on every tick if http_error_ratio runs from 0 to 1, as its name says",
        ])
        #expect(try ConfigLoader.parse("", file: "default.toml").conditionCautions.isEmpty)
    }

    private func parseFailure(_ text: String) -> String? {
        guard case .failure(let failure) = OverloadCondition.parse(text) else { return nil }
        return failure.message
    }

    @Test func aThresholdWithAUnitIsAnsweredInTheMetricsOwnUnit() {
        #expect(parseFailure("http_p99_ms > 1s") == "'1s' is not a number; http_p99_ms counts milliseconds: write 1000 for 1s")
        #expect(parseFailure("probe_latency_ms>1m30s") == "'1m30s' is not a number; probe_latency_ms counts milliseconds: write 90000 for 1m30s")
        #expect(parseFailure("queue_wait_seconds > 250ms") == "'250ms' is not a number; queue_wait_seconds counts seconds: write 0.25 for 250ms")
        #expect(parseFailure("http_error_ratio > 0.5%") == "'0.5%' is not a number; http_error_ratio runs from 0 to 1: write 0.005 for 0.5%")
        #expect(parseFailure("psi_cpu_some_avg10 > 40%") == "'40%' is not a number; psi_cpu_some_avg10 is a percent, from 0 to 100: write 40")
        #expect(parseFailure("load1 > 2s") == "'2s' is not a number; write the number alone, in load1's own unit")
        #expect(parseFailure("load1 > 4%") == "'4%' is not a number; write the number alone, in load1's own unit")
        // Not a number with a unit: nothing to convert, nothing guessed.
        #expect(parseFailure("load1 > 4x") == "'4x' is not a number")
        #expect(parseFailure("http_p99_ms > s") == "'s' is not a number")
        #expect(parseFailure("http_p99_ms > %") == "'%' is not a number")
    }
}
