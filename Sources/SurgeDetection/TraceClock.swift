import Synchronization

/// Time taken from the data: replay sets it to each trace row's timestamp before observing
/// that row, the daemon to each tick's sample timestamp (so an event carries the time of the
/// tick that caused it); tests set it by hand. Never sleeps for real.
public final class TraceClock: AlertClock, Sendable {
    public struct Instant: InstantProtocol, Sendable {
        public var unixSeconds: Double
        public init(unixSeconds: Double) { self.unixSeconds = unixSeconds }
        public func advanced(by duration: Swift.Duration) -> Instant {
            let (seconds, attoseconds) = duration.components
            return Instant(unixSeconds: unixSeconds + Double(seconds) + Double(attoseconds) / 1e18)
        }
        public func duration(to other: Instant) -> Swift.Duration { .seconds(other.unixSeconds - unixSeconds) }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.unixSeconds < rhs.unixSeconds }
    }
    public typealias Duration = Swift.Duration

    private let current: Mutex<Double>

    public init(unixSeconds: Double = 0) {
        current = Mutex(unixSeconds)
    }

    public func set(unixSeconds: Double) { current.withLock { $0 = unixSeconds } }
    public var now: Instant { Instant(unixSeconds: current.withLock { $0 }) }
    public var minimumResolution: Duration { .nanoseconds(1) }
    /// Returns at once: trace time only moves when the caller sets it.
    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {}
    public func unixSeconds(_ instant: Instant) -> Double { instant.unixSeconds }
}
