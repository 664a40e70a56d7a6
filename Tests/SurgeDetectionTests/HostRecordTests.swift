import Testing
@testable import SurgeDetection

@Suite struct HostRecordTests {
    /// Adds one run of ticks, 10 s apart from `start`: `states` one character per tick
    /// (p predicted, b breached, anything else normal), `labels` x where the rule held.
    func add(_ record: inout HostRecord, start: Double, states: String, labels: String) {
        for (index, (state, label)) in zip(states, labels).enumerated() {
            record.add(timestamp: start + Double(index) * 10, tick: index + 1,
                       state: state == "p" ? "predicted" : state == "b" ? "breached" : "normal", label: label == "x")
        }
    }

    /// A run that warned of its breach, then a restart, then a run that missed one and raised a
    /// false alarm: the figures add up over both runs, as replay's would over two traces.
    @Test func twoRunsOfTheDaemonAddUp() {
        var record = HostRecord(horizon: 3, mergeGap: 3, intervalSeconds: 10)
        add(&record, start: 1000, states: "....ppbbbb..........", labels: "......xxx...........")
        add(&record, start: 2000, states: "...bb.......ppp.....", labels: "...xx...............")
        let s = record.score
        #expect(record.runs == 2 && record.ticks == 40)
        #expect(s.episodes == 2 && s.caught == 2 && s.caughtEarly == 1 && s.continuing == 0)
        #expect(s.leadSeconds == [20], "the predicted alert opened two ticks before the breach")
        #expect(s.falseAlarms == 1, "the second run's predicted alert saw no overload")
        #expect(record.first == 1000 && record.last == 2190)
    }

    /// Overload at the end of one run and the start of the next is two episodes, not one: the
    /// daemon was not running in between. A stall (ticks counted on, but more than three
    /// intervals apart) cuts a run too.
    @Test func restartsAndStallsCutRuns() {
        var restarted = HostRecord(horizon: 3, mergeGap: 3, intervalSeconds: 10)
        add(&restarted, start: 0, states: "....bb", labels: "....xx")
        add(&restarted, start: 70, states: "bb....", labels: "xx....")
        #expect(restarted.runs == 2 && restarted.score.episodes == 2)

        var stalled = HostRecord(horizon: 3, mergeGap: 3, intervalSeconds: 10)
        for (tick, time) in [(1, 0.0), (2, 10), (3, 20), (4, 70), (5, 80)] {
            stalled.add(timestamp: time, tick: tick, state: "breached", label: true)
        }
        #expect(stalled.runs == 2 && stalled.score.episodes == 2)
        #expect(stalled.score.days > 0)
    }
}
