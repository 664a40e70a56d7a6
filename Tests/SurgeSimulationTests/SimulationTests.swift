import Testing
import SurgeConfig
import SurgeDetection
import SurgeSampling
@testable import SurgeSimulation

@Suite struct SimulationTests {
    @Test func theSameSeedWritesTheSameTrace() {
        let a = DemandSeries.flashSales(days: 1, seed: 7).simulate(seed: 7)
        let b = DemandSeries.flashSales(days: 1, seed: 7).simulate(seed: 7)
        let c = DemandSeries.flashSales(days: 1, seed: 8).simulate(seed: 8)
        #expect(a.count == 8640 && a.schema.names == ShopService.metrics)
        #expect(a.values.elementsEqual(b.values) { $0 == $1 || ($0.isNaN && $1.isNaN) })
        #expect(!a.values.elementsEqual(c.values) { $0 == $1 || ($0.isNaN && $1.isNaN) })
    }

    /// The claim of ShopService: no static CPU threshold separates overload from normal, because
    /// slow dependencies overload the shop while its CPU idles and batch jobs fill the CPU
    /// without overload.
    @Test func cpuAloneCannotTellOverload() {
        let trace = DemandSeries.flashSales(days: 14, seed: 202).simulate(seed: 202)
        var rule = OverloadRule(SurgeConfig().overload, schema: trace.schema)
        let cpu = trace.schema.index(of: "cpu_busy")!
        var idleOverload = 0, busyNormal = 0, overload = 0
        for row in 0..<trace.count {
            let label = rule.label(trace.sample(row))
            let busy = trace.value(row: row, column: cpu)
            if label == true {
                overload += 1
                if busy < 0.5 { idleOverload += 1 }
            } else if label == false, busy > 0.8 {
                busyNormal += 1
            }
        }
        #expect(overload > 100)
        #expect(idleOverload > 20, "overload with the CPU below 50 %: \(idleOverload)")
        #expect(busyNormal > 100, "normal ticks with the CPU above 80 %: \(busyNormal)")
    }

    /// `hostSize`: a host k times the nominal one serves k times the demand alike. What is
    /// relative to the host (CPU, pressure, the listen queue's fill, latency) stays where it was;
    /// the counts and rates a model reads grow k-fold. Size 1 is the nominal shop, draw for draw.
    @Test func aLargerHostScalesItsCountsButNotItsUtilisation() throws {
        let series = DemandSeries.flashSales(days: 2, seed: 202)
        let nominal = series.simulate(seed: 202)
        var same = ShopService.Settings(), larger = ShopService.Settings()
        same.hostSize = 1
        larger.hostSize = 4
        #expect(series.simulate(seed: 202, settings: same).values.elementsEqual(nominal.values) { $0 == $1 || ($0.isNaN && $1.isNaN) })
        let big = series.simulate(seed: 202, settings: larger)
        func median(_ trace: Trace, _ name: String) throws -> Double {
            let values = try #require(trace.column(name)).filter(\.isFinite).sorted()
            return values[values.count / 2]
        }
        func mean(_ trace: Trace, _ name: String) throws -> Double {
            let values = try #require(trace.column(name)).filter(\.isFinite)
            return values.reduce(0, +) / Double(values.count)
        }
        for name in ["cpu_busy", "http_p99_ms"] {
            let ratio = try median(big, name) / median(nominal, name)
            #expect(abs(ratio - 1) < 0.1, "\(name): median × \(ratio) on a host 4 times the size")
        }
        for name in ["psi_cpu_some_avg10", "tcp_listen_queue_ratio"] {
            let (a, b) = (try mean(nominal, name), try mean(big, name))
            #expect(abs(b - a) < 0.25 * a + 0.01, "\(name): mean \(a) -> \(b) on a host 4 times the size")
        }
        for name in ["load1", "tcp_established", "http_rps", "net_rx_bytes_per_s"] {
            let ratio = try median(big, name) / median(nominal, name)
            #expect(ratio > 3.5 && ratio < 4.5, "\(name): median × \(ratio) on a host 4 times the size")
        }
    }

