#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Time for alert events in the daemon: instants of the continuous (monotonic) clock, told as
/// Unix seconds through the wall-clock offset taken when this clock was made. A wall-clock step
/// (NTP, an operator's `date`) therefore cannot reorder events within one run.
public struct SystemAlertClock: AlertClock, Sendable {
    public typealias Instant = ContinuousClock.Instant
    public typealias Duration = Swift.Duration
    private let base = ContinuousClock()
    private let startInstant: ContinuousClock.Instant
    private let startUnixSeconds: Double

    public init() {
        startInstant = base.now
        var wall = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        startUnixSeconds = Double(wall.tv_sec) + Double(wall.tv_nsec) / 1e9
    }

    public var now: Instant { base.now }
    public var minimumResolution: Duration { base.minimumResolution }
    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try await base.sleep(until: deadline, tolerance: tolerance)
    }
    public func unixSeconds(_ instant: Instant) -> Double {
        let (seconds, attoseconds) = (instant - startInstant).components
        return startUnixSeconds + Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Time taken from the data: replay sets it to each trace row's timestamp before observing
/// that row; tests set it by hand. Never sleeps for real.
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
