import Glibc

/// When the daemon logs its record over the last day: at its first tick of each local calendar
/// day, so at midnight the record covers yesterday. Counting a day of ticks from the start
/// instead never logged it on a daemon restarted more often than daily (a nightly deploy that
/// restarts rather than reloads), and logged it at whatever hour the daemon happened to start.
///
/// A start knows the newest tick stored before it: a daemon stopped over midnight logs the
/// record missed at its first tick, and a restart within the day logs nothing new. With `run
/// --tick-interval` the wall clock does not follow the ticks' pace, so a day is counted in
/// ticks of the config's interval from the start, as a drill runs a day in seconds.
struct DailyRecordSchedule {
    private enum Rule {
        /// `dayOf`: the local calendar day of a wall-clock time in seconds, as a number that
        /// grows by day.
        case calendarDay(last: Int?, dayOf: (Double) -> Int)
        /// `dayStart`: the time of the current day's first tick.
        case ticks(perDay: Int, dayStart: Double?)
    }

    private var rule: Rule
    /// Since when the record that `isDue` last called due reads the stored ticks: the last 24
    /// hours, or under a day counted in ticks that day's first tick, since the wall clock's last
    /// 24 hours hold every tick of an accelerated run.
    private(set) var recordSince: Double = 0

    /// Due at the first tick of each day of `dayOf`; `lastStored` is the newest tick stored
    /// before this start.
    init(lastStored: Double?, dayOf: @escaping (Double) -> Int = DailyRecordSchedule.localDay) {
        rule = .calendarDay(last: lastStored.map(dayOf), dayOf: dayOf)
    }

    /// Due every `ticksPerDay` ticks counted from the start.
    init(ticksPerDay: Int) {
        rule = .ticks(perDay: max(1, ticksPerDay), dayStart: nil)
    }

    /// Whether the record is due at the tick numbered `tick` (from 1) taken at `time`.
    mutating func isDue(tick: Int, at time: Double) -> Bool {
        switch rule {
        case .ticks(let perDay, let start):
            let dayStart = start ?? time
            let due = tick % perDay == 0
            rule = .ticks(perDay: perDay, dayStart: due ? nil : dayStart)
            if due { recordSince = dayStart }
            return due
        case .calendarDay(let last, let dayOf):
            let day = dayOf(time)
            // A clock set back to the day before moves the mark back with it, so the next
            // midnight is still due (that day's record is then logged twice, as the clock says).
            rule = .calendarDay(last: day, dayOf: dayOf)
            recordSince = time - 86400
            return last.map { day > $0 } ?? false
        }
    }

    /// The day in the system's time zone (TZ, else /etc/localtime), read by glibc.
    static func localDay(_ time: Double) -> Int {
        var seconds = time_t(time.rounded(.down))
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return Int(time / 86400) }
        return Int(parts.tm_year) * 366 + Int(parts.tm_yday)
    }
}
