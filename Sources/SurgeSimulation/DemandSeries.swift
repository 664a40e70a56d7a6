#if canImport(Glibc)
import Glibc
#endif
import SurgeDetection
import SurgeModel

/// Demand (requests/s per tick) for the shop simulation, and the capacity the shop runs.
public struct DemandSeries: Sendable {
    public var start: Double
    public var tickSeconds: Double
    /// requests/s per tick; NaN where the source has no data.
    public var demand: [Double]
    /// Capacity scale per tick (1 = ShopService's nominal 2,000 requests/s).
    public var capacity: [Double]
    /// Unix seconds at which each flash sale starts (its surge's first tick), in order: the
    /// schedule a shop announces, for `[schedule] sales`. Empty for the World Cup.
    public var saleStarts: [Double] = []

    /// The World Cup 1998 site's requests per minute (`minute_utc,requests`), spread over
    /// ticks by linear interpolation. Missing minutes stay missing (NaN), not invented. The
    /// shop provisions 2.5× its trailing three-day mean demand, as shops size for the usual
    /// peaks: traffic growth is absorbed, match-start flash crowds are not.
    public static func worldCup(_ bytes: [UInt8], path: String, tickSeconds: Double = 10,
                                from: Double = -.infinity, to: Double = .infinity) throws(TraceError) -> DemandSeries {
        var text = bytes
        if let first = text.firstIndex(of: UInt8(ascii: ",")) { text.replaceSubrange(0..<first, with: Array("timestamp".utf8)) }
        let minutes = try TraceCSV.parse(text, path: path)
        guard minutes.schema.names == ["requests"], minutes.count > 1 else {
            throw TraceError(path: path, line: 1, message: "expected the columns minute_utc,requests")
        }
        let first = max(minutes.timestamps[0], from), last = min(minutes.timestamps[minutes.count - 1], to)
        guard last > first else {
            let held = "\(TraceTime.rfc3339(minutes.timestamps[0])) to \(TraceTime.rfc3339(minutes.timestamps[minutes.count - 1]))"
            throw TraceError(path: path, line: 1, message: "no minutes in the chosen period: the file holds \(held)")
        }
        var series = DemandSeries(start: first, tickSeconds: tickSeconds, demand: [], capacity: [])
        var row = 0
        var t = first
        var mean = minutes.value(row: 0, column: 0) / 60
        let halfLife = 3 * 86400.0, keep = exp(-log(2) * tickSeconds / halfLife)
        // The shop was sized by the demand before the period too: warm the trailing mean on
        // those minutes, or a period starting late in the cup begins with April's capacity
        // (the 06-11 evaluation once opened with a day-long overload from exactly that).
        let keepPerMinute = exp(-log(2) * 60 / halfLife)
        for minute in 0..<minutes.count where minutes.timestamps[minute] < first {
            let value = minutes.value(row: minute, column: 0) / 60
            if value.isFinite { mean = keepPerMinute * mean + (1 - keepPerMinute) * value }
        }
        while t <= last {
            while row + 1 < minutes.count && minutes.timestamps[row + 1] <= t { row += 1 }
            var value = Double.nan
            if row + 1 < minutes.count {
                let (t0, t1) = (minutes.timestamps[row], minutes.timestamps[row + 1])
                // A gap longer than a minute is missing data.
                if t1 - t0 <= 60.5 {
                    let (v0, v1) = (minutes.value(row: row, column: 0), minutes.value(row: row + 1, column: 0))
                    value = (v0 + (v1 - v0) * (t - t0) / (t1 - t0)) / 60
                }
            }
            if value.isFinite { mean = keep * mean + (1 - keep) * value }
            series.demand.append(value)
            series.capacity.append(max(0.05, 2.5 * mean / 2000))
            t += tickSeconds
        }
        return series
    }

