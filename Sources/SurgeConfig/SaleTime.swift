import Glibc

/// When an announced flash sale starts (`[schedule] sales`): once, at a moment written in
/// RFC 3339 ("2026-12-12T20:00:00+08:00"), or every day at a wall-clock time, in the host's
/// time zone ("daily 20:00") or at a fixed offset from UTC ("daily 20:00+08:00").
public enum SaleTime: Equatable, Sendable, CustomStringConvertible {
    case once(unixSeconds: Double)
    /// `utcOffsetSeconds` nil: the system's zone (TZ, else /etc/localtime), daylight saving included.
    case daily(hour: Int, minute: Int, utcOffsetSeconds: Int?)

    /// The text as a config writes it, or nil. A single moment needs its offset from UTC.
    public static func parse(_ text: String) -> SaleTime? {
        if let moment = RFC3339.parseWithZone(ArraySlice(text.utf8)) {
            return moment.hasZone ? .once(unixSeconds: moment.seconds) : nil
        }
        let bytes = Array(text.utf8)
        let prefix = Array("daily ".utf8)
        guard bytes.count >= prefix.count + 5, Array(bytes[..<prefix.count]) == prefix else { return nil }
        let clock = Array(bytes[prefix.count...])
        func number(_ at: Int) -> Int? {
            guard at + 2 <= clock.count, clock[at...at + 1].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            return Int(clock[at] - 48) * 10 + Int(clock[at + 1] - 48)
        }
        guard let hour = number(0), clock[2] == UInt8(ascii: ":"), let minute = number(3), hour < 24, minute < 60 else { return nil }
        if clock.count == 5 { return .daily(hour: hour, minute: minute, utcOffsetSeconds: nil) }
        guard clock.count == 11, clock[5] == UInt8(ascii: "+") || clock[5] == UInt8(ascii: "-"),
              let offsetHours = number(6), clock[8] == UInt8(ascii: ":"), let offsetMinutes = number(9),
              offsetHours <= 14, offsetMinutes < 60 else { return nil }
        let offset = (offsetHours * 3600 + offsetMinutes * 60) * (clock[5] == UInt8(ascii: "+") ? 1 : -1)
        return .daily(hour: hour, minute: minute, utcOffsetSeconds: offset)
    }

    /// A date and time that would be a sale but for its missing offset ("2026-12-12T20:00:00"):
    /// read as UTC it would open the window hours off for a shop elsewhere, so it is refused.
    public static func lacksZone(_ text: String) -> Bool {
        RFC3339.parseWithZone(ArraySlice(text.utf8)).map { !$0.hasZone } ?? false
    }

    public var description: String {
        switch self {
        case .once(let seconds): return RFC3339.format(seconds)
        case .daily(let hour, let minute, let offset):
            func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
            guard let offset else { return "daily \(two(hour)):\(two(minute))" }
            let sign = offset < 0 ? "-" : "+"
            return "daily \(two(hour)):\(two(minute))\(sign)\(two(abs(offset) / 3600)):\(two(abs(offset) / 60 % 60))"
        }
    }

    /// The starts of this sale on the days around `time` (Unix seconds): one for a single
    /// sale, the day before's, the day's and the next day's for a daily one.
    public func starts(around time: Double) -> [Double] {
        switch self {
        case .once(let seconds):
            return [seconds]
        case .daily(let hour, let minute, let offset?):
            let shifted = time + Double(offset)
            let midnight = (shifted / 86400).rounded(.down) * 86400 - Double(offset)
            let today = midnight + Double(hour * 3600 + minute * 60)
            return [today - 86400, today, today + 86400]
        case .daily(let hour, let minute, nil):
            var seconds = time_t(time.rounded(.down))
            var parts = tm()
            guard localtime_r(&seconds, &parts) != nil else { return [] }
            return (-1...1).compactMap { dayOffset in
                // mktime normalises the day past a month's end and chooses the offset in force
                // on that day (tm_isdst -1), so a daily sale keeps its wall-clock time across
                // daylight-saving changes.
                var day = tm()
                day.tm_year = parts.tm_year
                day.tm_mon = parts.tm_mon
                day.tm_mday = parts.tm_mday + Int32(dayOffset)
                day.tm_hour = Int32(hour)
                day.tm_min = Int32(minute)
                day.tm_isdst = -1
                let start = mktime(&day)
                return start == -1 ? nil : Double(start)
            }
        }
    }
}

extension SurgeConfig.Schedule {
    /// The alert policy's addition, in words: ", or 0.7 in the 10m before each of 2 announced
    /// sales"; empty with no sale announced.
    public var firing: String {
        guard !sales.isEmpty else { return "" }
        let count = sales.count == 1 ? "the announced sale" : "each of \(sales.count) announced sales"
        let level = fireWhen.isEmpty ? "" : ", or on the tick before \(sales.count == 1 ? "it" : "each") while \(levelText)"
        return ", or \(fireProbability) in the \(DurationText.format(lead)) before \(count)" + level
    }

