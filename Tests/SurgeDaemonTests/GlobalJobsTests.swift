import CGlobalJobs
import Glibc
import Testing

/// The conversion the runtime's WithDeadline hook makes before a job is due on the jobs
/// thread. Taking over the global executor itself is tested on the real binary
/// (DaemonEndToEndTests), not here: it would put every test of this process on one thread.
@Suite struct GlobalJobsTests {
    static func now(_ clock: clockid_t) -> Int64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    @Test(arguments: [(Int32(1), CLOCK_BOOTTIME), (Int32(2), CLOCK_MONOTONIC)])
    func aDeadlineOnASwiftClockBecomesTheSameDistanceOnTheMonotonicClock(swiftClock: Int32, clock: clockid_t) {
        let inTwoSeconds = Self.now(clock) + 2_000_000_000
        let monotonicBefore = Self.now(CLOCK_MONOTONIC)
        let due = surge_monotonic_due(inTwoSeconds / 1_000_000_000, inTwoSeconds % 1_000_000_000, swiftClock)
        let monotonicAfter = Self.now(CLOCK_MONOTONIC)
        // CLOCK_BOOTTIME runs ahead of CLOCK_MONOTONIC by the time the host was suspended, and a
        // deadline read on the wrong one would be off by that much; on a host never suspended
        // (a VM like CI's) the two agree and this checks the arithmetic only.
        #expect(due >= monotonicBefore + 1_990_000_000 && due <= monotonicAfter + 2_010_000_000,
                "due \(Double(due - monotonicBefore) / 1e9) s from now")
    }

    @Test func aDeadlineInThePastIsDueNow() {
        let before = Self.now(CLOCK_MONOTONIC)
        let due = surge_monotonic_due(1, 0, 2)
        #expect(due >= before && due <= Self.now(CLOCK_MONOTONIC))
    }
}