    /// Synthetic flash sales on a daily rhythm: 300 requests/s on average, busier in the
    /// evening; about `salesPerDay` sales a day, each announced by a warm-up (visitors gather,
    /// demand creeps up over 10-30 minutes, more so before bigger sales), then a near-vertical surge to 2-8× at the sale's
    /// start (within one to three ticks) and an exponential decay over 5-30 minutes. Roughly
    /// half of the sales exceed the shop's capacity; the rest it absorbs.
    public static func flashSales(days: Double, seed: UInt64, tickSeconds: Double = 10, salesPerDay: Double = 2,
                                  start: Double = 1_767_225_600) -> DemandSeries {
        var random = SeededGenerator(seed: seed ^ 0xf1a54)
        let ticks = Int(days * 86400 / tickSeconds)
        var base = [Double](repeating: 0, count: ticks)
        for tick in 0..<ticks {
            let hour = (Double(tick) * tickSeconds).truncatingRemainder(dividingBy: 86400) / 3600
            base[tick] = 300 * (1 + 0.5 * sin(2 * Double.pi * (hour - 14) / 24))
        }
        var demand = base
        var saleStarts: [Double] = []
        var tick = 0
        while true {
            // Gaps between sales: exponential with the chosen rate.
            tick += Int(-log(max(Double(random.nextUnitFloat()), 1e-6)) * 86400 / salesPerDay / tickSeconds)
            guard tick < ticks else { break }
            saleStarts.append(start + Double(tick) * tickSeconds)
            let warmup = Int((600 + Double(random.nextUnitFloat()) * 1200) / tickSeconds)
            let peak = 2 + 6 * Double(random.nextUnitFloat())
            // Bigger sales draw more visitors ahead of the start (announcements, countdowns).
            let gather = 1 + (peak - 1) * (0.12 + 0.08 * Double(random.nextUnitFloat()))
            let rise = 1 + Int(random.next() % 3)
            let decay = (300 + Double(random.nextUnitFloat()) * 1500) / tickSeconds
            for offset in -warmup..<Int(6 * decay) {
                let index = tick + offset
                guard index >= 0 && index < ticks else { continue }
                let factor: Double
                if offset < 0 {
                    factor = 1 + (gather - 1) * Double(warmup + offset) / Double(warmup)
                } else if offset < rise {
                    factor = gather + (peak - gather) * Double(offset + 1) / Double(rise)
                } else {
                    factor = 1 + (peak - 1) * exp(-Double(offset - rise) / decay)
                }
                demand[index] = max(demand[index], base[index] * factor)
            }
            tick += warmup
        }
        return DemandSeries(start: start, tickSeconds: tickSeconds, demand: demand,
                            capacity: [Double](repeating: 1, count: ticks), saleStarts: saleStarts)
    }

    /// The metric trace of the shop serving this demand.
    public func simulate(seed: UInt64, settings: ShopService.Settings = ShopService.Settings()) -> Trace {
        var service = ShopService(settings: settings, tickSeconds: tickSeconds, seed: seed)
        var trace = Trace(schema: .init(ShopService.metrics))
        for tick in demand.indices {
            service.capacityScale = capacity[tick]
            trace.append(timestamp: start + Double(tick) * tickSeconds, row: service.step(demand: demand[tick]))
        }
        return trace
    }
}

/// Alibaba's 2018 cluster trace (`cpu_util_percent,mem_util_percent,net_in,net_out,
/// disk_io_percent`, one row per 10 s, no timestamps) as a surgewatch trace: percentages to
/// ratios, the normalised network figures kept as they are under the net_* names, and the
/// trace's abnormal disk values (−1, 101) marked missing. Day N starts at `start + (N−1) days`;
/// a row that would fall on or after the next converted day's first second is dropped (day 1
/// holds 8,641 rows: its last one is second 86,400).
public enum AlibabaTrace {
    public static let metrics = ["cpu_busy", "mem_used_ratio", "net_rx_bytes_per_s", "net_tx_bytes_per_s", "disk_busy_ratio"]

    public static func convert(days: [(bytes: [UInt8], path: String, day: Int)], start: Double = 1_514_764_800) throws(TraceError) -> Trace {
        var trace = Trace(schema: .init(metrics))
        for (position, day) in days.enumerated() {
            let nextDayStart = position + 1 < days.count ? start + Double(days[position + 1].day - 1) * 86400 : Double.infinity
            var text = Array("timestamp,".utf8)
            var line = 0
            var lineStart = true
            for byte in day.bytes {
                if lineStart && line > 0 {
                    text += Array("\(Int(start) + (day.day - 1) * 86400 + (line - 1) * 10),".utf8)
                }
                lineStart = byte == UInt8(ascii: "\n")
                if lineStart { line += 1 }
                text.append(byte)
            }
            let part = try TraceCSV.parse(text, path: day.path)
            guard part.schema.names == ["cpu_util_percent", "mem_util_percent", "net_in", "net_out", "disk_io_percent"] else {
                throw TraceError(path: day.path, line: 1, message: "expected the columns cpu_util_percent,mem_util_percent,net_in,net_out,disk_io_percent")
            }
            for row in 0..<part.count where part.timestamps[row] < nextDayStart {
                let disk = part.value(row: row, column: 4)
                trace.append(timestamp: part.timestamps[row], row: [
                    part.value(row: row, column: 0) / 100, part.value(row: row, column: 1) / 100,
                    part.value(row: row, column: 2), part.value(row: row, column: 3),
                    (0...100).contains(disk) ? disk / 100 : .nan,
                ])
            }
        }
        return trace
    }
}
