import Testing
@testable import SurgeDaemon

/// A clock instant the test moves by hand.
struct FakeInstant: InstantProtocol {
    var offset: Duration
    func advanced(by duration: Duration) -> FakeInstant { FakeInstant(offset: offset + duration) }
    func duration(to other: FakeInstant) -> Duration { other.offset - offset }
    static func < (lhs: FakeInstant, rhs: FakeInstant) -> Bool { lhs.offset < rhs.offset }
}

@Suite struct TickScheduleTests {
    let start = FakeInstant(offset: .zero)

    @Test func deadlinesStayOnTheGridForHours() {
        var schedule = TickSchedule(anchor: start, interval: .seconds(10))
        var now = start
        // Each tick finishes a little late (up to 37 ms); 6 hours of ticks must not drift.
        for tick in 1...2160 {
            now = now.advanced(by: .milliseconds(tick % 38))
            let next = schedule.next(after: now)
            #expect(next.skipped == 0)
            #expect(next.deadline.offset == .seconds(10 * tick))
            now = next.deadline
        }
        #expect(now.offset == .seconds(21_600))
    }

    @Test func anOverrunSkipsMissedDeadlinesInsteadOfRunningThemBackToBack() {
        var schedule = TickSchedule(anchor: start, interval: .seconds(10))
        // Tick 0 ran at 0 s and took 25 s: deadlines 10 s and 20 s are gone.
        let next = schedule.next(after: start.advanced(by: .seconds(25)))
        #expect(next.skipped == 2)
        #expect(next.deadline.offset == .seconds(30))
        // The following tick is back on the grid.
        let after = schedule.next(after: next.deadline.advanced(by: .milliseconds(5)))
        #expect(after.skipped == 0)
        #expect(after.deadline.offset == .seconds(40))
    }

    @Test func aTickEndingExactlyOnADeadlineRunsItWithoutSkipping() {
        var schedule = TickSchedule(anchor: start, interval: .seconds(1))
        let next = schedule.next(after: start.advanced(by: .seconds(1)))
        #expect(next.deadline.offset == .seconds(1))
        #expect(next.skipped == 0)
        let after = schedule.next(after: start.advanced(by: .seconds(1)))
        #expect(after.deadline.offset == .seconds(2), "never the same deadline twice")
    }

    @Test func aClockThatReadsBeforeTheAnchorStillAdvances() {
        var schedule = TickSchedule(anchor: FakeInstant(offset: .seconds(5)), interval: .seconds(1))
        let next = schedule.next(after: FakeInstant(offset: .seconds(4)))
        #expect(next.deadline.offset == .seconds(6))
    }
}
