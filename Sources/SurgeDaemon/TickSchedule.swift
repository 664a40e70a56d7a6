/// Tick deadlines on a monotonic clock: anchor + k × interval. Deadlines are computed from the
/// anchor, never from "now + interval", so ticks do not drift over hours; after an overrun the
/// missed deadlines are skipped (counted), not run back to back.
public struct TickSchedule<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    public let anchor: Instant
    public let interval: Duration
    /// Index of the deadline last handed out.
    public private(set) var index = 0

    public init(anchor: Instant, interval: Duration) {
        precondition(interval > .zero, "a tick interval must be positive")
        self.anchor = anchor
        self.interval = interval
    }

    public var currentDeadline: Instant { anchor.advanced(by: interval * index) }

    /// The first deadline at or after `now`, and how many deadlines were skipped because the
    /// tick that just ran finished after them.
    public mutating func next(after now: Instant) -> (deadline: Instant, skipped: Int) {
        let elapsed = anchor.duration(to: now)
        // The first k with anchor + k·interval >= now.
        let due = elapsed <= .zero ? 0 : Int((elapsed / interval).rounded(.up))
        let skipped = max(0, due - (index + 1))
        index = max(index + 1, due)
        return (currentDeadline, skipped)
    }
}