    /// `fire_when` in words: "cpu_busy >= 0.3 or load1 > 4".
    var levelText: String { fireWhen.map(\.description).joined(separator: " or ") }

    /// The first announced start after `time`, if any is still to come.
    public func nextStart(after time: Double) -> Double? {
        sales.flatMap { $0.starts(around: time) }.filter { $0 > time }.min()
    }

    /// For the log at start and reload: "3 announced sales, the next at 2026-12-12T12:00:00Z:
    /// a predicted alert fires at p >= 0.7 in the 10m before each"; nil with none.
    public func summary(now: Double) -> String? {
        guard !sales.isEmpty else { return nil }
        // A daily time in the host's zone is only as right as that zone: a container without
        // /etc/localtime reads "daily 20:00" as UTC, hours off, so the zone read is named.
        let inHostZone = sales.contains { if case .daily(_, _, nil) = $0 { true } else { false } }
        let upcoming = nextStart(after: now)
        let zone = inHostZone ? " (daily times read in this host's zone, \(Self.hostZone(at: upcoming ?? now)))" : ""
        let next = (upcoming.map { "the next at " + RFC3339.format($0) } ?? "none still to come") + zone
        let count = sales.count == 1 ? "1 announced sale" : "\(sales.count) announced sales"
        let level = fireWhen.isEmpty ? "" : ", and on the tick before each while \(levelText)"
        return "\(count), \(next): a predicted alert fires at p >= \(fireProbability) in the \(DurationText.format(lead)) before each" + level
    }

    /// The system's zone at `time` as the C library reads it (TZ, else /etc/localtime):
    /// "CST, UTC+08:00"; "UTC"; "UTC+00:00" alone when it has no name (TZ naming a missing file).
    static func hostZone(at time: Double) -> String {
        var seconds = time_t(time)
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return "unknown" }
        let offset = Int(parts.tm_gmtoff)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let utc = "UTC\(offset < 0 ? "-" : "+")\(two(abs(offset) / 3600)):\(two(abs(offset) / 60 % 60))"
        let name = parts.tm_zone.map { String(cString: $0) } ?? ""
        if name == "UTC" && offset == 0 { return name }
        return name.isEmpty ? utc : "\(name), \(utc)"
    }

    /// The announced start whose warning window holds a tick at `time`: a window opens `lead`
    /// before the start and closes one `interval` after it (the tick that first samples the
    /// sale's crowd). nil outside every window. Of two windows, the nearer start. For tick
    /// after tick, `AnnouncedStarts` gives the same answer for less.
    public func saleStart(at time: Double, interval: Double) -> Double? {
        Self.nearest(in: sales.flatMap { $0.starts(around: time) }, at: time, lead: lead.seconds, interval: interval)
    }

    /// Whether `[schedule] fire_when` is asked at a tick at `time` whose window is the sale
    /// starting at `saleStart`: on the last tick before the start only. The level there is the
    /// headroom the sale will meet; earlier in the window a quieter hour may still be ending,
    /// and from the first tick on the surge itself moves the level (p speaks for that tick).
    public static func asksLevel(at time: Double, saleStart: Double?, interval: Double) -> Bool {
        guard let saleStart else { return false }
        return saleStart > time && saleStart - time <= interval
    }

    static func nearest(in starts: [Double], at time: Double, lead: Double, interval: Double) -> Double? {
        var nearest: Double?
        for start in starts where time >= start - lead && time < start + interval {
            if nearest.map({ abs(start - time) < abs($0 - time) }) ?? true { nearest = start }
        }
        return nearest
    }
}

/// `Schedule.saleStart(at:interval:)` tick after tick: a daily sale in the host's zone costs a
/// localtime_r and three mktime calls per tick, which
/// halved replay's speed with two such sales. The starts around a time hold every start
/// within a day of it, and a window reaches at most `lead` (2 h) plus a tick from its start,
/// so they serve the hour after; then, or when time steps back, they are drawn again.
public struct AnnouncedStarts: Sendable {
    public let schedule: SurgeConfig.Schedule
    private var starts: [Double] = []
    private var validFrom = Double.infinity
    private var validUntil = -Double.infinity

    public init(_ schedule: SurgeConfig.Schedule) { self.schedule = schedule }

    public mutating func saleStart(at time: Double, interval: Double) -> Double? {
        guard !schedule.sales.isEmpty else { return nil }
        return SurgeConfig.Schedule.nearest(in: starts(around: time), at: time, lead: schedule.lead.seconds, interval: interval)
    }

    /// Every start within a day of `time`, drawn again an hour on or when time steps back.
    public mutating func starts(around time: Double) -> [Double] {
        if !(time >= validFrom && time < validUntil) {
            starts = schedule.sales.flatMap { $0.starts(around: time) }
            validFrom = time
            validUntil = time + 3600
        }
        return starts
    }
}
