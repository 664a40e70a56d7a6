/// The ticks a history is missing: where more than one tick and a half passed between two
/// stored samples (the daemon was stopped or stalled), the times of the ticks it would have
/// taken, so `export` writes the outage as rows of missing values. Without them `replay` and
/// `train` would take the ticks either side of an outage for neighbours: a window spanning a
/// weekend's downtime as five minutes, an overload's horizon reaching across it.
///
/// An outage longer than `longestFill` ticks is filled with its first `longestFill` only:
/// that is more than any window, horizon, `for_ticks` or `resolve_after` reaches, so what
/// follows reads as after a long gap either way, and a month's downtime at 1 s ticks is not
/// 2.6 million empty rows. (Replay counts days by the timestamps' span, so the false alarms
/// a day do not change.)
public struct TraceGaps: Sendable {
    /// A day of 10 s ticks; window.ticks (2,880) + horizon_ticks (360) + for_ticks or
    /// resolve_after (1,000 each) at their limits stay under it.
    public static let longestFill = 8_640

    public let tickSeconds: Double
    /// Outages filled so far, the ticks filled in, the longest outage (seconds between the
    /// samples either side), and the outages filled only in part.
    public private(set) var outages = 0
    public private(set) var ticks = 0
    public private(set) var longest = 0.0
    public private(set) var shortened = 0

    public init(tickSeconds: Double) {
        self.tickSeconds = tickSeconds
    }

    /// The missing ticks' times between the samples at `previous` and `next`, a tick apart from
    /// `previous`, none within half a tick of `next`, at most `longestFill`; empty when no
    /// tick is missing (jitter, a tick that ran late but under a tick and a half).
    public mutating func missingTicks(from previous: Double, to next: Double) -> [Double] {
        guard tickSeconds > 0, next - previous > 1.5 * tickSeconds else { return [] }
        var times: [Double] = []
        var k = 1.0
        while previous + k * tickSeconds <= next - 0.5 * tickSeconds {
            guard times.count < Self.longestFill else {
                shortened += 1
                break
            }
            times.append(previous + k * tickSeconds)
            k += 1
        }
        outages += 1
        ticks += times.count
        longest = max(longest, next - previous)
        return times
    }
}
