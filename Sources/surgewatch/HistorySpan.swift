import ArgumentParser
import Glibc
import SurgeConfig

/// `--since` and `--until` of the commands that read the stored history (`alerts`, `export`):
/// each a duration before now (`2h`) or a time with its offset from UTC, so that a past sale's
/// hour can be looked at, scored or exported alone.
struct HistorySpan: ParsableArguments {
    @Option(help: "Only since then: a duration before now (2h, 30d) or a time (2026-12-06T20:00:00+08:00).")
    var since: String?

    @Option(help: "Only until then, written the same way (default: now).")
    var until: String?

    func validate() throws {
        // Each alone: their order needs the real now, when one is a duration.
        _ = try since.map { try Self.moment($0, option: "--since", now: 0) }
        _ = try until.map { try Self.moment($0, option: "--until", now: 0) }
    }

    /// The Unix times the options name (nil where one is not given).
    func bounds(now: Double) throws -> (since: Double?, until: Double?) {
        let start = try since.map { try Self.moment($0, option: "--since", now: now) }
        let end = try until.map { try Self.moment($0, option: "--until", now: now) }
        if let start, let end, start >= end {
            throw ValidationError("--until (\(RFC3339.format(end))) must be later than --since (\(RFC3339.format(start)))")
        }
        return (start, end)
    }

    /// Now, to the fraction: a tick stored this second is in a span that ends now.
    static func now() -> Double {
        var clock = timespec()
        clock_gettime(CLOCK_REALTIME, &clock)
        return Double(clock.tv_sec) + Double(clock.tv_nsec) / 1e9
    }

    /// An RFC 3339 time, or a duration meaning that long before `now`.
    static func moment(_ text: String, option: String, now: Double) throws -> Double {
        if let time = RFC3339.parseWithZone(Array(text.utf8)[...]) {
            guard time.hasZone else { throw ValidationError("\(option): give the time's offset from UTC (Z or +08:00), got \(text)") }
            return time.seconds
        }
        guard let duration = DurationText.parse(text) else {
            throw ValidationError("\(option): expected a time such as 2026-12-07T10:00:00Z or a duration such as 3h, got \(text)")
        }
        return now - duration.seconds
    }
}
