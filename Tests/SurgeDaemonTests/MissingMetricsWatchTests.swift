import Testing
import SurgeConfig
import SurgeSampling
@testable import SurgeDaemon

/// A model feature or rule metric missing for a window of ticks in a row is said once, with
/// what it costs, and again when it is back: the default config on a host without
/// /proc/pressure, an exporter that stops giving a metric.
@Suite struct MissingMetricsWatchTests {
    /// The default config's features and rule metrics, and one more metric.
    static let schema = MetricSchema(["cpu_busy", "load1", "psi_cpu_some_avg10", "tcp_established", "tcp_listen_queue_ratio",
                                      "tcp_listen_overflows_per_s", "mem_available_ratio"])

    /// Every watched metric present, but those named missing; the rule holds at none.
    static func sample(_ tick: Int, missing: Set<String>) -> Sample {
        Sample(timestamp: Double(tick) * 10, tick: tick, schema: schema,
               values: schema.names.map { missing.contains($0) ? .nan : 0.1 })
    }

    /// Each tick's messages (none on most) over `ticks` ticks; the label is unknown while
    /// PSI is missing, as the default rule's `any` makes it.
    static func messages(_ config: SurgeConfig = SurgeConfig(), ticks: Int,
                         missing: (Int) -> Set<String>) -> [Int: [(level: MissingMetricsWatch.Level, text: String)]] {
        var watch = MissingMetricsWatch(config: config, schema: schema)
        var said: [Int: [(level: MissingMetricsWatch.Level, text: String)]] = [:]
        for tick in 1...ticks {
            let gone = missing(tick)
            let now = watch.observe(sample(tick, missing: gone), label: gone.contains("psi_cpu_some_avg10") ? nil : false)
            if !now.isEmpty { said[tick] = now }
        }
        return said
    }

    /// The warnings alone, by tick.
    static func warnings(_ config: SurgeConfig = SurgeConfig(), ticks: Int, missing: (Int) -> Set<String>) -> [Int: String] {
        messages(config, ticks: ticks, missing: missing).compactMapValues { list in list.first { $0.level == .warning }?.text }
    }

    @Test func aHostWithoutPressureIsToldOnceWithWhatItCosts() {
        let said = Self.warnings(ticks: 100) { _ in ["psi_cpu_some_avg10"] }
        #expect(Array(said.keys) == [30], "once, at the first full window: \(said)")
        #expect(said[30] == "psi_cpu_some_avg10 (a model feature, in [overload]) has been missing at every one of the first 30 ticks: "
                + "the model reads a missing feature as its training mean, and online learning takes no window while one is missing; "
                + "the [overload] rule was unknown at 30 of those ticks: such ticks get no label, and online learning no target from them. "
                + "/proc/pressure is absent, or refuses reads, on a kernel built without PSI, or booted with it off (psi=0, or CONFIG_PSI_DEFAULT_DISABLED): "
                + "psi=1 on the kernel command line turns it on; where PSI cannot be turned on, use without-psi.toml (config/ in the source, "
                + "share/doc/surgewatch/ when installed): the features and rule of a built-in model made for such hosts")
    }

    @Test func aFeatureAloneNamesOnlyTheModelsCost() {
        let said = Self.warnings(ticks: 40) { _ in ["tcp_established"] }
        #expect(said[30] == "tcp_established (a model feature) has been missing at every one of the first 30 ticks: "
                + "the model reads a missing feature as its training mean, and online learning takes no window while one is missing. "
                + "Otherwise leave them out of model.features and [overload] (with other features the daemon starts a fresh model that learns on this host)")
    }

    @Test func anOutageLaterIsSaidWhenItSpansAWindowAndAgainWhenItEnds() {
        // An exporter stops giving tcp_established from tick 101 to 180; a shorter gap at 50-78.
        let said = Self.messages(ticks: 300) { (101...180).contains($0) || (50...78).contains($0) ? ["tcp_established"] : [] }
        #expect(said.keys.sorted() == [130, 181], "\(said)")
        #expect(said[130]?.map(\.level) == [.warning])
        #expect(said[130]?.first?.text == "tcp_established (a model feature) has been missing at each of the last 30 ticks: "
                + "the model reads a missing feature as its training mean, and online learning takes no window while one is missing "
                + "(the source's own messages say why)")
        #expect(said[181]?.map(\.level) == [.notice])
        #expect(said[181]?.first?.text == "given again: tcp_established after 80 ticks missing")
    }

    @Test func withoutOnlineLearningItsCostIsNotNamed() {
        var config = SurgeConfig()
        config.learning.online = false
        let said = Self.warnings(config, ticks: 30) { _ in ["psi_cpu_some_avg10"] }
        #expect(said[30]?.hasPrefix("psi_cpu_some_avg10 (a model feature, in [overload]) has been missing at every one of the first 30 ticks: "
                                    + "the model reads a missing feature as its training mean; the [overload] rule was unknown at 30 of "
                                    + "those ticks: such ticks get no label. /proc/pressure is absent") == true, "\(said)")
    }

    @Test func aMetricSeenOnceOrUnwatchedIsNotSaid() {
        // Seen at ticks 17 and 40 of 60: never 30 in a row missing.
        #expect(Self.warnings(ticks: 60) { [17, 40].contains($0) ? [] : ["psi_cpu_some_avg10"] }.isEmpty)
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
