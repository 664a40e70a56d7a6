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

    /// Each tick before a breach counts in its band of p once its target (overload within the
    /// horizon after it) is known; a tick whose next ticks hold overload came true.
    @Test func reliabilityCountsWhatCameTruePerBand() {
        var table = Reliability()
        //                 ticks:  0     1    2     3    4    5     6     7
        table.add(probabilities: [0.05, 0.5, 0.97, nil, 0.9, 0.97, 0.1, 1.0],
                  labels: [false, false, false, true, false, nil, false, false], horizon: 2)
        // Ticks 6 and 7 lack two ticks after them, tick 3 has no p (and is overload itself),
        // tick 4 looks at a nil label and no overload (unknown), and tick 5 was not judged.
        // Ticks 1 (p 0.5) and 2 (p 0.97) precede the overload at tick 3; tick 0 (p 0.05) sees none.
        #expect(table.ticks == [1, 0, 1, 0, 1] && table.cameTrue == [0, 0, 1, 0, 1], "\(table)")
        var now = Reliability()
        now.add(probabilities: [0.1, 0.95, 0.8], labels: [true, nil, false], horizon: 0)
        #expect(now.ticks == [0, 1, 0, 1, 0] && now.cameTrue == [0, 1, 0, 0, 0], "horizon 0: the tick itself; 0.1 is in [0.1, 0.5)")
        #expect(Reliability.band(of: 0.95) == 4 && Reliability.band(of: 1) == 4 && Reliability.band(of: 0) == 0)
    }
}
