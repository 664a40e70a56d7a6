import Testing
import SurgeConfig
import SurgeSampling
@testable import SurgeDaemon

/// A model feature or rule metric no tick gives is said once, at the first full window, with
/// what it costs: the default config on a host without /proc/pressure.
@Suite struct NeverSeenMetricsTests {
    /// The default config's features and rule metrics, and one more metric.
    static let schema = MetricSchema(["cpu_busy", "load1", "psi_cpu_some_avg10", "tcp_established", "tcp_listen_queue_ratio",
                                      "tcp_listen_overflows_per_s", "mem_available_ratio"])

    /// Every watched metric present, but those named missing; the rule holds at none.
    static func sample(_ tick: Int, missing: Set<String>) -> Sample {
        Sample(timestamp: Double(tick) * 10, tick: tick, schema: schema,
               values: schema.names.map { missing.contains($0) ? .nan : 0.1 })
    }

    /// Each tick's warning (nil when none) over `ticks` ticks; the label is unknown while
    /// PSI is missing, as the default rule's `any` makes it.
    static func warnings(_ config: SurgeConfig = SurgeConfig(), ticks: Int, missing: (Int) -> Set<String>) -> [Int: String] {
        var watch = NeverSeenMetrics(config: config, schema: schema)
        var said: [Int: String] = [:]
        for tick in 1...ticks {
            let gone = missing(tick)
            said[tick] = watch.observe(sample(tick, missing: gone), label: gone.contains("psi_cpu_some_avg10") ? nil : false)
        }
        return said
    }

    @Test func aHostWithoutPressureIsToldOnceWithWhatItCosts() {
        let said = Self.warnings(ticks: 100) { _ in ["psi_cpu_some_avg10"] }
        #expect(Array(said.keys) == [30], "once, at the first full window: \(said)")
        #expect(said[30] == "psi_cpu_some_avg10 (a model feature, in [overload]) has been missing at every one of the first 30 ticks: "
                + "the model reads a missing feature as its training mean, and online learning takes no window while one is missing; "
                + "the [overload] rule was unknown at 30 of those ticks: such ticks get no label, and online learning no target from them. "
                + "/proc/pressure is absent on a kernel built without PSI or booted with it off (CONFIG_PSI_DEFAULT_DISABLED, psi=0): "
                + "psi=1 on the kernel command line turns it on. Otherwise leave them out of model.features and [overload] "
                + "(with other features the daemon starts a fresh model that learns on this host)")
    }

    @Test func aFeatureAloneNamesOnlyTheModelsCost() {
        let said = Self.warnings(ticks: 40) { _ in ["tcp_established"] }
        #expect(said[30] == "tcp_established (a model feature) has been missing at every one of the first 30 ticks: "
                + "the model reads a missing feature as its training mean, and online learning takes no window while one is missing. "
                + "Otherwise leave them out of model.features and [overload] (with other features the daemon starts a fresh model that learns on this host)")
    }

    @Test func aMetricSeenOnceOrUnwatchedIsNotSaid() {
        // Seen at tick 17 only: the source works, its outages are the sources' to report.
        #expect(Self.warnings(ticks: 60) { $0 == 17 ? [] : ["psi_cpu_some_avg10"] }.isEmpty)
        // Not a feature nor in the rule.
        #expect(Self.warnings(ticks: 60) { _ in ["mem_available_ratio"] }.isEmpty)
        #expect(Self.warnings(ticks: 60) { _ in [] }.isEmpty)
    }

    @Test func theNetlinkMetricsOffProcAreLeftToTheStartsWarning() {
        var config = SurgeConfig()
        config.sampling.procRoot = "/tmp/another-proc"
        #expect(config.netlinkMetricsLeftMissing == ["tcp_listen_queue_ratio"])
        let said = Self.warnings(config, ticks: 30) { _ in ["tcp_listen_queue_ratio", "cpu_busy"] }
        #expect(said[30]?.hasPrefix("cpu_busy (a model feature) has been missing") == true, "\(said)")
    }
}
