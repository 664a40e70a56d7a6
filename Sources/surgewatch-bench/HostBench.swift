import ArgumentParser
import SurgeDetection
import SurgeSampling

/// One tick of host sampling, as the daemon does it: read and parse every /proc source, compute
/// the rates, append the sample to a 30-tick window.
struct HostBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "CPU time of one host-sampling tick (all /proc sources, rates, window append).")

    @Option(help: "Ticks to measure (after 100 warm-up ticks).")
    var ticks = 20_000

    @Option(help: "The /proc tree to read.")
    var procRoot = "/proc"

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        var sampler = HostSampler(procRoot: procRoot)
        let schema = MetricSchema(HostMetric.names)
        var window = SampleWindow(schema: schema, capacity: 30)
        var cpu: [Double] = []
        var wall: [Double] = []
        cpu.reserveCapacity(ticks)
        wall.reserveCapacity(ticks)
        var failures = 0
        for tick in 0..<(ticks + 100) {
            let cpuStart = threadCPUMicroseconds(), wallStart = wallMicroseconds()
            let reading = sampler.read(monotonicSeconds: wallStart / 1e6)
            window.append(Sample(timestamp: wallStart / 1e6, tick: tick + 1, schema: schema, values: reading.values))
            let cpuEnd = threadCPUMicroseconds(), wallEnd = wallMicroseconds()
            failures += reading.problems.filter { $0.kind == .failure }.count
            if tick >= 100 {
                cpu.append(cpuEnd - cpuStart)
                wall.append(wallEnd - wallStart)
            }
        }
        let cpuSummary = Summary(cpu), wallSummary = Summary(wall)
        if json {
            print("""
            {"bench":"host","ticks":\(ticks),"metrics":\(schema.count),"failures":\(failures),\
            "cpu_us_median":\(format(cpuSummary.median)),"cpu_us_p10":\(format(cpuSummary.p10)),"cpu_us_p99":\(format(cpuSummary.p99)),\
            "wall_us_median":\(format(wallSummary.median)),"wall_us_p99":\(format(wallSummary.p99)),\
            "peak_rss_kib":\(peakRSSKiB())}
            """)
        } else {
            print("host sampling, \(ticks) ticks of \(schema.count) metrics from \(procRoot) (\(failures) source failures)")
            print("  CPU per tick:  median \(format(cpuSummary.median)) µs, p10 \(format(cpuSummary.p10)) µs, p99 \(format(cpuSummary.p99)) µs")
            print("  wall per tick: median \(format(wallSummary.median)) µs, p99 \(format(wallSummary.p99)) µs")
            print("  peak RSS: \(peakRSSKiB()) KiB")
        }
    }
}
