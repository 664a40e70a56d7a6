import Testing
import SurgeDetection

/// The ticks an exported history is missing: none for jitter or a late tick, a tick apart from
/// the sample before an outage, none within half a tick of the sample after it.
@Suite struct TraceGapsTests {
    @Test func jitterAndALateTickAreNotOutages() {
        var gaps = TraceGaps(tickSeconds: 10)
        #expect(gaps.missingTicks(from: 100, to: 110.2).isEmpty)
        #expect(gaps.missingTicks(from: 100, to: 115).isEmpty, "a tick and a half is a late tick, not a missing one")
        #expect(gaps.outages == 0 && gaps.ticks == 0)
    }

    @Test func anOutageBecomesTheTicksItCost() {
        var gaps = TraceGaps(tickSeconds: 10)
        #expect(gaps.missingTicks(from: 100, to: 130) == [110, 120], "two ticks missed")
        #expect(gaps.missingTicks(from: 200, to: 215.1) == [210], "just over a tick and a half: one missed")
        // A restart at another phase: the last filled tick stays at least half a tick from the next sample.
        #expect(gaps.missingTicks(from: 300, to: 343) == [310, 320, 330])
        #expect(gaps.missingTicks(from: 400, to: 444.5) == [410, 420, 430])
        #expect(gaps.outages == 4 && gaps.ticks == 9 && gaps.longest == 44.5)
    }

    /// A month's outage at 1 s ticks is filled with a day of 10 s ticks' worth of rows, not
    /// 2.6 million; one just that long is filled whole.
    @Test func aLongOutageIsFilledWithItsFirstTicksOnly() {
        var gaps = TraceGaps(tickSeconds: 1)
        let month = gaps.missingTicks(from: 0, to: 30 * 86_400)
        #expect(month.count == TraceGaps.longestFill && month.first == 1 && month.last == Double(TraceGaps.longestFill))
        #expect(gaps.shortened == 1 && gaps.ticks == TraceGaps.longestFill && gaps.longest == 30 * 86_400)
        let justFits = gaps.missingTicks(from: 0, to: Double(TraceGaps.longestFill) + 1)
        #expect(justFits.count == TraceGaps.longestFill && gaps.shortened == 1 && gaps.outages == 2)
    }

    @Test func noTickLengthFillsNothing() {
        var gaps = TraceGaps(tickSeconds: 0)
        #expect(gaps.missingTicks(from: 0, to: 1000).isEmpty)
    }
}
