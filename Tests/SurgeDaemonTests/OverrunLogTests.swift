import Testing
@testable import SurgeDaemon

@Suite struct OverrunLogTests {
    /// A host that keeps a 1 s tick from finishing on time: the first overrun is said at once,
    /// the next 25 within the minute are counted, and the first after it says how many there were.
    @Test func theFirstOverrunIsSaidThenAtMostOnceAMinuteWithTheCount() {
        var log = OverrunLog(quietPeriod: 60)
        #expect(log.overran(tick: 5, ran: 1.4, skipped: 1, interval: .seconds(1), atSeconds: 5)
                == "tick 5 ran 1s400ms, past the 1s interval; skipped 1 tick to stay aligned")
        for tick in 6...30 {
            #expect(log.overran(tick: tick, ran: 2.5, skipped: 2, interval: .seconds(1), atSeconds: Double(tick * 2)) == nil, "tick \(tick)")
        }
        #expect(log.overran(tick: 40, ran: 1.25, skipped: 1, interval: .seconds(1), atSeconds: 65)
                == "tick 40 ran 1s250ms, past the 1s interval; skipped 1 tick to stay aligned (25 more overruns since the last report)")
        #expect(log.overran(tick: 41, ran: 0.012, skipped: 3, interval: .milliseconds(5), atSeconds: 126)
                == "tick 41 ran 12ms, past the 5ms interval; skipped 3 ticks to stay aligned", "none unsaid since the last")
        #expect(log.overruns == 28)
    }
}
