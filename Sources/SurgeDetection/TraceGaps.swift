/// The ticks a history is missing: where more than one tick and a half passed between two
/// stored samples (the daemon was stopped or stalled), the times of the ticks it would have
/// taken, so `export` writes the outage as rows of missing values. Without them `replay` and
/// `train` would take the ticks either side of an outage for neighbours: a window spanning a
/// weekend's downtime as five minutes, an overload's horizon reaching across it.
public struct TraceGaps: Sendable {
    public let tickSeconds: Double
    /// Outages filled so far, the ticks filled in, and the longest outage (seconds between the
    /// samples either side).
    public private(set) var outages = 0
    public private(set) var ticks = 0
    public private(set) var longest = 0.0

    public init(tickSeconds: Double) {
        self.tickSeconds = tickSeconds
    }

    /// The missing ticks' times between the samples at `previous` and `next`, a tick apart from
    /// `previous`, none within half a tick of `next`; empty when no tick is missing (jitter,
    /// a tick that ran late but under a tick and a half).
    public mutating func missingTicks(from previous: Double, to next: Double) -> [Double] {
        guard tickSeconds > 0, next - previous > 1.5 * tickSeconds else { return [] }
        var times: [Double] = []
        var k = 1.0
        while previous + k * tickSeconds <= next - 0.5 * tickSeconds {
            times.append(previous + k * tickSeconds)
            k += 1
        }
        outages += 1
        ticks += times.count
        longest = max(longest, next - previous)
        return times
    }
}
