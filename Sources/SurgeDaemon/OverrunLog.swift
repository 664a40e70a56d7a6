import SurgeConfig
import SurgeDetection

/// Says ticks that ran past their interval without flooding the journal. A host short of CPU
/// or I/O, during the very sale it watches, can make a 1 s tick overrun tick after tick; a
/// warning each time buried the alerts under them. As ProblemLog does for sources, the first
/// overrun is said at once and later ones at most once per `quietPeriod`, with how many were
/// not said.
struct OverrunLog {
    let quietPeriod: Double
    /// Overruns since the start.
    private(set) var overruns = 0
    private var lastSaid: (seconds: Double, overrunsThen: Int)?

    init(quietPeriod: Double = 60) {
        self.quietPeriod = quietPeriod
    }

    /// The warning for tick `tick`, which ended `ran` seconds after its deadline and made the
    /// schedule skip `skipped` deadlines, at `now` (monotonic seconds); nil while quiet.
    mutating func overran(tick: Int, ran: Double, skipped: Int, interval: Duration, atSeconds now: Double) -> String? {
        overruns += 1
        if let lastSaid, now - lastSaid.seconds < quietPeriod { return nil }
        let unsaid = overruns - 1 - (lastSaid?.overrunsThen ?? 0)
        lastSaid = (now, overruns)
        // To the millisecond: an overrun of a 1 s tick is a fraction of a second.
        let took = DurationText.format(.milliseconds(Int64((max(0, ran) * 1000).rounded())))
        var message = "tick \(tick) ran \(took), past the \(DurationText.format(interval)) interval; "
            + "skipped \(NumberText.counted(skipped, "tick")) to stay aligned"
        if unsaid > 0 { message += " (\(NumberText.counted(unsaid, "more overrun")) since the last report)" }
        return message
    }
}