    /// The worker pool's busy gauge (`app_workers_busy_ratio`) tells which resource runs out: a
    /// worker-bound shop breaks its SLO with the pool full, and fills it only then, while a
    /// CPU-bound shop at full CPU still has workers to spare.
    @Test func theWorkerGaugeShowsWhichResourceRunsOut() throws {
        let series = DemandSeries.flashSales(days: 7, seed: 202)
        var workerBound = ShopService.Settings()
        workerBound.workers = 60
        for (settings, poolFull) in [(workerBound, true), (ShopService.Settings(), false)] {
            let trace = series.simulate(seed: 202, settings: settings)
            let gauge = try #require(trace.column("app_workers_busy_ratio"))
            let p99 = try #require(trace.column("http_p99_ms")), cpu = try #require(trace.column("cpu_busy"))
            var breached: [Double] = [], calmFull = 0, calm = 0, cpuBound: [Double] = []
            for row in gauge.indices where gauge[row].isFinite {
                #expect(gauge[row] >= 0 && gauge[row] <= 1)
                if p99[row] > 1000 {
                    breached.append(gauge[row])
                    if cpu[row] > 0.95 { cpuBound.append(gauge[row]) }
                } else {
                    calm += 1
                    if gauge[row] > 0.9 { calmFull += 1 }
                }
            }
            let meanBreached = breached.reduce(0, +) / Double(max(1, breached.count))
            #expect(breached.count > 100 && Double(calmFull) < 0.01 * Double(calm), "pool full on \(calmFull) of \(calm) calm ticks")
            if poolFull {
                #expect(meanBreached > 0.9, "a worker-bound shop breaks with its pool full: \(meanBreached)")
            } else {
                let meanCPUBound = cpuBound.reduce(0, +) / Double(max(1, cpuBound.count))
                #expect(cpuBound.count > 50 && meanCPUBound < 0.4, "full CPU, workers to spare: \(meanCPUBound) over \(cpuBound.count) ticks")
            }
        }
    }

    @Test func worldCupGapsStayMissingAndMinutesAreInterpolated() throws {
        let csv = """
            minute_utc,requests
            1998-06-11 00:00:00,600
            1998-06-11 00:01:00,1200
            1998-06-11 00:02:00,1200
            1998-06-11 00:05:00,600
            1998-06-11 00:06:00,600

            """
        let series = try DemandSeries.worldCup(Array(csv.utf8), path: "wc.csv")
        #expect(series.demand.count == 37)
        #expect(series.demand[0] == 10 && series.demand[3] == 15 && series.demand[6] == 20, "requests/min to requests/s, linear within a minute")
        #expect((12..<30).allSatisfy { series.demand[$0].isNaN }, "the missing minutes 00:03 and 00:04 are not invented")
        #expect(series.demand[30] == 10)
        let trace = series.simulate(seed: 1)
        #expect(trace.value(row: 15, column: 0).isNaN, "a tick without demand has no metrics")
        #expect(trace.value(row: 31, column: 0).isFinite)
    }

    /// The shop is sized by its trailing demand, including the days before the chosen period:
    /// a period that starts late must not begin with the capacity of the file's first minute.
    @Test func aLatePeriodStartsWithCapacitySizedByTheDaysBefore() throws {
        var csv = "minute_utc,requests\n1998-06-01 00:00:00,60\n"
        let start = 896_659_200 // 1998-06-01 00:00:00 UTC
        for minute in 1...(6 * 1440) {
            let t = start + minute * 60
            let day = 1 + t / 86400 - start / 86400, seconds = t % 86400
            csv += "1998-06-\(day < 10 ? "0" : "")\(day) \(pad(seconds / 3600)):\(pad(seconds / 60 % 60)):00,12000\n"
        }
        let late = try DemandSeries.worldCup(Array(csv.utf8), path: "wc.csv", from: Double(start + 4 * 86400))
        #expect(late.demand[0] == 200)
        // 2.5 × a trailing mean of ~120 requests/s after four days at 200 (half-life three days).
        #expect(late.capacity[0] > 0.14 && late.capacity[0] < 0.16, "capacity \(late.capacity[0])")
        let whole = try DemandSeries.worldCup(Array(csv.utf8), path: "wc.csv")
        let tickOfDay4 = 4 * 8640
        #expect(abs(whole.capacity[tickOfDay4] - late.capacity[0]) < 0.002, "the same shop, whether simulated from the start or not")
    }

    private func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    @Test func alibabaDaysBecomeATraceWithTheirOverlapDropped() throws {
        let header = "cpu_util_percent,mem_util_percent,net_in,net_out,disk_io_percent\n"
        // Day 1 holds one row too many (second 86,400 is day 2's first).
        var day1 = header
        for row in 0...8640 { day1 += "\(row == 8640 ? 99 : 50),80,30,20,\(row == 1 ? -1 : 5)\n" }
        let day2 = header + "61,81,31,21,101\n62,82,32,22,6\n"
        let trace = try AlibabaTrace.convert(days: [(Array(day1.utf8), "day_1.csv", 1), (Array(day2.utf8), "day_2.csv", 2)])
        #expect(trace.count == 8640 + 2)
        #expect(trace.timestamps[8640] - trace.timestamps[0] == 86400)
        #expect(trace.value(row: 0, column: 0) == 0.5 && trace.value(row: 0, column: 1) == 0.8, "percent to ratio")
        #expect(trace.value(row: 1, column: 4).isNaN && trace.value(row: 8640, column: 4).isNaN, "abnormal disk values (-1, 101) are missing")
        #expect(trace.value(row: 8640, column: 0) == 0.61, "day 2's first row, not day 1's extra one")
    }
}
